// loadModel: a registry name ("resnet20") or a path to an .onnx file -> bytes, sha256, graph IR, normalisation,
// reference accuracies. A path whose sha256 matches a manifest entry inherits that entry's metadata.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { dataFile } from "./data-dir.js";
import { DataCorruptError, DataMissingError, ModelsError } from "./errors.js";
import type { Graph } from "./graph.js";
import { importOnnx } from "./import.js";
import type { ModelEntry, Normalization, ReferenceAccuracy } from "./registry.js";
import { IMAGENET_NORMALIZATION, loadRegistry } from "./registry.js";

export interface LoadedModel {
  /** Manifest key ("resnet20", "resnet20-fused", ...) or the file name without .onnx. */
  name: string;
  path: string;
  bytes: Uint8Array;
  sha256: string;
  graph: Graph;
  normalization: Normalization;
  reference?: ReferenceAccuracy;
  /** The manifest entry when the model is a registry model (by name or by content hash). */
  entry?: ModelEntry;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function tryRegistry() {
  try {
    return loadRegistry();
  } catch {
    return undefined; // a user-supplied file does not need the data folder
  }
}

export async function loadModel(nameOrPath: string): Promise<LoadedModel> {
  const looksLikePath = nameOrPath.endsWith(".onnx") || nameOrPath.includes("/") || nameOrPath.includes("\\");
  if (!looksLikePath) {
    const registry = loadRegistry();
    const entry = registry.models.get(nameOrPath);
    if (!entry) {
      throw new ModelsError(
        "MODEL_UNKNOWN",
        `unknown model '${nameOrPath}': known models are ${[...registry.models.keys()].join(", ")} (from ${registry.dataDir}/MANIFEST.json), or give a path to an .onnx file`,
      );
    }
    const path = dataFile(entry.file, `model file for '${entry.name}'`);
    const bytes = new Uint8Array(readFileSync(path));
    const sha256 = sha256Hex(bytes);
    if (sha256 !== entry.sha256) {
      throw new DataCorruptError(`${path}: SHA-256 ${sha256} differs from MANIFEST.json (${entry.sha256}); the file is corrupt or was replaced without updating the manifest`);
    }
    const graph = importOnnx(bytes, path);
    return { name: entry.name, path, bytes, sha256, graph, normalization: entry.normalization, reference: entry.reference, entry };
  }
  const path = resolve(nameOrPath);
  if (!existsSync(path)) throw new DataMissingError(path, "model file");
  const bytes = new Uint8Array(readFileSync(path));
  const sha256 = sha256Hex(bytes);
  const graph = importOnnx(bytes, path);
  const entry = tryRegistry() && [...tryRegistry()!.models.values()].find((m) => m.sha256 === sha256);
  return {
    name: entry?.name ?? basename(path).replace(/\.onnx$/, ""),
    path,
    bytes,
    sha256,
    graph,
    normalization: entry?.normalization ?? { ...IMAGENET_NORMALIZATION },
    reference: entry?.reference,
    entry: entry || undefined,
  };
}
