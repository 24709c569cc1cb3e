/**
 * The profiler: runs a calibration set through the model with every activation input exposed as an
 * extra graph output (one onnxruntime session, batched) and accumulates per-site statistics.
 */
import { createHash } from "node:crypto";
import {
  OnnxRunner,
  exposeTensors,
  findActivationSites,
  normalizeImages,
  openDataset,
  selectIndices,
  type ActivationSite,
  type LoadedModel,
} from "@ola/models";
import { ProfileError } from "./errors.js";
import { PROFILE_FORMAT, PROFILE_VERSION, type Profile } from "./profile-file.js";
import { DEFAULT_STATS_SETTINGS, SiteStatsAccumulator, type StatsSettings } from "./site-stats.js";

export const DEFAULT_CALIBRATION_DATASET = "cifar10-train";
export const DEFAULT_CALIBRATION_IMAGES = 1000;

export interface ProfileOptions {
  /** Dataset name or CIFAR-10 .bin path. Default "cifar10-train" (train_subset.bin). */
  dataset?: string;
  /** Number of calibration images. Default 1000 (all records if the file has fewer). */
  images?: number;
  /**
   * Selection seed: a uniform sample without replacement of `images` records, drawn with this seed
   * (mulberry32 partial Fisher–Yates, @ola/models `selectIndices`) and read in ascending order.
   * `null` takes the first `images` records. Default 0.
   */
  seed?: number | null;
  /** Images per onnxruntime run. Default 50. */
  batchSize?: number;
  /** onnxruntime intra-op threads. Default 1. */
  threads?: number;
  /** Statistics settings (histogram cells, reservoir size, tails, reservoir seed). */
  stats?: Partial<StatsSettings>;
  /** Profile only these sites (default: every site of `findActivationSites`). */
  sites?: ActivationSite[];
  /** Called after every batch with (images done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Profiles `model` on a deterministic calibration subset. */
export async function profileModel(model: LoadedModel, opts: ProfileOptions = {}): Promise<Profile> {
  const sites = opts.sites ?? findActivationSites(model.graph);
  if (sites.length === 0) throw new ProfileError(`model '${model.name}' (${model.path}) has no activation sites to profile`);
  const settings: StatsSettings = { ...DEFAULT_STATS_SETTINGS, ...opts.stats };
  const batchSize = opts.batchSize ?? 50;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const datasetName = opts.dataset ?? DEFAULT_CALIBRATION_DATASET;
  const dataset = openDataset(datasetName);
  try {
    const want = opts.images ?? DEFAULT_CALIBRATION_IMAGES;
    if (!Number.isInteger(want) || want < 1) throw new RangeError(`images must be a positive integer, got ${want}`);
    const seed = opts.seed === undefined ? 0 : opts.seed;
    const indices = selectIndices(dataset.count, seed === null ? { limit: want } : { limit: want, seed });
    const n = indices.length;
    // A tensor feeding several activations is exposed and accumulated once.
    const tensors = [...new Set(sites.map((s) => s.inputTensor))];
    const bytes = exposeTensors(model.bytes, tensors);
    const runner = await OnnxRunner.create(bytes, { threads: opts.threads ?? 1 });
    // Each tensor gets its own reservoir seed (seed + index of its first site), so sites with similar
    // distributions do not share a sample pattern.
    const accs = tensors.map((t) => new SiteStatsAccumulator({ ...settings, seed: settings.seed + sites.findIndex((s) => s.inputTensor === t) }));
    try {
      const input = runner.inputNames[0]!;
      let done = 0;
      opts.onProgress?.(0, n);
      for (const batch of dataset.batches(batchSize, indices)) {
        const b = batch.labels.length;
        const x = normalizeImages(batch.images, model.normalization);
        const out = await runner.run({ [input]: { data: x, dims: [b, 3, 32, 32] } }, tensors);
        for (let i = 0; i < tensors.length; i++) {
          const t = out[tensors[i]!];
          if (!t) throw new Error(`onnxruntime did not return the exposed activation input '${tensors[i]}'`);
          accs[i]!.add(t.data);
        }
        done += b;
        opts.onProgress?.(done, n);
      }
    } finally {
      await runner.release();
    }
    const idxBytes = new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength);
    return {
      format: PROFILE_FORMAT,
      version: PROFILE_VERSION,
      model: { name: model.name, sha256: model.sha256 },
      calibration: {
        dataset: datasetName,
        file: dataset.path,
        available: dataset.count,
        images: n,
        selection:
          seed === null
            ? `the first ${n} records`
            : `${n} records drawn uniformly without replacement with seed ${seed} (mulberry32 partial Fisher-Yates), in ascending order`,
        seed,
        indicesSha256: createHash("sha256").update(idxBytes).digest("hex"),
      },
      settings,
      createdAt: new Date().toISOString(),
      tool: "@ola/profile profileModel",
      sites: (() => {
        const stats = new Map(tensors.map((t, i) => [t, accs[i]!.finish()]));
        return sites.map((s) => ({ id: s.id, kind: s.kind, inputTensor: s.inputTensor, shape: s.shape.slice(), stats: stats.get(s.inputTensor)! }));
      })(),
    };
  } finally {
    dataset.close();
  }
}
