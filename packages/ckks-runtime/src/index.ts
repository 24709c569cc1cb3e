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
export { isPrime, choosePrimeChain, type PrimeChain } from "./primes.js";
export { CkksContext, type LevelInfo, type ContextOptions } from "./context.js";
export { Arena, freeAll, type Deletable } from "./dispose.js";
export { Ciphertext, Plaintext } from "./ciphertext.js";
export { Encoder } from "./encoder.js";
export { CkksClient, type EvaluationKeys, type ClientOptions } from "./client.js";
export { KeyStore, type KeyStoreOptions, type KeyStoreStats } from "./keystore.js";
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
  parseCostTable,
} from "./cost.js";
// Bootstrapping (src/bootstrap): ModRaise, generator-3 CoeffToSlot/SlotToCoeff, EvalMod, Bootstrapper.
export * from "./bootstrap/index.js";
