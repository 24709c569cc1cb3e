// Plaintext validation of a plan: run the model with every activation replaced by its plan
// polynomial (the same PolyProgram arithmetic as the encrypted side, as ONNX subgraphs) on a test
// file, measure top-1, and count the activation inputs that fall outside each site's interval
// (inputs the polynomial was not fitted for; far outside, a polynomial explodes).
import {
  OnnxRunner,
  argmaxRows,
  exposeTensors,
  findActivationSites,
  normalizeImages,
  openDataset,
  replaceActivations,
  type Cifar10Dataset,
  type LoadedModel,
  type Normalization,
} from "@ola/models";
import { planPrograms, planSiteInterval } from "./plan-programs.js";
import type { Plan, PlanValidated } from "./plan.js";

export interface SiteInterval {
  id: string;
  inputTensor: string;
  interval: [number, number];
}

export interface DatasetValidation {
  dataset: string;
  images: number;
  top1: number; // percent
  predictions: Int32Array;
  /** 1 where the prediction equals the label. */
  correct: Uint8Array;
  /** Per site id: input values outside the interval (over all images and elements). */
  outOfRange: Record<string, number>;
  /** Per site id: number of images with at least one input outside the interval. */
  imagesOutOfRange: Record<string, number>;
}

export interface ValidateOptions {
  normalization: Normalization;
  inputName: string;
  outputName: string;
  threads?: number;
  batchSize?: number;
  limit?: number;
  /** Evaluate images start..limit-1 only (default 0): continues an evaluation of the first `start`. */
  start?: number;
  onProgress?: (done: number, total: number) => void;
  /** Stop early once the top-1 cannot reach `minTop1` (percent) any more (for fast rejection). */
  minTop1?: number;
}

/**
 * Evaluate `modelBytes` on `dataset`. If `sites` is non-empty, their input tensors must be outputs
 * of the model (use exposeTensors) and out-of-range inputs are counted.
 */
export async function validateOnDataset(
  modelBytes: Uint8Array,
  dataset: Cifar10Dataset,
  sites: SiteInterval[],
  opts: ValidateOptions,
): Promise<DatasetValidation & { stoppedEarly: boolean }> {
  const runner = await OnnxRunner.create(modelBytes, { threads: opts.threads ?? 2 });
  const start = Math.max(0, opts.start ?? 0);
  const n = Math.max(0, Math.min(opts.limit ?? dataset.count, dataset.count) - start);
  const batch = opts.batchSize ?? 100;
  const predictions = new Int32Array(n);
  const correctFlags = new Uint8Array(n);
  const outOfRange: Record<string, number> = Object.fromEntries(sites.map((s) => [s.id, 0]));
  const imagesOutOfRange: Record<string, number> = Object.fromEntries(sites.map((s) => [s.id, 0]));
  const indices = Int32Array.from({ length: n }, (_, i) => start + i);
  let correct = 0;
  let done = 0;
  let stoppedEarly = false;
  try {
    const outputs = [opts.outputName, ...new Set(sites.map((s) => s.inputTensor))];
    for (const b of dataset.batches(batch, indices)) {
      const m = b.labels.length;
      const x = normalizeImages(b.images, opts.normalization);
      const r = await runner.run({ [opts.inputName]: { data: x, dims: [m, 3, 32, 32] } }, outputs);
      const logits = r[opts.outputName]!;
      const pred = argmaxRows(logits.data, logits.dims[logits.dims.length - 1]!);
      for (let i = 0; i < m; i++) {
        predictions[done + i] = pred[i]!;
        if (pred[i] === b.labels[i]) {
          correct++;
          correctFlags[done + i] = 1;
        }
      }
      for (const s of sites) {
        const t = r[s.inputTensor]!;
        const per = t.data.length / m;
        const [lo, hi] = s.interval;
        let total = 0;
        let imgs = 0;
        for (let i = 0; i < m; i++) {
          let c = 0;
          for (let j = i * per, e = j + per; j < e; j++) {
            const v = t.data[j]!;
            if (v < lo || v > hi || Number.isNaN(v)) c++;
          }
          total += c;
          if (c > 0) imgs++;
        }
        outOfRange[s.id]! += total;
        imagesOutOfRange[s.id]! += imgs;
      }
      done += m;
      opts.onProgress?.(done, n);
      if (opts.minTop1 !== undefined && (100 * (correct + (n - done))) / n < opts.minTop1) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    await runner.release();
  }
  return {
    dataset: dataset.name,
    images: done,
    top1: (100 * correct) / Math.max(1, done),
    predictions: predictions.subarray(0, done),
    correct: correctFlags.subarray(0, done),
    outOfRange,
    imagesOutOfRange,
    stoppedEarly,
  };
}

/**
 * Two evaluations of consecutive image ranges of the same file (first `a`, then `b` starting where
 * `a` ended) as one evaluation of their union.
 */
export function mergeValidations(a: DatasetValidation, b: DatasetValidation): DatasetValidation {
  if (a.dataset !== b.dataset) throw new Error(`cannot merge validations of ${a.dataset} and ${b.dataset}`);
  const images = a.images + b.images;
  const correct = new Uint8Array(images);
  correct.set(a.correct);
  correct.set(b.correct, a.images);
  const predictions = new Int32Array(images);
  predictions.set(a.predictions);
  predictions.set(b.predictions, a.images);
  let c = 0;
  for (let i = 0; i < images; i++) c += correct[i]!;
  const sum = (x: Record<string, number>, y: Record<string, number>) =>
    Object.fromEntries([...new Set([...Object.keys(x), ...Object.keys(y)])].map((k) => [k, (x[k] ?? 0) + (y[k] ?? 0)]));
  return {
    dataset: a.dataset,
    images,
    top1: (100 * c) / Math.max(1, images),
    predictions,
    correct,
    outOfRange: sum(a.outOfRange, b.outOfRange),
    imagesOutOfRange: sum(a.imagesOutOfRange, b.imagesOutOfRange),
  };
}

/**
 * The model's bytes with every site replaced by its plan polynomial. Refuses a plan made for other
 * model bytes (sha256) or whose sites do not match the model's activation sites one to one.
 */
export function applyPlan(model: LoadedModel, plan: Plan): Uint8Array {
  if (plan.model.sha256 !== model.sha256) {
    throw new Error(
      `plan is for model ${plan.model.name} (sha256 ${plan.model.sha256.slice(0, 12)}…) but ${model.name} has sha256 ${model.sha256.slice(0, 12)}…`,
    );
  }
  const sites = findActivationSites(model.graph);
  const ids = new Set(sites.map((s) => s.id));
  plan.sites.forEach((s, i) => {
    if (!ids.has(s.id)) throw new Error(`plan sites[${i}].id "${s.id}" is not an activation site of ${model.name}`);
  });
  const missing = sites.filter((s) => !plan.sites.some((p) => p.id === s.id));
  if (missing.length > 0) throw new Error(`plan has no entry for site(s) ${missing.map((s) => s.id).join(", ")} of ${model.name}`);
  return replaceActivations(model.bytes, planPrograms(plan));
}

/** Validate a plan in plaintext on the test files: top-1 vs the exact model, out-of-range counts. */
export async function validatePlanInPlaintext(
  model: LoadedModel,
  plan: Plan,
  opts: {
    datasets?: readonly string[];
    threads?: number;
    limit?: number;
    onProgress?: (stage: string, done: number, total: number) => void;
  } = {},
): Promise<PlanValidated> {
  const datasets = opts.datasets ?? ["cifar10-test-lossless", "cifar10-test"];
  const sites = findActivationSites(model.graph);
  const byId = new Map(sites.map((s) => [s.id, s]));
  const intervals = plan.sites.map((s) => ({ id: s.id, inputTensor: byId.get(s.id)!.inputTensor, interval: planSiteInterval(s) }));
  const bytes = exposeTensors(applyPlan(model, plan), [...new Set(intervals.map((s) => s.inputTensor))]);
  const inputName = model.graph.inputs[0]!.name;
  const outputName = model.graph.outputs[0]!.name;
  const out: PlanValidated = { top1: {}, baselineTop1: {}, images: {}, outOfRange: {} };
  for (const name of datasets) {
    const d = openDataset(name);
    try {
      const common = { normalization: model.normalization, inputName, outputName, threads: opts.threads ?? 2, limit: opts.limit };
      const base = await validateOnDataset(model.bytes, d, [], { ...common, onProgress: (a, b) => opts.onProgress?.(`exact ${name}`, a, b) });
      const v = await validateOnDataset(bytes, d, intervals, { ...common, onProgress: (a, b) => opts.onProgress?.(`plan ${name}`, a, b) });
      out.top1[name] = v.top1;
      out.baselineTop1[name] = base.top1;
      out.images[name] = v.images;
      out.outOfRange![name] = v.outOfRange;
    } finally {
      d.close();
    }
  }
  return out;
}
