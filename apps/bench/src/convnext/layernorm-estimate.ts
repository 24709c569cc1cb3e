// Profiles var + eps at every LayerNormalization of a model on calibration images and sizes the
// encrypted inverse square root for each (layernorm.ts) under the optimiser's CostModel.
import { OnnxRunner, exposeTensors, normalizeImages, openDataset, selectIndices, type LoadedModel } from "@ola/models";
import { networkCost, TableCostModel, type CostModel } from "@ola/optimizer";
import { findLayerNorms, inverseSqrtOptions, normalisedSize, VarianceStats, type InverseSqrtOption } from "./layernorm.js";

export interface LayerNormSiteEstimate {
  node: string;
  size: number;
  rows: number;
  min: number;
  p1: number;
  p99: number;
  max: number;
  /** Cheapest option (predicted seconds) among the initial degrees that converge, or null. */
  best: (InverseSqrtOption & { seconds: number; bootstraps: number }) | null;
  options: InverseSqrtOption[];
  /** Rotations of the two slot sums (mean, variance), log2 of the normalised size each. */
  rotations: number;
}

export interface LayerNormEstimate {
  images: number;
  dataset: string;
  target: number;
  sites: LayerNormSiteEstimate[];
  totalSeconds: number;
  totalBootstraps: number;
  totalRotations: number;
  rotationSeconds: number | null;
  note: string;
}

export const INVERSE_SQRT_DEGREES = [1, 2, 3, 7, 15, 31, 63];

export async function estimateLayerNorm(
  model: LoadedModel,
  costModel: CostModel,
  opts: { images: number; dataset: string; threads: number; target?: number; margin?: number },
): Promise<LayerNormEstimate> {
  const lns = findLayerNorms(model.graph);
  const target = opts.target ?? 2 ** -12;
  if (lns.length === 0) {
    return { images: 0, dataset: opts.dataset, target, sites: [], totalSeconds: 0, totalBootstraps: 0, totalRotations: 0, rotationSeconds: null, note: "The model has no LayerNormalization nodes." };
  }
  const tensors = [...new Set(lns.map((l) => l.inputTensor))];
  const stats = lns.map((l) => new VarianceStats(normalisedSize(l), l.epsilon));
  const runner = await OnnxRunner.create(exposeTensors(model.bytes, tensors), { threads: opts.threads });
  const ds = openDataset(opts.dataset);
  try {
    const idx = selectIndices(ds.count, { limit: opts.images, seed: 1 });
    for (const b of ds.batches(50, idx)) {
      const out = await runner.run({ [runner.inputNames[0]!]: { data: normalizeImages(b.images, model.normalization), dims: [b.labels.length, 3, 32, 32] } }, tensors);
      lns.forEach((l, i) => stats[i]!.add(out[l.inputTensor]!.data));
    }
  } finally {
    ds.close();
    await runner.release();
  }
  // Margin on the range: unseen inputs may fall somewhat outside the calibration extremes (x0.5 below, x2 above by default).
  const m = opts.margin ?? 2;
  const sites = lns.map((l, i): LayerNormSiteEstimate => {
    const s = stats[i]!;
    const options = inverseSqrtOptions(s.min / m, s.max * m, INVERSE_SQRT_DEGREES, target);
    let best: LayerNormSiteEstimate["best"] = null;
    for (const o of options) {
      if (!o.cost) continue;
      const nc = networkCost(costModel, [o.cost]);
      if (!best || nc.seconds < best.seconds) best = { ...o, seconds: nc.seconds, bootstraps: nc.bootstraps };
    }
    const size = normalisedSize(l);
    return { node: l.node, size, rows: s.count, min: s.min, p1: s.quantile(0.01), p99: s.quantile(0.99), max: s.max, best, options, rotations: 2 * Math.ceil(Math.log2(size)) };
  });
  const totalRotations = sites.reduce((a, s) => a + s.rotations, 0);
  let rotationSeconds: number | null = null;
  if (costModel instanceof TableCostModel) {
    const top = Math.max(...costModel.table.levels.map((r) => r.primes));
    rotationSeconds = totalRotations * costModel.opsAt(top).rotate;
  }
  const failing = sites.filter((s) => !s.best).length;
  const widest = Math.max(...sites.map((s) => s.max / s.min));
  return {
    images: opts.images,
    dataset: opts.dataset,
    target,
    sites,
    totalSeconds: sites.reduce((a, s) => a + (s.best?.seconds ?? 0), 0),
    totalBootstraps: sites.reduce((a, s) => a + (s.best?.bootstraps ?? 0), 0),
    totalRotations,
    rotationSeconds,
    note:
      `The range of var + eps is the crux: max/min of a LayerNorm's profiled variance reaches ${widest.toExponential(1)} here, ` +
      `so a low-degree initial guess is poor at the ends and Newton needs several steps (each 2 levels), which costs ` +
      `bootstraps. The fit range is the calibration range widened x${m} at each end (var/${m}, var*${m}); inputs outside ` +
      `it can make Newton diverge. ` +
      (failing ? `${failing} LayerNorm(s) have no converging option with y0 degree <= 63 on that range. ` : "") +
      `Alternatives: fold LayerNorm statistics into fixed affine maps (a BatchNorm-style retraining), or a wider-range ` +
      `initial guess (e.g. from a coarse sign/compare or a rational approximation) before Newton.`,
  };
}
