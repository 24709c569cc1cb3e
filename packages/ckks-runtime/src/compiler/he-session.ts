// The encrypted side of an inference, with the protocol's split:
//   client: CkksClient (the only holder of the secret key; dense ternary, plus the ephemeral sparse secret
//           behind the encapsulation keys of a bootstrapping preset)
//   server: Evaluator built from the client's public evaluation keys (relinearisation + exactly the rotation
//           steps the program and the bootstrapper need) and the real Bootstrapper.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Bootstrapper, halfWorkerGaloisSteps, planBootstrap, type BootstrapPlan } from "../bootstrap/bootstrapper.js";
import type { BootstrapPreset } from "../bootstrap/presets.js";
import { HalfWorker } from "../bootstrap/half-worker.js";
import { shareEvaluationKeys } from "../workers/pool.js";
import { SecretEncapsulation, createBootstrapClient, makeEncapsulationKeys, type EncapsulationKeys } from "../bootstrap/encapsulation.js";
import { CkksClient } from "../client.js";
import { CkksContext } from "../context.js";
import { Evaluator } from "../evaluator.js";
import { bootstrapKeyBudget } from "../keystore.js";
import type { ParameterSet } from "../params.js";
import { CheckpointError, loadOrStoreSecretKey, secretKeyFingerprint } from "./checkpoint.js";
import { bootstrapSites, decryptLogits, encryptImage, programKeyPlan, runHeProgram, sealBootstrapEngine, type BootstrapEngine, type RunOptions, type RunReport } from "./execute.js";
import type { HeProgram } from "./he-program.js";

export interface HeSessionOptions {
  /** Leveled parameters (no bootstrapping) or a bootstrapping preset. */
  params?: ParameterSet;
  bootstrapPreset?: BootstrapPreset;
  allowInsecure?: boolean;
  /** Generate keys only for steps 0..lastStep (a network prefix). */
  lastStep?: number;
  log?: (s: string) => void;
  /**
   * Checkpoint root: the client's secret key is kept here (created on first use, restored afterwards) so
   * that runs checkpointed under it can be resumed by a later process; evaluation keys are generated anew
   * for the same secret. CLIENT-SIDE SECRET MATERIAL: never hand this directory to a server.
   */
  checkpointDir?: string;
  /**
   * Sparse-slot bootstraps (default false): plan one Bootstrapper per distinct slot period of the values the
   * program refreshes (the layout's period; a full-slot plan for period N/2) and refresh each value with the
   * one of its period: smaller DFTs and one EvalMod instead of two. Keys: the union of their Galois steps
   * (all full keys: bootstraps run at the top of the chain). The run report lists the slots of every bootstrap.
   */
  sparseBootstraps?: boolean;
  /**
   * Threads per bootstrap (default 1). 2: full-slot bootstraps run their second EvalMod half on a worker
   * thread (bootstrap/half-worker.ts; ~0.4 GiB more at N = 2^15), with bit-identical results. Sparse-slot
   * bootstraps have one EvalMod and stay on one thread.
   */
  bootstrapThreads?: 1 | 2;
  /**
   * Bytes of CoeffToSlot/SlotToCoeff diagonals each bootstrapper keeps precomputed in NTT form (default
   * 1.5 GiB); levels past the budget keep coefficient vectors and finish each plaintext right before use (same
   * bytes, more time). Bootstrapper.allPrecomputedBytes is the budget that precomputes all of them.
   */
  bootstrapDiagonalBytes?: number;
}

export interface SessionRunOptions {
  lastStep?: number;
  onStep?: RunOptions["onStep"];
  onCheckpoint?: RunOptions["onCheckpoint"];
  stopAfterStep?: number;
  shouldStop?: RunOptions["shouldStop"];
  /**
   * Checkpoint this run (needs the session's checkpointDir): `image` identifies the input; the run's
   * directory is `dir` (default <checkpointDir>/image-<image>); resumes when it holds this run's checkpoint.
   */
  checkpoint?: { image: number; dir?: string; everySeconds?: number };
}

export class HeInferenceSession implements Disposable {
  private constructor(
    readonly ctx: CkksContext,
    readonly client: CkksClient,
    readonly ev: Evaluator,
    readonly engine: BootstrapEngine | undefined,
    private readonly boots: Bootstrapper[],
    readonly setupSeconds: number,
    /** Preset (parameter set) name: part of a checkpoint's identity. */
    readonly presetName: string,
    readonly checkpointDir: string | undefined,
    /** secretKeyFingerprint of the client's key when checkpointing. */
    private readonly secretKeyId: string | undefined,
    /** True when the client's secret key was restored from checkpointDir. */
    readonly restoredSecretKey: boolean,
    /** The bootstraps' second thread (bootstrapThreads 2), closed with the session. */
    readonly halfWorker: HalfWorker | undefined,
  ) {}

  static async create(p: HeProgram, opts: HeSessionOptions): Promise<HeInferenceSession> {
    const t0 = performance.now();
    // options first: nothing to free yet
    const threads = opts.bootstrapThreads ?? 1;
    if (threads !== 1 && threads !== 2) throw new RangeError(`bootstrapThreads must be 1 or 2, got ${String(threads)}`);
    const say = opts.log ?? (() => {});
    const bp = opts.bootstrapPreset;
    const params = bp ? bp.params : opts.params;
    if (!params) throw new Error("HeInferenceSession: give params or a bootstrapPreset");
    say(`building the SEAL context for ${params.name} (N=${params.N}, ${params.coeffModulusBits.length} primes)`);
    const ctx = await CkksContext.create(params, { allowInsecure: opts.allowInsecure });
    if (ctx.slots !== p.slots) {
      ctx.dispose();
      throw new Error(`the program was compiled for ${p.slots} slots, parameter set '${params.name}' has ${ctx.slots}`);
    }
    let encapsulation: EncapsulationKeys | undefined;
    let client: CkksClient;
    const fresh = (): { client: CkksClient; encapsulation?: EncapsulationKeys } => (bp ? createBootstrapClient(ctx, bp) : { client: new CkksClient(ctx) });
    let secretKeyId: string | undefined;
    let restored = false;
    if (opts.checkpointDir) {
      let made: ReturnType<typeof fresh> | undefined;
      let stored: ReturnType<typeof loadOrStoreSecretKey>;
      try {
        stored = loadOrStoreSecretKey(opts.checkpointDir, params.name, () => {
          made = fresh();
          return made.client.secretKeyBytes();
        });
      } catch (e) {
        made?.client.dispose();
        ctx.dispose();
        throw e;
      }
      if (made && stored.created) {
        ({ client, encapsulation } = made);
        say(`client: new secret key stored in ${stored.path} (client-side secret material)`);
      } else {
        made?.client.dispose();
        try {
          client = new CkksClient(ctx, { secretKey: stored.secretKey });
        } catch (e) {
          ctx.dispose();
          throw new CheckpointError(`secret key file ${stored.path} does not load for parameter set '${params.name}': ${e instanceof Error ? e.message : String(e)}`);
        }
        // fresh encapsulation keys (a new ephemeral secret) for the same main secret are valid for old ciphertexts
        if (bp?.encapsulation) encapsulation = makeEncapsulationKeys(client, bp.hammingWeight);
        restored = true;
        say(`client: secret key restored from ${stored.path}`);
      }
      secretKeyId = secretKeyFingerprint(stored.secretKey);
    } else {
      ({ client, encapsulation } = fresh());
    }
    // one plan per slot count the bootstraps use: N/2 only, or (sparseBootstraps) each refreshed value's period
    const slotCounts = [
      ...new Set(bootstrapSites(p, opts.lastStep).map((b) => (opts.sparseBootstraps && b.period !== undefined ? b.period : ctx.slots))),
    ].sort((a, b) => b - a);
    if (slotCounts.length === 0) slotCounts.push(ctx.slots);
    let plans: BootstrapPlan[] = [];
    try {
      plans = bp ? slotCounts.map((n) => planBootstrap(ctx, { layout: bp.layout, hammingWeight: bp.hammingWeight, failureLog2: bp.failureLog2, evalModErrorLog2: bp.evalModErrorLog2, ...(n < ctx.slots ? { slots: n } : {}) })) : [];
    } catch (e) {
      client.dispose();
      ctx.dispose();
      throw e;
    }
    const bootSteps = new Set<number>();
    for (const pl of plans) for (const k of pl.rotationSteps) bootSteps.add(k);
    // two threads: the keys of the parts the half worker can take (CoeffToSlot's baby-step jumps are used by
    // this thread too); one thread keeps exactly the plan's keys
    if (threads === 2) for (const pl of plans) if (pl.slots === ctx.slots) for (const k of halfWorkerGaloisSteps(pl)) bootSteps.add(k);
    const keyPlan = programKeyPlan(p, bp ? { rotationSteps: [...bootSteps].sort((a, b) => a - b) } : undefined, opts.lastStep);
    say(
      `client: generating evaluation keys (relinearisation + ${keyPlan.full.length} full rotation keys + ` +
        `${keyPlan.low.steps.length} keys for levels <= ${keyPlan.low.maxLevel})`,
    );
    const generated = client.evaluationKeys(keyPlan.full, keyPlan.low);
    // two threads: the key bytes live in SharedArrayBuffers, so the half worker reads its keys without a copy
    const keys = threads === 2 ? shareEvaluationKeys(generated) : generated;
    // Only a few full-size Galois keys stay resident in the wasm heap (keystore.ts); the rest wait serialised.
    const largest = Math.max(0, ...[...keys.galoisKeys.values()].map((b) => b.byteLength));
    const ev = new Evaluator(ctx, keys, { budgetBytes: bootstrapKeyBudget(largest, 2 ** 26) });
    const boots: Bootstrapper[] = [];
    let engine: BootstrapEngine | undefined;
    let halfWorker: HalfWorker | undefined;
    const needsBoot = p.steps.slice(0, (opts.lastStep ?? p.steps.length - 1) + 1).some((s) => s.kind === "bootstrap" || (s.kind === "activation" && s.innerBootstraps.length > 0));
    try {
      if (plans.length > 0 && needsBoot) {
        if (threads === 2 && plans.some((pl) => pl.slots === ctx.slots)) {
          const conj = keys.galoisKeys.get(0);
          if (!conj) throw new Error("bootstrapThreads 2: the evaluation keys have no conjugation key (Galois step 0)");
          // the giant-step keys of CoeffToSlot's last level let the worker take that level's second output too
          const full = plans.find((pl) => pl.slots === ctx.slots)!;
          const giant = new Map<number, Uint8Array>();
          for (const k of halfWorkerGaloisSteps(full)) {
            const b = keys.galoisKeys.get(k);
            if (b) giant.set(k, b);
          }
          say(`server: starting the bootstrap half worker (second thread: relinearisation, conjugation and ${giant.size} rotation keys)`);
          halfWorker = await HalfWorker.create({ params, allowInsecure: opts.allowInsecure, relinKeys: keys.relinKeys, conjugationKey: conj, galoisKeys: giant });
          say(`server: half worker ready in ${halfWorker.initSeconds.toFixed(1)} s`);
        }
        for (const plan of plans) {
          say(`server: precomputing the bootstrapping diagonals (${plan.slots === ctx.slots ? "full" : "sparse"}, ${plan.slots} slots)`);
          // each bootstrapper owns its encapsulation handle (same public keys)
          const b = new Bootstrapper(ctx, ev, plan, { encapsulation: encapsulation && new SecretEncapsulation(ctx, encapsulation),
            halfWorker,
            ...(opts.bootstrapDiagonalBytes !== undefined ? { plaintextBudgetBytes: opts.bootstrapDiagonalBytes } : {}),
          });
          boots.push(b);
          say(`server: ${plan.slots}-slot bootstrapper: ${(b.plaintextBytes / 2 ** 20).toFixed(0)} MiB of diagonals in JS memory, ${b.precomputeSeconds.toFixed(1)} s`);
          if (halfWorker && plan.slots === ctx.slots && !b.halfWorkerTakesCoeffToSlot) {
            say(
              `server: warning: the half worker runs the EvalMod half only: CoeffToSlot's last level is kept lazily; ` +
                `a diagonal budget of ${(b.allPrecomputedBytes / 2 ** 30).toFixed(2)} GiB (bootstrapDiagonalBytes, --bootstrap-diagonals) lets it take CoeffToSlot's second output too`,
            );
          }
        }
        engine = sealBootstrapEngine(ev, boots);
      }
    } catch (e) {
      for (const b of boots) b.dispose();
      void halfWorker?.close();
      ev.dispose();
      client.dispose();
      ctx.dispose();
      throw e;
    }
    return new HeInferenceSession(ctx, client, ev, engine, boots, (performance.now() - t0) / 1000, params.name, opts.checkpointDir, secretKeyId, restored, halfWorker);
  }

  /** Client encrypts, server runs (steps 0..lastStep), client decrypts: logits, or the prefix's slots. */
  run(p: HeProgram, image: ArrayLike<number>, opts: SessionRunOptions = {}): { values: Float64Array; report: RunReport } {
    let checkpoint: RunOptions["checkpoint"];
    if (opts.checkpoint) {
      if (!this.checkpointDir) throw new Error("HeInferenceSession.run: checkpointing needs a session created with checkpointDir (the secret key must survive the process)");
      checkpoint = {
        dir: opts.checkpoint.dir ?? join(this.checkpointDir, `image-${opts.checkpoint.image}`),
        everySeconds: opts.checkpoint.everySeconds,
        identity: { preset: this.presetName, image: opts.checkpoint.image, secretKey: this.secretKeyId },
      };
    }
    const ct = encryptImage(this.client, p, image);
    try {
      const { output, report } = runHeProgram(p, this.ev, ct, {
        bootstrapper: this.engine,
        lastStep: opts.lastStep,
        onStep: opts.onStep,
        checkpoint,
        onCheckpoint: opts.onCheckpoint,
        stopAfterStep: opts.stopAfterStep,
        shouldStop: opts.shouldStop,
      });
      try {
        const full = opts.lastStep === undefined || opts.lastStep === p.steps.length - 1;
        return { values: full ? decryptLogits(this.client, p, output) : this.client.decrypt(output), report };
      } finally {
        output.dispose();
      }
    } finally {
      ct.dispose();
    }
  }

  /** Slot counts of the session's bootstrappers (N/2 = full-slot; fewer = sparse), largest first. */
  get bootstrapperSlots(): number[] {
    return this.boots.map((b) => b.plan.slots);
  }

  /** Threads a full-slot bootstrap of this session uses. */
  get bootstrapThreads(): 1 | 2 {
    return this.halfWorker ? 2 : 1;
  }

  dispose(): void {
    // the worker thread frees its SEAL objects on shutdown; nothing waits for it (it is unref'd)
    void this.halfWorker?.close();
    for (const b of this.boots) b.dispose();
    this.ev.dispose();
    this.client.dispose();
    this.ctx.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Peak resident set size of this process (bytes). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
