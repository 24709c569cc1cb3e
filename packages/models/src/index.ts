// @ola/models public API: ONNX import into a typed graph IR, activation sites, graph rewrites, CIFAR-10 datasets,
// model registry over the data folder, and plaintext execution with onnxruntime-node.
export * from "./errors.js";
export { resolveDataDir, findRepoRoot, dataFile } from "./data-dir.js";
export type { Normalization, ReferenceAccuracy, ModelEntry, DatasetEntry, Registry } from "./registry.js";
export { loadRegistry, IMAGENET_NORMALIZATION, DATASET_FILES } from "./registry.js";
export type { ImageBatch, SubsetOptions } from "./cifar10.js";
export { Cifar10Dataset, openDataset, selectIndices, CIFAR10_CLASSES, CIFAR10_IMAGE_BYTES, CIFAR10_RECORD_BYTES } from "./cifar10.js";
export { normalizeImages } from "./normalize.js";
export type { Graph, GraphNode, Tensor, TensorData, TensorDataType, AttributeValue, ValueInfo } from "./graph.js";
export { countParameters, operatorCounts, producers, consumers, elementCount, tensorNumbers } from "./graph.js";
export { importOnnx, graphFromModel, SUPPORTED_OPERATORS, PATTERN_OPERATORS, NON_POLYNOMIAL_OPERATORS } from "./import.js";
export type { ActivationKind, ActivationSite } from "./activation-sites.js";
export { findActivationSites } from "./activation-sites.js";
export type { LoadedModel } from "./load-model.js";
export { loadModel, sha256Hex } from "./load-model.js";
export type { RunnerOptions, OutputTensor, Feeds } from "./runner.js";
export { OnnxRunner, top1, argmaxRows } from "./runner.js";
export type { EvaluateOptions, EvaluationResult } from "./evaluate.js";
export { evaluateModel } from "./evaluate.js";
export { exposeTensors } from "./transforms/expose-tensors.js";
export type { PolyOp, PolyCost, PolyProgram } from "./poly-program.js";
export { validatePolyProgram } from "./poly-program.js";
export type { ActivationReplacement } from "./transforms/replace-activations.js";
export { replaceActivations } from "./transforms/replace-activations.js";
export { extractSubgraph } from "./transforms/extract-subgraph.js";
export { foldBatchNorm } from "./transforms/fold-batchnorm.js";
export { decodeModel, encodeModel } from "./onnx-io.js";
