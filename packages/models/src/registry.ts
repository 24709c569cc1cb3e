// The model and dataset registry over the data folder's MANIFEST.json.
// Model names are the ONNX file names without extension ("resnet20", "resnet20-fused", "convnext-cifar10").
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { dataFile, resolveDataDir } from "./data-dir.js";
import { DataCorruptError } from "./errors.js";

export interface Normalization {
  /** Per-channel mean of pixel/255 (RGB). */
  mean: number[];
  /** Per-channel standard deviation of pixel/255 (RGB). */
  std: number[];
}

/**
 * ImageNet statistics. models/README.md: all three reference models (ResNet-20/32 from akamaster's trainer.py,
 * and the ConvNeXt) were trained with x = (pixel/255 - mean)/std using these values, applied outside the graph.
 */
export const IMAGENET_NORMALIZATION: Normalization = Object.freeze({
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
}) as Normalization;

/** Reference top-1 accuracies, keyed by dataset name. */
export interface ReferenceAccuracy {
  "cifar10-test"?: number;
  "cifar10-test-lossless"?: number;
  [dataset: string]: number | undefined;
}

export interface ModelEntry {
  name: string;
  /** Path relative to the data folder, e.g. "models/resnet20.onnx". */
  file: string;
  size: number;
  sha256: string;
  opset?: number;
  normalization: Normalization;
  reference: ReferenceAccuracy;
  /** Path (relative to the data folder) of the torch logits for the first 100 test_batch records, if any. */
  refLogitsFirst100?: string;
}

export interface DatasetEntry {
  name: string;
  file: string;
  size: number;
  sha256: string;
  records: number;
  lossless: boolean;
  description: string;
}

export interface Registry {
  dataDir: string;
  models: Map<string, ModelEntry>;
  datasets: Map<string, DatasetEntry>;
}

/** Dataset names (INTERFACES.md section 2) and their files. */
export const DATASET_FILES: Record<string, { file: string; lossless: boolean; description: string }> = {
  "cifar10-test-lossless": {
    file: "cifar10/test_lossless_1000.bin",
    lossless: true,
    description: "first 1,000 CIFAR-10 test images, original pixels (headline evaluation set)",
  },
  "cifar10-test": {
    file: "cifar10/test_batch.bin",
    lossless: false,
    description: "all 10,000 CIFAR-10 test images, JPEG-decoded (q75), round-robin class order",
  },
  "cifar10-train": {
    file: "cifar10/train_subset.bin",
    lossless: false,
    description: "10,000 CIFAR-10 training images, JPEG-decoded (q75)",
  },
  "cifar10-train-lossless": {
    file: "cifar10/train_lossless_4000.bin",
    lossless: true,
    description: "first 4,000 images of data_batch_1, original pixels",
  },
};

interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  kind?: string;
  opset?: number;
  io?: string;
  accuracy_top1?: { value?: number } & Record<string, unknown>;
  accuracy_top1_test_lossless_1000?: { value?: number };
  [k: string]: unknown;
}

/** Parses "mean 0.485,0.456,0.406, std 0.229,0.224,0.225" out of a manifest io description. */
function parseNormalization(io: string | undefined): Normalization | undefined {
  if (!io) return undefined;
  const num = "(-?\\d*\\.?\\d+)";
  const three = `${num}\\s*,\\s*${num}\\s*,\\s*${num}`;
  const m = new RegExp(`mean\\s+${three}`).exec(io);
  const s = new RegExp(`std\\s+${three}`).exec(io);
  if (!m || !s) return undefined;
  return { mean: [+m[1]!, +m[2]!, +m[3]!], std: [+s[1]!, +s[2]!, +s[3]!] };
}

let cache: { dir: string; registry: Registry } | undefined;

/** Reads MANIFEST.json of the data folder (cached per folder). */
export function loadRegistry(): Registry {
  const dir = resolveDataDir();
  if (cache && cache.dir === dir) return cache.registry;
  const manifestPath = dataFile("MANIFEST.json", "data manifest");
  let manifest: { files?: ManifestFile[] };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (e) {
    throw new DataCorruptError(`${manifestPath}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(manifest.files)) throw new DataCorruptError(`${manifestPath}: no "files" array`);
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  const models = new Map<string, ModelEntry>();
  for (const f of manifest.files) {
    if (f.kind !== "onnx" && !f.path.endsWith(".onnx")) continue;
    const name = basename(f.path).replace(/\.onnx$/, "");
    const reference: ReferenceAccuracy = {};
    if (typeof f.accuracy_top1?.value === "number") reference["cifar10-test"] = f.accuracy_top1.value;
    if (typeof f.accuracy_top1_test_lossless_1000?.value === "number")
      reference["cifar10-test-lossless"] = f.accuracy_top1_test_lossless_1000.value;
    const logitsPath = f.path.replace(/(-fused)?\.onnx$/, ".ref_logits_first100.f32");
    models.set(name, {
      name,
      file: f.path,
      size: f.size,
      sha256: f.sha256,
      opset: f.opset,
      normalization: parseNormalization(f.io) ?? { ...IMAGENET_NORMALIZATION },
      reference,
      refLogitsFirst100: byPath.has(logitsPath) ? logitsPath : undefined,
    });
  }
  // Dataset-level accuracies (e.g. train_subset.bin carries {resnet20: 0.8611}) complete the model references.
  const datasets = new Map<string, DatasetEntry>();
  for (const [name, d] of Object.entries(DATASET_FILES)) {
    const f = byPath.get(d.file);
    if (!f) continue;
    datasets.set(name, {
      name,
      file: d.file,
      size: f.size,
      sha256: f.sha256,
      records: f.size / 3073,
      lossless: d.lossless,
      description: d.description,
    });
    const acc = f.accuracy_top1 as Record<string, unknown> | undefined;
    if (acc) {
      for (const [model, v] of Object.entries(acc)) {
        const entry = models.get(model);
        if (entry && typeof v === "number" && entry.reference[name] === undefined) entry.reference[name] = v;
        const fused = models.get(`${model}-fused`);
        if (fused && typeof v === "number" && fused.reference[name] === undefined) fused.reference[name] = v;
      }
    }
  }
  const registry = { dataDir: dir, models, datasets };
  cache = { dir, registry };
  return registry;
}
