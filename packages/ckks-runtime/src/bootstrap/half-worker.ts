// A second thread for full-slot bootstraps. After CoeffToSlot a full-slot bootstrap holds two independent
// ciphertexts (the low and the high halves of the coefficients): each needs Re(·), EvalMod (the deepest
// part) and a final 2·Re(·) before SlotToCoeff joins them. The half worker runs one half while the
// bootstrapper's thread runs the other: on 2 cores that hides EvalMod's second half (design: docs in the
// package README, "Bootstrapping on two threads").
//
// The worker is a worker_threads thread with its own SEAL instance (workers/worker.ts) holding only the
// relinearisation key, the conjugation key and the few rotation keys of the parts it can take
// (Bootstrapper.useHalfWorker, halfWorkerGaloisSteps): CoeffToSlot's second output, the negative giant chains
// of single-output DFT levels (startChain) and SlotToCoeff's baby steps of its half. It gets public
// evaluation keys only (the server side of the protocol).
//
// The call is synchronous: the bootstrapper posts the half, computes its own half, then blocks in
// Atomics.wait on a SharedArrayBuffer the worker writes the result into (Bootstrapper.bootstrap stays
// synchronous, so runHeProgram and every caller are unchanged).
import { performance } from "node:perf_hooks";
import type { Worker } from "node:worker_threads";
import { Ciphertext } from "../ciphertext.js";
import type { CkksContext } from "../context.js";
import type { ParameterSet } from "../params.js";
import { type FromWorker, type ToWorker, unpackCiphertexts } from "../workers/protocol.js";
import { startWorker } from "../workers/start.js";
import type { EvalModHalfJob } from "./eval-mod-half.js";
import type { DftOutputJob } from "./hom-dft.js";

export interface HalfWorkerOptions {
  /** The parameter set of the bootstrapper's context (the worker builds the same context). */
  params: ParameterSet;
  allowInsecure?: boolean;
  /** Serialised relinearisation keys (public). */
  relinKeys: Uint8Array;
  /** Serialised Galois key of the conjugation (step 0; public). */
  conjugationKey: Uint8Array;
  /**
   * More serialised Galois keys (step → bytes): with the giant steps of CoeffToSlot's last level the worker
   * also evaluates that level's second output (Bootstrapper.useHalfWorker checks). ~0.2 GiB each at N = 2^15.
   */
  galoisKeys?: ReadonlyMap<number, Uint8Array>;
  /**
   * Max bytes of Galois keys resident in the worker's wasm heap (default: 3.2 of its largest key, the three
   * keys of one DFT level plus a little). With every part's keys resident at N = 2^15 (8 keys, 1.7 GiB) the
   * worker's 4 GiB heap ran out (std::bad_alloc while loading a key); the rest stay serialised and are
   * reloaded on demand.
   */
  keyBudgetBytes?: number;
  /** Longest time to wait for one half before failing (default 3600 s): a dead worker cannot answer. */
  timeoutSeconds?: number;
}

const HEADER = 16;

/** Baby-step schedule of SlotToCoeff's first level (the worker answers them after its half). */
export interface BabySteps {
  stride: number;
  maxBaby: number;
}

export class HalfWorker {
  private reply: SharedArrayBuffer | undefined;
  private pending = false;
  /** The pending job is a bootstrap half (counted in `halves`), not a giant chain. */
  private pendingHalf = false;
  private closed = false;
  /** Seconds the bootstrapper's thread spent blocked waiting for the worker, summed over calls. */
  waitSeconds = 0;
  /** Halves run on the worker. */
  halves = 0;
  /** Of those, halves that started from CoeffToSlot's baby steps (the worker evaluated that output too). */
  dftOutputs = 0;
  /** Negative giant chains of DFT levels run on the worker. */
  chains = 0;
  /** Upper halves of single-input DFT levels' baby steps computed on the worker. */
  babyRanges = 0;
  private nextDft = 1;
  private readonly registered = new Set<number>();

  private constructor(
    private readonly worker: Worker,
    /** Parameter-set name, checked against the bootstrapper's context. */
    readonly paramsName: string,
    /** Seconds the worker needed to build its context and load its keys. */
    readonly initSeconds: number,
    /** Galois steps the worker holds (0 = conjugation). */
    readonly steps: ReadonlySet<number>,
    private readonly timeoutMs: number,
    private failure: Error | undefined,
  ) {}

  static async create(opts: HalfWorkerOptions): Promise<HalfWorker> {
    const timeout = opts.timeoutSeconds ?? 3600;
    if (!(timeout > 0)) throw new RangeError(`HalfWorker: timeoutSeconds must be > 0, got ${timeout}`);
    const w = startWorker();
    let onMessage: ((m: FromWorker) => void) | undefined;
    let onError: ((e: Error) => void) | undefined;
    let onExit: ((code: number) => void) | undefined;
    let seconds: number;
    try {
      seconds = await new Promise<number>((resolve, reject) => {
        onMessage = (m) => {
          if (m.type === "ready") resolve(m.seconds);
          else if (m.type === "error") reject(new Error(`bootstrap half worker: ${m.message}`));
        };
        onError = (e) => reject(new Error(`bootstrap half worker crashed while starting: ${e.message}`));
        onExit = (code) => reject(new Error(`bootstrap half worker exited while starting (code ${code})`));
        w.on("message", onMessage);
        w.on("error", onError);
        w.on("exit", onExit);
        const galoisKeys: [number, Uint8Array][] = [[0, opts.conjugationKey], ...[...(opts.galoisKeys ?? new Map<number, Uint8Array>())].filter(([k]) => k !== 0)];
        const init: ToWorker = {
          type: "init",
          params: opts.params,
          allowInsecure: opts.allowInsecure ?? false,
          relinKeys: opts.relinKeys,
          keyBudgetBytes: opts.keyBudgetBytes ?? Math.ceil(3.2 * Math.max(...galoisKeys.map(([, b]) => b.byteLength))),
          galoisKeys,
        };
        w.postMessage(init);
      });
    } catch (e) {
      await w.terminate();
      throw e;
    } finally {
      if (onMessage) w.off("message", onMessage);
      if (onError) w.off("error", onError);
      if (onExit) w.off("exit", onExit);
    }
    const steps = new Set([0, ...(opts.galoisKeys?.keys() ?? [])]);
    const hw = new HalfWorker(w, opts.params.name, seconds, steps, timeout * 1000, undefined);
    // errors after start-up surface on the next call (the thread is blocked while a half runs)
    w.on("error", (e) => (hw.failure ??= new Error(`bootstrap half worker crashed: ${e.message}`)));
    w.on("exit", (code) => (hw.failure ??= new Error(`bootstrap half worker exited (code ${code})`)));
    w.unref();
    return hw;
  }

  /**
   * Registers one output of a DFT level (its diagonals stay in shared memory); returns the id for
   * startDftOutput. The worker needs the level's giant-step keys (see `steps`).
   */
  registerDftOutput(job: DftOutputJob): number {
    if (this.closed) throw new Error("bootstrap half worker: already closed");
    const id = this.nextDft++;
    this.worker.postMessage({ type: "registerDft", id, job } satisfies ToWorker);
    this.registered.add(id);
    return id;
  }

  /** Ids of the DFT outputs registered and not forgotten, in registration order (each references shared diagonals). */
  registeredIds(): number[] {
    return [...this.registered];
  }

  /** Forgets registered outputs (ids from registerDftOutput; unknown ids are ignored). */
  unregisterDftOutputs(ids: readonly number[]): void {
    const known = ids.filter((id) => this.registered.delete(id));
    if (known.length > 0 && !this.closed) this.worker.postMessage({ type: "unregisterDft", ids: known } satisfies ToWorker);
  }

  /**
   * Posts one half (y is not consumed: its bytes are copied). One job at a time. With `babiesAfter` the
   * answer is the result's baby steps for SlotToCoeff's first level (finishAll), else the result (finish).
   */
  start(y: Ciphertext, job: EvalModHalfJob, babiesAfter?: BabySteps): void {
    const bytes = y.toBytes();
    this.post(
      { type: "evalModHalf", job, bytes, reply: this.replyBuffer(bytes.byteLength, babiesAfter ? babiesAfter.maxBaby + 1 : 1), ...(babiesAfter ? { babiesAfter } : {}) },
      [bytes.buffer as ArrayBuffer],
    );
  }

  /**
   * Posts one half that starts from a DFT level's baby steps (not consumed; copied): the worker evaluates the
   * registered output `id` (rescaled to `outScale`), then the half (then `babiesAfter` as in start).
   */
  startDftOutput(id: number, babies: Ciphertext[][], outScale: number, job: EvalModHalfJob, babiesAfter?: BabySteps): void {
    const bytes = babies.map((list) => list.map((c) => c.toBytes()));
    const size = Math.max(...bytes.flat().map((b) => b.byteLength));
    this.post(
      {
        type: "evalModHalf",
        job,
        dft: { id, babies: bytes, outScale },
        reply: this.replyBuffer(size, babiesAfter ? babiesAfter.maxBaby + 1 : 1),
        ...(babiesAfter ? { babiesAfter } : {}),
      },
      bytes.flat().map((b) => b.buffer as ArrayBuffer),
    );
    this.dftOutputs++;
  }

  /**
   * Posts the negative-giant Horner chain of registered output `id` from its baby steps (not consumed;
   * copied); finish returns it, not rescaled (hom-dft.ts evaluateDftNegativeChain).
   */
  startChain(id: number, babies: Ciphertext[][]): void {
    const bytes = babies.map((list) => list.map((c) => c.toBytes()));
    const size = Math.max(...bytes.flat().map((b) => b.byteLength));
    this.post({ type: "dftChain", id, babies: bytes, reply: this.replyBuffer(size, 1) }, bytes.flat().map((b) => b.buffer as ArrayBuffer));
    this.chains++;
  }

  /**
   * Posts the baby steps x_from..x_to of x (not consumed; copied; hom-dft.ts dftBabyRange with the SEAL step
   * `fromStep` for the first); finishAll returns them.
   */
  startBabyRange(x: Ciphertext, stride: number, from: number, to: number, fromStep: number): void {
    if (!(from >= 1 && to >= from)) throw new RangeError(`HalfWorker.startBabyRange: need 1 <= from <= to, got ${from}..${to}`);
    const bytes = x.toBytes();
    this.post({ type: "babyRange", bytes, stride, from, to, fromStep, reply: this.replyBuffer(bytes.byteLength, to - from + 1) }, [bytes.buffer as ArrayBuffer]);
    this.babyRanges++;
  }

  /** Reply buffer for `count` ciphertexts, each no larger than `inputBytes` (results are at lower or equal levels). */
  private replyBuffer(inputBytes: number, count: number): SharedArrayBuffer {
    if (this.closed) throw new Error("bootstrap half worker: already closed");
    if (this.failure) throw this.failure;
    if (this.pending) throw new Error("bootstrap half worker: a half is already running");
    const need = HEADER + 4 * (1 + count) + count * inputBytes;
    if (!this.reply || this.reply.byteLength < need) this.reply = new SharedArrayBuffer(need);
    Atomics.store(new Int32Array(this.reply, 0, 4), 0, 0);
    return this.reply;
  }

  private post(msg: ToWorker, transfer: ArrayBuffer[]): void {
    this.worker.postMessage(msg, transfer);
    this.pending = true;
    this.pendingHalf = msg.type === "evalModHalf";
  }

  /** Blocks until the posted job is done; returns its single result as a ciphertext of `ctx`. */
  finish(ctx: CkksContext): Ciphertext {
    const list = this.finishAll(ctx);
    if (list.length !== 1) {
      for (const c of list) c.dispose();
      throw new Error(`bootstrap half worker: expected one ciphertext, got ${list.length}`);
    }
    return list[0];
  }

  /** Blocks until the posted job is done; returns every ciphertext it answered (the caller frees them). */
  finishAll(ctx: CkksContext): Ciphertext[] {
    if (!this.pending || !this.reply) throw new Error("bootstrap half worker: no half is running");
    const state = new Int32Array(this.reply, 0, 4);
    const t0 = performance.now();
    let bytes: Uint8Array[];
    try {
      const r = Atomics.wait(state, 0, 0, this.timeoutMs);
      if (r === "timed-out") {
        this.failure ??= new Error(`bootstrap half worker: no answer within ${this.timeoutMs / 1000} s`);
        throw this.failure;
      }
      const code = Atomics.load(state, 0);
      const n = Atomics.load(state, 1);
      const data = new Uint8Array(this.reply, HEADER, n);
      if (code === 2) throw new Error(`bootstrap half worker: ${new TextDecoder().decode(data.slice())}`);
      if (code !== 1) throw new Error(`bootstrap half worker: unexpected reply state ${code}`);
      bytes = unpackCiphertexts(data);
    } finally {
      this.pending = false;
      this.waitSeconds += (performance.now() - t0) / 1000;
    }
    if (this.pendingHalf) this.halves++;
    const out: Ciphertext[] = [];
    try {
      for (const b of bytes) out.push(Ciphertext.fromBytes(ctx, b));
      return out;
    } catch (e) {
      for (const c of out) c.dispose();
      throw e;
    }
  }

  /** Frees the worker's SEAL objects and ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ type: "shutdown" } satisfies ToWorker);
    await this.worker.terminate();
  }
}
