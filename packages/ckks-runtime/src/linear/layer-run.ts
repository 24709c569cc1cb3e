// One packed linear layer end to end: keys for exactly the plan's rotation steps, encrypt the packed input at
// a chosen level, evaluate (in process or on a WorkerPool), decrypt, unpack, and compare with the plaintext
// slot simulator. Used by `ola he layer` and the linear bench; the onnxruntime reference lives with them.
import { performance } from "node:perf_hooks";
import { Ciphertext } from "../ciphertext.js";
import { CkksClient } from "../client.js";
import { CkksContext } from "../context.js";
import { Evaluator } from "../evaluator.js";
import type { ParameterSet } from "../params.js";
import { WorkerPool, type RunStats } from "../workers/pool.js";
import { runLinearEncrypted } from "./encrypted.js";
import type { LayerPlan } from "./layers.js";
import type { SlotProgramCounts } from "./program.js";
import { simulateSlotProgram } from "./simulator.js";

export interface LayerRunOptions {
  params: ParameterSet;
  allowInsecure?: boolean;
  plan: LayerPlan;
  /** The layer input as a CHW tensor (row-major). */
  input: ArrayLike<number>;
  /** Level the input is encrypted at (≥ 1; default 1: the layer lands on level 0, as before a bootstrap). */
  level?: number;
  /** 0 = evaluate in this thread; n ≥ 1 = on a pool of n workers. */
  workers?: number;
  /** Reuse a context (it is slow to build at N = 2^15). */
  context?: CkksContext;
  onProgress?: (phase: string, done?: number, total?: number) => void;
}

export interface LayerRunResult {
  /** Decrypted output: CHW tensor (conv, shortcut) or the logits (avgpoolFc). */
  output: Float64Array;
  /** The same from the plaintext slot simulator (float64, exact arithmetic). */
  simulated: Float64Array;
  maxAbsErrorVsSimulator: number;
  levelIn: number;
  levelOut: number;
  counts: SlotProgramCounts;
  steps: number[];
  workers: number;
  seconds: { context: number; keys: number; workersInit: number; encrypt: number; layer: number; decrypt: number };
  poolStats?: RunStats;
}

/** Reads the layer's output tensor (or logits) from a decrypted slot vector. */
export function unpackLayerOutput(plan: LayerPlan, slots: Float64Array): Float64Array {
  if (plan.output) return plan.output.unpack(slots);
  return Float64Array.from(plan.outputSlots!, (s) => slots[s]!);
}

export async function runLayer(opts: LayerRunOptions): Promise<LayerRunResult> {
  const { plan } = opts;
  const level = opts.level ?? 1;
  const workers = opts.workers ?? 0;
  const progress = opts.onProgress ?? (() => {});
  const seconds = { context: 0, keys: 0, workersInit: 0, encrypt: 0, layer: 0, decrypt: 0 };
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const s = (now - t) / 1000;
    t = now;
    return s;
  };
  progress("context");
  const ctx = opts.context ?? (await CkksContext.create(opts.params, { allowInsecure: opts.allowInsecure }));
  seconds.context = lap();
  if (ctx.slots !== plan.program.slots)
    throw new Error(`layer compiled for ${plan.program.slots} slots, parameter set '${ctx.params.name}' has ${ctx.slots}`);
  if (level < plan.program.counts.levels || level > ctx.topLevel)
    throw new Error(`--level ${level}: must be in [${plan.program.counts.levels}, ${ctx.topLevel}] for this layer and preset`);
  const client = new CkksClient(ctx);
  let ev: Evaluator | undefined;
  let pool: WorkerPool | undefined;
  try {
    progress("keys");
    const keys = client.evaluationKeys(plan.program.steps);
    seconds.keys = lap();
    if (workers > 0) {
      progress("workers");
      pool = await WorkerPool.create({ params: opts.params, keys, workers, allowInsecure: opts.allowInsecure });
    } else {
      ev = new Evaluator(ctx, keys);
    }
    seconds.workersInit = lap();
    const packed = plan.input.pack(opts.input);
    using ct = client.encrypt(packed, { level });
    seconds.encrypt = lap();
    progress("layer", 0, plan.program.ops.length);
    let out: Ciphertext;
    let poolStats: RunStats | undefined;
    if (pool) {
      const r = await pool.run(plan.program, ct.toBytes(), (d, n) => progress("layer", d, n));
      out = Ciphertext.fromBytes(ctx, r.output);
      poolStats = r.stats;
    } else {
      out = runLinearEncrypted(plan.program, ct, ev!);
    }
    seconds.layer = lap();
    try {
      const dec = client.decrypt(out);
      seconds.decrypt = lap();
      const sim = simulateSlotProgram(plan.program, packed);
      let maxErr = 0;
      for (let i = 0; i < sim.length; i++) maxErr = Math.max(maxErr, Math.abs(sim[i]! - dec[i]!));
      return {
        output: unpackLayerOutput(plan, dec),
        simulated: unpackLayerOutput(plan, sim),
        maxAbsErrorVsSimulator: maxErr,
        levelIn: level,
        levelOut: out.level,
        counts: plan.program.counts,
        steps: plan.program.steps,
        workers,
        seconds,
        poolStats,
      };
    } finally {
      out.dispose();
    }
  } finally {
    ev?.dispose();
    await pool?.close();
    client.dispose();
    if (!opts.context) ctx.dispose();
  }
}
