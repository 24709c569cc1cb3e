// Top-1 evaluation of ONNX bytes on a CIFAR-10 dataset: the one routine behind `ola eval`, the optimiser's
// validation and the plaintext bench. It takes bytes (not a model name), so any rewritten model
// (replaceActivations, a plan applied) is evaluated by exactly the same code.
import { performance } from "node:perf_hooks";
import type { Cifar10Dataset, SubsetOptions } from "./cifar10.js";
import { selectIndices } from "./cifar10.js";
import { normalizeImages } from "./normalize.js";
import type { Normalization } from "./registry.js";
import { OnnxRunner, argmaxRows } from "./runner.js";

export interface EvaluateOptions extends SubsetOptions {
  normalization: Normalization;
  /** Images per session run (default 100). */
  batchSize?: number;
  /** Intra-op threads when the function creates the session (default 1). */
  threads?: number;
  /** Reuse a session (then `threads` is ignored and the session is not released). */
  runner?: OnnxRunner;
  /** Explicit record indices (overrides offset/limit/seed). */
  indices?: Int32Array;
  /** Called after each batch with (images done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Keep the logits of every image (n x classes), e.g. for agreement statistics. */
  keepLogits?: boolean;
}

export interface EvaluationResult {
  images: number;
  correct: number;
  top1: number;
  /** Wall time of the session runs only (normalisation and reading included, session creation excluded). */
  seconds: number;
  imagesPerSecond: number;
  predictions: Int32Array;
  labels: Uint8Array;
  indices: Int32Array;
  logits?: Float32Array;
}

export async function evaluateModel(modelBytes: Uint8Array | undefined, dataset: Cifar10Dataset, opts: EvaluateOptions): Promise<EvaluationResult> {
  if (!opts.runner && !modelBytes) throw new TypeError("evaluateModel: give the model bytes or an existing runner (opts.runner)");
  const runner = opts.runner ?? (await OnnxRunner.create(modelBytes!, { threads: opts.threads ?? 1 }));
  try {
    const indices = opts.indices ?? selectIndices(dataset.count, opts);
    const batchSize = opts.batchSize ?? 100;
    const n = indices.length;
    const predictions = new Int32Array(n);
    const labels = new Uint8Array(n);
    let logitsAll: Float32Array | undefined;
    let classes = 0;
    let correct = 0;
    let done = 0;
    const t0 = performance.now();
    for (const batch of dataset.batches(batchSize, indices)) {
      const b = batch.labels.length;
      const x = normalizeImages(batch.images, opts.normalization);
      const out = await runner.runBatch(x, [b, 3, 32, 32]);
      classes = out.dims[out.dims.length - 1]!;
      const pred = argmaxRows(out.data, classes);
      if (opts.keepLogits) {
        logitsAll ??= new Float32Array(n * classes);
        logitsAll.set(out.data, done * classes);
      }
      for (let i = 0; i < b; i++) {
        predictions[done + i] = pred[i]!;
        labels[done + i] = batch.labels[i]!;
        if (pred[i] === batch.labels[i]) correct++;
      }
      done += b;
      opts.onProgress?.(done, n);
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      images: n,
      correct,
      top1: n ? correct / n : 0,
      seconds,
      imagesPerSecond: seconds > 0 ? n / seconds : 0,
      predictions,
      labels,
      indices,
      logits: logitsAll,
    };
  } finally {
    if (!opts.runner) await runner.release();
  }
}
