// A long-lived pool of worker threads, each with its own SEAL instance (context built once per worker,
// evaluation keys loaded from bytes), that runs the independent operations of a SlotProgram concurrently.
//
// Scheduling: the program is a DAG (SSA registers). The main thread keeps the set of ready ops and hands
// each idle worker the ready op with the most operands already resident on it (ties: program order, which
// puts baby steps before giant steps and Horner chains in order); ops that read plaintext vectors have a fixed
// home worker so that the per-worker cache of encoded diagonals is hit on repeated runs. Operands held by another worker are
// exported (SEAL bytes, transferred) and loaded on the target; values are dropped on every holder once their
// last reader has run. The arithmetic is deterministic, so the result is bit-identical to a single-thread run.
// Independent work per layer: baby rotation chains, all dot products (ct×pt of every diagonal group), the
// interleaved outer Horner chains (TransformOptions.hornerChains = number of workers).
import { Worker } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import type { EvaluationKeys } from "../client.js";
import type { ParameterSet } from "../params.js";
import { readsOf, type SlotProgram } from "../linear/program.js";
import type { FromWorker, ToWorker } from "./protocol.js";
import { startWorker } from "./start.js";

export interface WorkerPoolOptions {
  params: ParameterSet;
  keys: EvaluationKeys;
  /** Number of worker threads (≥ 1). */
  workers: number;
  /** Allow an insecure parameter set (test preset). */
  allowInsecure?: boolean;
  /** Per-worker resident Galois-key budget (KeyStore), bytes. */
  keyBudgetBytes?: number;
  /** Per-worker bytes of encoded diagonals kept between runs (default 0: encode on every run). */
  plainCacheBytes?: number;
  /**
   * Give every rotation step a home worker (fixed for the pool's lifetime, balanced by rotation count when the
   * step is first seen), so each worker loads only its share of the Galois keys into its wasm heap (210 MiB per
   * key at N = 2^15). Saves memory; costs parallelism when one step dominates (e.g. a Horner chain).
   */
  keyAffinity?: boolean;
}

export interface RunStats {
  seconds: number;
  /** ops executed per worker */
  opsPerWorker: number[];
  /** busy seconds per worker */
  busySeconds: number[];
  /** ciphertexts loaded into a worker (including the input) */
  transfers: number;
  transferBytes: number;
}

interface Pending {
  resolve: (m: FromWorker) => void;
  reject: (e: Error) => void;
  what: string;
}

class PoolWorker {
  readonly pending = new Map<number, Pending>();
  readyPromise: Promise<number>;
  failed: Error | undefined;
  programs = new Set<number>();

  constructor(
    readonly index: number,
    readonly worker: Worker,
  ) {
    let resolveReady!: (s: number) => void;
    let rejectReady!: (e: Error) => void;
    this.readyPromise = new Promise<number>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    this.readyPromise.catch(() => {});
    worker.on("message", (m: FromWorker) => {
      if (m.type === "ready") return resolveReady(m.seconds);
      if (m.type === "error" && m.task === -1) {
        const err = new Error(`worker ${index}: ${m.message}`);
        this.fail(err);
        rejectReady(err);
        return;
      }
      const p = this.pending.get(m.task);
      if (!p) return;
      this.pending.delete(m.task);
      if (m.type === "error") p.reject(new Error(`worker ${index}, ${p.what}: ${m.message}`));
      else p.resolve(m);
    });
    worker.on("error", (e) => {
      const err = new Error(`worker ${index} crashed: ${e.message}`);
      this.fail(err);
      rejectReady(err);
    });
    worker.on("exit", (code) => {
      const err = new Error(`worker ${index} exited (code ${code})`);
      this.fail(err);
      rejectReady(err);
    });
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  request(task: number, what: string, msg: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.pending.set(task, { resolve, reject, what });
      this.worker.postMessage(msg, transfer);
    });
  }

  send(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.failed) this.worker.postMessage(msg, transfer);
  }
}

/** Key bytes in a SharedArrayBuffer, so every worker reads the same memory (no per-worker copy). */
function share(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const sab = new SharedArrayBuffer(bytes.byteLength);
  const view = new Uint8Array(sab);
  view.set(bytes);
  return view;
}

/**
 * Evaluation keys moved into SharedArrayBuffers. Pass the result to WorkerPool.create (and drop the original)
 * to hold the keys once in the main thread for any number of pools and workers: at N = 2^15 a Galois key is
 * 210 MiB.
 */
export function shareEvaluationKeys(keys: EvaluationKeys): EvaluationKeys {
  return {
    relinKeys: share(keys.relinKeys),
    galoisKeys: new Map([...keys.galoisKeys].map(([s, b]) => [s, share(b)])),
  };
}

export class WorkerPool {
  private nextTask = 1;
  private nextValue = 1;
  private nextProgram = 1;
  /** keyAffinity: rotation step → worker, and rotations assigned to each worker so far. */
  private readonly stepHome = new Map<number, number>();
  private readonly rotationsHomed: number[];
  private keyAffinity = false;
  private readonly programIds = new WeakMap<SlotProgram, number>();
  private closed = false;

  private constructor(
    private readonly workers: PoolWorker[],
    /** Seconds each worker needed to build its context and load keys. */
    readonly initSeconds: number[],
  ) {
    this.rotationsHomed = workers.map(() => 0);
  }

  get size(): number {
    return this.workers.length;
  }

  static async create(opts: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(opts.workers) || opts.workers < 1)
      throw new Error(`WorkerPool: workers must be an integer ≥ 1, got ${opts.workers}`);
    const shared = shareEvaluationKeys(opts.keys);
    const relinKeys = shared.relinKeys;
    const galoisKeys: [number, Uint8Array][] = [...shared.galoisKeys];
    const ws: PoolWorker[] = [];
    for (let i = 0; i < opts.workers; i++) {
      const w = startWorker();
      const pw = new PoolWorker(i, w);
      ws.push(pw);
      pw.send({
        type: "init",
        params: opts.params,
        allowInsecure: opts.allowInsecure ?? false,
        relinKeys,
        galoisKeys,
        keyBudgetBytes: opts.keyBudgetBytes,
        plainCacheBytes: opts.plainCacheBytes,
      });
    }
    try {
      const secs = await Promise.all(ws.map((w) => w.readyPromise));
      const pool = new WorkerPool(ws, secs);
      pool.keyAffinity = opts.keyAffinity ?? false;
      return pool;
    } catch (e) {
      await Promise.all(ws.map((w) => w.worker.terminate()));
      throw e;
    }
  }

  private register(program: SlotProgram, w: PoolWorker): number {
    let id = this.programIds.get(program);
    if (id === undefined) {
      id = this.nextProgram++;
      this.programIds.set(program, id);
    }
    if (!w.programs.has(id)) {
      w.send({ type: "program", id, slots: program.slots, ops: program.ops, plains: program.plains });
      w.programs.add(id);
    }
    return id;
  }

  /**
   * Runs `program` on a ciphertext given as SEAL bytes; returns the output ciphertext's bytes.
   * `onProgress(done, total)` is called after every op.
   */
  async run(
    program: SlotProgram,
    input: Uint8Array,
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ output: Uint8Array; stats: RunStats }> {
    if (this.closed) throw new Error("WorkerPool.run: the pool is closed");
    const t0 = performance.now();
    const nOps = program.ops.length;
    const nRegs = nOps + 1;
    const valueOf = new Int32Array(nRegs).fill(-1);
    const holders: Set<number>[] = Array.from({ length: nRegs }, () => new Set<number>());
    const bytesCache = new Map<number, Uint8Array>();
    const done = new Uint8Array(nRegs);
    const remainingReaders = new Int32Array(nRegs);
    const readers: number[][] = Array.from({ length: nRegs }, () => []);
    program.ops.forEach((o, i) => {
      for (const r of readsOf(o)) {
        remainingReaders[r]!++;
        readers[r]!.push(i);
      }
    });
    // Ops that read plaintext vectors (dot, addPlain) always go to the same worker (round robin over them),
    // so a worker's cache of encoded diagonals is hit on every later run of the program.
    const home = new Int32Array(nOps).fill(-1);
    let plainOps = 0;
    program.ops.forEach((o, i) => {
      if (o.op === "dot" || o.op === "addPlain") home[i] = plainOps++ % this.workers.length;
    });
    if (this.keyAffinity) {
      // new steps, most used first, each to the worker with the fewest homed rotations (LPT)
      const uses = new Map<number, number>();
      for (const o of program.ops) if (o.op === "rotate") uses.set(o.step, (uses.get(o.step) ?? 0) + 1);
      for (const [step, n] of [...uses].sort((a, b) => b[1] - a[1] || a[0] - b[0])) {
        if (this.stepHome.has(step)) continue;
        const w = this.rotationsHomed.indexOf(Math.min(...this.rotationsHomed));
        this.stepHome.set(step, w);
        this.rotationsHomed[w]! += n;
      }
      program.ops.forEach((o, i) => {
        if (o.op === "rotate") home[i] = this.stepHome.get(o.step)!;
      });
    }
    const missing = new Int32Array(nOps);
    program.ops.forEach((o, i) => (missing[i] = readsOf(o).length));
    const stats: RunStats = {
      seconds: 0,
      opsPerWorker: this.workers.map(() => 0),
      busySeconds: this.workers.map(() => 0),
      transfers: 0,
      transferBytes: 0,
    };

    // register 0 = input, held only as bytes in the main thread until a worker loads it
    valueOf[0] = this.nextValue++;
    bytesCache.set(0, input);
    done[0] = 1;
    const ready: number[] = [];
    const markDone = (reg: number) => {
      done[reg] = 1;
      for (const i of readers[reg]!) if (--missing[i]! === 0) ready.push(i);
    };
    for (const i of readers[0]!) if (--missing[i]! === 0) ready.push(i);

    const fetchBytes = async (reg: number): Promise<Uint8Array> => {
      const cached = bytesCache.get(reg);
      if (cached) return cached;
      const owner = this.workers[[...holders[reg]!][0]!]!;
      const task = this.nextTask++;
      const m = await owner.request(task, `export of register ${reg}`, { type: "export", task, value: valueOf[reg]! });
      if (m.type !== "bytes") throw new Error("internal: expected bytes");
      // keep a copy for other workers that may need it (transfers detach the buffer)
      bytesCache.set(reg, m.bytes);
      return m.bytes;
    };

    const release = (reg: number) => {
      if (reg === program.output || reg === 0) return;
      if (--remainingReaders[reg]! > 0) return;
      for (const h of holders[reg]!) this.workers[h]!.send({ type: "drop", values: [valueOf[reg]!] });
      holders[reg]!.clear();
      bytesCache.delete(reg);
    };

    let completed = 0;
    let failure: Error | undefined;
    const idle = new Set(this.workers.map((w) => w.index));

    const inflight = new Set<Promise<void>>();
    const schedule = new Promise<void>((resolve, reject) => {
      const pump = () => {
        if (failure) return;
        if (completed === nOps) return resolve();
        for (const wi of [...idle]) {
          if (ready.length === 0) break;
          // pick the ready op with most operands resident on this worker; ties → program order
          let bestK = 0;
          let bestScore = -1;
          let found = false;
          for (let k = 0; k < ready.length; k++) {
            const i = ready[k]!;
            if (home[i] !== -1 && home[i] !== wi) continue;
            found = true;
            const score = readsOf(program.ops[i]!).filter((r) => holders[r]!.has(wi)).length;
            if (score > bestScore || (score === bestScore && i < ready[bestK]!)) {
              bestScore = score;
              bestK = k;
            }
          }
          if (!found) continue;
          const i = ready.splice(bestK, 1)[0]!;
          idle.delete(wi);
          const job: Promise<void> = dispatch(wi, i).then(
            () => {
              inflight.delete(job);
              idle.add(wi);
              pump();
            },
            (e: Error) => {
              inflight.delete(job);
              failure ??= e;
              reject(e);
            },
          );
          inflight.add(job);
        }
      };
      const dispatch = async (wi: number, i: number) => {
        const w = this.workers[wi]!;
        const o = program.ops[i]!;
        const pid = this.register(program, w);
        const reads = readsOf(o);
        const load: [number, Uint8Array][] = [];
        for (const r of reads) {
          if (holders[r]!.has(wi)) continue;
          const b = await fetchBytes(r);
          // structured clone copies the bytes (the cache may serve more workers)
          load.push([valueOf[r]!, b]);
          stats.transfers++;
          stats.transferBytes += b.byteLength;
        }
        const out = this.nextValue++;
        const task = this.nextTask++;
        const regs: [number, number][] = reads.map((r) => [r, valueOf[r]!]);
        const m = await w.request(task, `op ${i} (${o.op}${o.op === "rotate" ? ` ${o.step}` : ""})`, {
          type: "exec",
          task,
          program: pid,
          op: i,
          regs,
          out,
          load,
        });
        if (m.type !== "done") throw new Error("internal: expected done");
        for (const r of reads) holders[r]!.add(wi);
        valueOf[i + 1] = out;
        holders[i + 1]!.add(wi);
        stats.opsPerWorker[wi]!++;
        stats.busySeconds[wi]! += m.seconds;
        completed++;
        onProgress?.(completed, nOps);
        markDone(i + 1);
        for (const r of reads) release(r);
      };
      pump();
    });
    try {
      await schedule;
    } catch (e) {
      // let the ops still running finish, then free every value of this run on every worker
      await Promise.allSettled([...inflight]);
      holders.forEach((hs, reg) => {
        for (const h of hs) this.workers[h]!.send({ type: "drop", values: [valueOf[reg]!] });
      });
      throw e;
    }
    const output = await fetchBytes(program.output);
    for (const reg of [0, program.output])
      for (const h of holders[reg]!) this.workers[h]!.send({ type: "drop", values: [valueOf[reg]!] });
    stats.seconds = (performance.now() - t0) / 1000;
    return { output, stats };
  }

  /** Per worker: ciphertexts currently held, the size of its SEAL wasm heap and the Galois keys loaded in it. */
  async workerStats(): Promise<{ values: number; wasmHeapBytes: number | null; residentKeySteps: number[] }[]> {
    return Promise.all(
      this.workers.map(async (w) => {
        const task = this.nextTask++;
        const m = await w.request(task, "stats", { type: "stats", task });
        if (m.type !== "stats") throw new Error("internal: expected stats");
        return { values: m.values, wasmHeapBytes: m.wasmHeapBytes, residentKeySteps: m.residentKeySteps };
      }),
    );
  }

  /** Stops every worker (frees their SEAL objects first). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.failed) return resolve();
            w.worker.once("exit", () => resolve());
            w.send({ type: "shutdown" });
            // a worker that does not exit promptly is terminated
            setTimeout(() => void w.worker.terminate().then(() => resolve()), 5000).unref();
          }),
      ),
    );
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
