// @ola/ckks-runtime public API: a leveled RNS-CKKS engine on node-seal 6.0.3 (SEAL 4.1, wasm).
// Layering (like Lattigo): parameters -> context/keys -> encoder/evaluator (level and scale tracking)
// -> polynomial evaluation -> linear layers (src/linear) -> bootstrapping (src/bootstrap).
export { loadSeal, wasmHeapBytes, sealErrorMessage } from "./seal.js";
export type {
  SEALLibrary,
  SealCipherText,
  SealPlainText,
  SealContext,
  SealEvaluator,
  SealEncoder,
  SealGaloisKeys,
  SealRelinKeys,
  SealSecretKey,
  SealParmsId,
} from "./seal.js";
export {
  type ParameterSet,
  type ValidatedParameters,
  type SecretDistribution,
  ParameterError,
  HE_STANDARD_MAX_LOGQP,
  validateParameters,
  securityEstimate,
  TEST_PARAMETERS,
  N15_PARAMETERS,
  N16_PARAMETERS,
  PRESETS,
  presetNames,
  getPreset,
  insecureAllowed,
  assertUsable,
} from "./params.js";
export {
  type LweSecret,
  type LweInstance,
  type LweAttackName,
  type LweAttackEstimate,
  type LweSecurityEstimate,
  LweEstimatorError,
  MIN_BLOCK_SIZE,
  estimateLweSecurity,
  maxLogQForSecurity,
  rootHermiteFactor,
  bkzSieveCostBits,
  coreSvpCostBits,
  log2DropSuccessProbability,
  log2SecretSpace,
  primalMinBlockSize,
} from "./lwe-estimator.js";
export { isPrime, choosePrimeChain, type PrimeChain } from "./primes.js";
export { CkksContext, type LevelInfo, type ContextOptions } from "./context.js";
export { Arena, freeAll, type Deletable } from "./dispose.js";
export { Ciphertext, Plaintext } from "./ciphertext.js";
export { Encoder } from "./encoder.js";
export type { EncodePath } from "./encoder.js";
export { LevelEncoder, slotsToCoefficients, specialFftTables, writeResiduesInto, type EncodeItem, type SpecialFftTables } from "./level-encoder.js";
export { CkksClient, type EvaluationKeys, type ClientOptions } from "./client.js";
export { KeyStore, type KeyStoreOptions, type KeyStoreStats } from "./keystore.js";
export { switchingKeyMaxLevel, truncateSwitchingKey } from "./key-levels.js";
export { Evaluator, LevelError, zeroCounts, type OpCounts, type EvaluatorOptions } from "./evaluator.js";
export { type PolyOp, type PolyCost, type PolyProgram, registerDepths, isSmallInteger } from "./program.js";
export { evaluateProgram, precisionBits, type PolyEvalReport, type PolyEvalOptions } from "./poly-eval.js";
export {
  type CostTable,
  type PrimitiveSeconds,
  type LevelCounts,
  type PlanOptions,
  type CalibrateOptions,
  planProgram,
  totalCounts,
  priceCounts,
  estimateProgramSeconds,
  calibrate,
  cpuSeconds,
  parseCostTable,
} from "./cost.js";
// Bootstrapping (src/bootstrap): ModRaise, generator-3 CoeffToSlot/SlotToCoeff, EvalMod, Bootstrapper.
export * from "./bootstrap/index.js";
export { CkksSession, parameterSizes, type SessionOptions } from "./session.js";
// Linear layers of a CNN on packed ciphertexts (src/linear) and the worker pool (src/workers).
export { MultiplexedLayout, type MultiplexedLayoutSpec, type TensorShape } from "./linear/layout.js";
export {
  type SlotOp,
  type SlotProgram,
  type SlotProgramCounts,
  type SlotOps,
  analyzeProgram,
  normalizeStep,
  runSlotProgram,
} from "./linear/program.js";
export {
  compileLinearTransform,
  type LinearEntries,
  type TransformGeometry,
  type TransformOptions,
  type TransformPlanInfo,
  type CompiledTransform,
} from "./linear/lintrans.js";
export { rotateSlots, plainSlotOps, simulateSlotProgram } from "./linear/simulator.js";
export {
  compileConv2d,
  compileShortcutA,
  compileAvgPoolFc,
  stridedLayout,
  type LayerPlan,
  type ConvLayerSpec,
  type CompileOptions,
} from "./linear/layers.js";
export { conv2dDirect, shortcutADirect, avgPoolFcDirect, type Conv2dSpec } from "./linear/reference.js";
export { sealSlotOps, assertKeysFor, runLinearEncrypted, type SealSlotOps, type SealSlotOpsOptions } from "./linear/encrypted.js";
export {
  listLinearLayers,
  findLinearLayer,
  compileGraphLayer,
  layoutFor,
  networkGrid,
  type GraphLinearLayer,
  type GraphLayerKind,
} from "./linear/graph-layers.js";
export { runLayer, unpackLayerOutput, type LayerRunOptions, type LayerRunResult } from "./linear/layer-run.js";
export { WorkerPool, shareEvaluationKeys, type WorkerPoolOptions, type RunStats } from "./workers/pool.js";
// The CNN compiler (src/compiler): Graph IR + plan programs -> HeProgram; slot simulation; encrypted execution.
export * from "./compiler/index.js";
