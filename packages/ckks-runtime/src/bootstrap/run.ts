// One measured bootstrap on a preset, end to end, as used by `ola he bootstrap` and the bench suite:
// context, sparse secret, keys for exactly the planned rotations, diagonal precomputation, then encrypt
// random values at level 0, bootstrap, decrypt and compare. Reports precision, levels left, time per
// stage and peak RSS.
import { performance } from "node:perf_hooks";
import type { CkksClient } from "../client.js";
import { CkksContext } from "../context.js";
import { Evaluator } from "../evaluator.js";
import { bootstrapKeyBudget } from "../keystore.js";
import { wasmHeapBytes } from "../seal.js";
import { HalfWorker } from "./half-worker.js";
import { shareEvaluationKeys } from "../workers/pool.js";
import { Bootstrapper, halfWorkerGaloisSteps, planBootstrap, type BootstrapTimings } from "./bootstrapper.js";
import type { BootstrapPreset } from "./presets.js";
import { SecretEncapsulation, createBootstrapClient } from "./encapsulation.js";

export interface BootstrapRunOptions {
  /** Bootstraps to run on fresh random inputs (default 1); precision is over all of them. */
  repetitions?: number;
  /** Slots n (default N/2); n < N/2 uses sparse packing (the n values replicated N/(2n) times). */
  slots?: number;
  /** Deterministic message values (seeded LCG); the secret key is always from crypto randomness. */
  seed?: number;
  allowInsecure?: boolean;
  /** Bytes of precomputed NTT diagonals kept in JS memory (default 1 GiB; the rest are finished on use). */
  plaintextBudgetBytes?: number;
  /** Galois-key budget of the KeyStore in bytes (default: 2 keys; the rest are loaded on demand). */
  keyBudgetBytes?: number;
  progress?: (stage: string) => void;
  /**
   * Also bootstrap every input on two threads (the half worker), right after its one-thread bootstrap: once
   * with every part the worker can take and once with its basic parts only (CoeffToSlot's second output and
   * the EvalMod half), and check that all give the same ciphertext bytes. Full-slot only.
   */
  compareTwoThreads?: boolean;
}

/** The two-thread bootstraps of a compareTwoThreads run (same inputs as the one-thread ones). */
export interface TwoThreadResult {
  /** Median wall seconds. */
  seconds: number;
  /** Median process CPU seconds (both threads). */
  cpuSeconds: number;
  /** Key reloads of the bootstrapper's thread per two-thread bootstrap (medians; the worker keeps its keys resident). */
  keyReloads: KeyReloads;
  stages: BootstrapTimings[];
  /** Every two-thread output had the one-thread output's bytes. */
  identical: boolean;
  /** One-thread median / two-thread median (wall). */
  speedup: number;
  /** Seconds the worker needed to build its context and load its keys. */
  workerInitSeconds: number;
  /** Seconds the bootstrapper's thread waited for the worker, summed over the runs. */
  waitSeconds: number;
  /** The worker also evaluated CoeffToSlot's second output (else: the EvalMod half only). */
  workerTakesCoeffToSlot: boolean;
  /** What the worker ran besides its EvalMod half (Bootstrapper.halfWorkerParts). */
  workerParts: { coeffToSlotOutput: boolean; giantChains: number; slotToCoeffBabySteps: boolean; babySplits: number };
  /**
   * The same inputs on two threads with the worker's basic parts only (HalfWorkerUse.moreParts = false:
   * CoeffToSlot's second output and the EvalMod half): the baseline the other parts are measured against.
   */
  basicParts: { seconds: number; cpuSeconds: number; stages: BootstrapTimings[]; identical: boolean };
}

/** Galois key loads into the wasm heap (KeyStore misses) during one bootstrap. */
export interface KeyReloads {
  loads: number;
  seconds: number;
}

/** Key loads since `before` (a KeyStore.stats() snapshot). */
function reloadsSince(ev: Evaluator, before: { loads: number; loadSeconds: number }): KeyReloads {
  const now = ev.keyStore.stats();
  return { loads: now.loads - before.loads, seconds: now.loadSeconds - before.loadSeconds };
}

function medianReloads(list: KeyReloads[]): KeyReloads {
  return { loads: median(list.map((k) => k.loads)), seconds: median(list.map((k) => k.seconds)) };
}

export interface BootstrapRunResult {
  preset: string;
  N: number;
  slots: number;
  minPrecisionBits: number;
  meanPrecisionBits: number;
  levelsLeft: number;
  /** Median bootstrap wall time (s). */
  seconds: number;
  /**
   * Median process CPU time (user + system) per bootstrap (s). The work is single-threaded, so on a loaded
   * machine this is the better estimate of the wall time an idle core would take.
   */
  cpuSeconds: number;
  /** Galois keys the bootstrapper's evaluator loaded back into the wasm heap per bootstrap, and the seconds (medians). */
  keyReloads: KeyReloads;
  stages: BootstrapTimings[];
  peakRssBytes: number;
  wasmHeapBytes: number | undefined;
  setup: { contextSeconds: number; keySeconds: number; precomputeSeconds: number };
  /** rotationSteps: the plan's keys; extraSteps: keys generated on top for the half worker's parts (baby-step jumps); galoisKeyBytes counts both. */
  keys: { rotationSteps: number[]; extraSteps: number[]; galoisKeyBytes: number; relinKeyBytes: number; encapsulationKeyBytes: number };
  plaintextBytes: number;
  evalMod: { K: number; degree: number; doubleAngles: number; depth: number; failureLog2: number; approxErrorLog2: number };
  /** Weight of the secret ModRaise sees (the ephemeral one under encapsulation). */
  hammingWeight: number;
  /** Main secret: dense uniform ternary with encapsulation, or sparse. */
  secret: "dense-ternary+encapsulation" | "sparse-ternary";
  twoThreads?: TwoThreadResult;
}

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function runBootstrap(preset: BootstrapPreset, opts: BootstrapRunOptions = {}): Promise<BootstrapRunResult> {
  const progress = opts.progress ?? (() => {});
  const reps = opts.repetitions ?? 1;
  const t0 = performance.now();
  progress(`building the SEAL context for ${preset.params.name} (N=${preset.params.N}, ${preset.params.coeffModulusBits.length} primes)`);
  const ctx = await CkksContext.create(preset.params, { allowInsecure: opts.allowInsecure });
  const tCtx = performance.now();
  let client: CkksClient | undefined;
  let ev: Evaluator | undefined;
  let boot: Bootstrapper | undefined;
  let half: HalfWorker | undefined;
  try {
    progress(
      preset.encapsulation
        ? `generating a dense ternary secret, an ephemeral h=${preset.hammingWeight} secret and its encapsulation keys`
        : `sampling a sparse ternary secret (h=${preset.hammingWeight}) and generating keys`,
    );
    const made = createBootstrapClient(ctx, preset);
    client = made.client;
    const plan = planBootstrap(ctx, {
      layout: preset.layout,
      hammingWeight: preset.hammingWeight,
      failureLog2: preset.failureLog2,
      evalModErrorLog2: preset.evalModErrorLog2,
      slots: opts.slots,
    });
    // with compareTwoThreads the keys of every part the half worker can take, for both threads (the one-thread
    // bootstraps then use the same baby-step jumps, so both give the same bytes)
    const extraSteps = opts.compareTwoThreads ? halfWorkerGaloisSteps(plan).filter((k) => !plan.rotationSteps.includes(k)).sort((a, b) => a - b) : [];
    const generated = client.evaluationKeys([...plan.rotationSteps, ...extraSteps]);
    // shared key bytes: the half worker reads its keys without a copy
    const keys = opts.compareTwoThreads ? shareEvaluationKeys(generated) : generated;
    const galoisKeyBytes = [...keys.galoisKeys.values()].reduce((a, b) => a + b.byteLength, 0);
    // Galois keys stay serialised in JS memory; only a few are resident in the wasm heap (keystore.ts).
    const perKey = galoisKeyBytes / Math.max(1, keys.galoisKeys.size);
    ev = new Evaluator(ctx, keys, { budgetBytes: opts.keyBudgetBytes ?? bootstrapKeyBudget(perKey) });
    const tKeys = performance.now();
    progress(`precomputing CoeffToSlot/SlotToCoeff diagonals (${plan.rotationSteps.length} Galois keys: [${plan.rotationSteps.join(", ")}])`);
    boot = new Bootstrapper(ctx, ev, plan, {
      plaintextBudgetBytes: opts.plaintextBudgetBytes ?? 2 ** 30,
      encapsulation: made.encapsulation && new SecretEncapsulation(ctx, made.encapsulation),
    });
    if (opts.compareTwoThreads) {
      if (plan.slots !== ctx.slots) throw new Error(`compareTwoThreads needs a full-slot bootstrap (${ctx.slots} slots), got ${plan.slots}`);
      const giant = new Map(halfWorkerGaloisSteps(plan).map((k) => [k, keys.galoisKeys.get(k)!]));
      progress(`starting the half worker (second thread: relinearisation, conjugation and ${giant.size} rotation keys [${[...giant.keys()].join(", ")}])`);
      half = await HalfWorker.create({ params: preset.params, allowInsecure: opts.allowInsecure, relinKeys: keys.relinKeys, conjugationKey: keys.galoisKeys.get(0)!, galoisKeys: giant });
    }
    const two = { stages: [] as BootstrapTimings[], cpu: [] as number[], identical: true, keyReloads: [] as KeyReloads[] };
    const keyReloads: KeyReloads[] = [];
    let parts: TwoThreadResult["workerParts"] | undefined;
    const basic = { stages: [] as BootstrapTimings[], cpu: [] as number[], identical: true };
    const rand = lcg(opts.seed ?? 1);
    const n = plan.slots;
    let errSum = 0;
    let errMax = 0;
    let count = 0;
    const stages: BootstrapTimings[] = [];
    const cpu: number[] = [];
    let levelsLeft = 0;
    for (let rep = 0; rep < reps; rep++) {
      const msg = Float64Array.from({ length: n }, () => 2 * rand() - 1);
      const ct = client.encrypt(
        Float64Array.from({ length: ctx.slots }, (_, i) => msg[i % n]),
        { level: 0 },
      );
      progress(`bootstrap ${rep + 1}/${reps}`);
      boot.useHalfWorker(undefined);
      const c0 = process.cpuUsage();
      const k0 = ev.keyStore.stats();
      const { ct: out, timings } = boot.bootstrap(ct);
      const c1 = process.cpuUsage(c0);
      keyReloads.push(reloadsSince(ev, k0));
      cpu.push((c1.user + c1.system) / 1e6);
      if (half) {
        progress(`bootstrap ${rep + 1}/${reps} on two threads`);
        boot.useHalfWorker(half);
        parts = boot.halfWorkerParts;
        const d0 = process.cpuUsage();
        const m0 = ev.keyStore.stats();
        const r2 = boot.bootstrap(ct);
        const d1 = process.cpuUsage(d0);
        two.keyReloads.push(reloadsSince(ev, m0));
        boot.useHalfWorker(undefined);
        two.cpu.push((d1.user + d1.system) / 1e6);
        two.stages.push(r2.timings);
        const a = out.toBytes();
        const b = r2.ct.toBytes();
        r2.ct.dispose();
        if (a.byteLength !== b.byteLength || !a.every((v, i) => v === b[i])) two.identical = false;
        progress(`bootstrap ${rep + 1}/${reps} on two threads: ${r2.timings.total.toFixed(2)} s (EvalMod ${r2.timings.evalMod.toFixed(2)}), ${two.identical ? "bit-identical" : "DIFFERENT BYTES"}`);
        // the same input with the worker's basic parts only (CoeffToSlot's second output + EvalMod half)
        progress(`bootstrap ${rep + 1}/${reps} on two threads, basic worker parts`);
        boot.useHalfWorker(half, { moreParts: false });
        const e0 = process.cpuUsage();
        const r3 = boot.bootstrap(ct);
        const e1 = process.cpuUsage(e0);
        boot.useHalfWorker(undefined);
        basic.cpu.push((e1.user + e1.system) / 1e6);
        basic.stages.push(r3.timings);
        const c = r3.ct.toBytes();
        r3.ct.dispose();
        if (a.byteLength !== c.byteLength || !a.every((v, i) => v === c[i])) basic.identical = false;
        progress(`bootstrap ${rep + 1}/${reps} on two threads, basic parts: ${r3.timings.total.toFixed(2)} s, ${basic.identical ? "bit-identical" : "DIFFERENT BYTES"}`);
      }
      ct.dispose();
      const got = client.decrypt(out);
      levelsLeft = out.level;
      out.dispose();
      for (let i = 0; i < n; i++) {
        const e = Math.abs(got[i] - msg[i]);
        errSum += e;
        errMax = Math.max(errMax, e);
        count++;
      }
      stages.push(timings);
      progress(
        `bootstrap ${rep + 1}/${reps}: ${timings.total.toFixed(2)} s (ModRaise ${timings.modRaise.toFixed(2)}, CoeffToSlot ${timings.coeffToSlot.toFixed(2)}, EvalMod ${timings.evalMod.toFixed(2)}, SlotToCoeff ${timings.slotToCoeff.toFixed(2)})`,
      );
    }
    const wallMedian = median(stages.map((s) => s.total));
    const cpuMedian = median(cpu);
    const twoThreads: TwoThreadResult | undefined = half
      ? {
          seconds: median(two.stages.map((s) => s.total)),
          cpuSeconds: median(two.cpu),
          keyReloads: medianReloads(two.keyReloads),
          stages: two.stages,
          identical: two.identical,
          speedup: wallMedian / median(two.stages.map((s) => s.total)),
          workerInitSeconds: half.initSeconds,
          waitSeconds: half.waitSeconds,
          workerTakesCoeffToSlot: half.dftOutputs > 0,
          workerParts: parts ?? { coeffToSlotOutput: false, giantChains: 0, slotToCoeffBabySteps: false, babySplits: 0 },
          basicParts: {
            seconds: median(basic.stages.map((s) => s.total)),
            cpuSeconds: median(basic.cpu),
            stages: basic.stages,
            identical: basic.identical,
          },
        }
      : undefined;
    return {
      preset: preset.params.name,
      N: ctx.N,
      slots: n,
      minPrecisionBits: -Math.log2(errMax),
      meanPrecisionBits: -Math.log2(errSum / count),
      levelsLeft,
      seconds: wallMedian,
      keyReloads: medianReloads(keyReloads),
      cpuSeconds: cpuMedian,
      stages,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      wasmHeapBytes: wasmHeapBytes(),
      setup: {
        contextSeconds: (tCtx - t0) / 1000,
        keySeconds: (tKeys - tCtx) / 1000,
        precomputeSeconds: boot.precomputeSeconds,
      },
      keys: {
        rotationSteps: plan.rotationSteps,
        extraSteps,
        galoisKeyBytes,
        relinKeyBytes: keys.relinKeys.byteLength,
        encapsulationKeyBytes: made.encapsulation ? made.encapsulation.toEphemeral.byteLength + made.encapsulation.fromEphemeral.byteLength : 0,
      },
      plaintextBytes: boot.plaintextBytes,
      evalMod: {
        K: plan.evalMod.K,
        degree: plan.evalMod.degree,
        doubleAngles: plan.evalMod.doubleAngles,
        depth: plan.evalMod.depth,
        failureLog2: plan.evalMod.failureLog2,
        approxErrorLog2: plan.evalMod.approxErrorLog2,
      },
      hammingWeight: preset.hammingWeight,
      secret: preset.encapsulation ? "dense-ternary+encapsulation" : "sparse-ternary",
      ...(twoThreads ? { twoThreads } : {}),
    };
  } finally {
    await half?.close();
    boot?.dispose();
    ev?.dispose();
    client?.dispose();
    ctx.dispose();
  }
}
