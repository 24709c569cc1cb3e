// Bootstrapping public API (re-exported from the package index).
export { type ComplexVector, complexZeros, complexFromReal } from "./complex.js";
export { DiagMatrix } from "./diag-matrix.js";
export {
  slotExponents,
  encodeDirect,
  encodeFactored,
  buildEncodingFactors,
  coefficientsFromSlots,
  type EncodingFactors,
} from "./encoding-map.js";
export { type DftPlan, type DftLevel, coeffToSlotPlan, slotToCoeffPlan, applyDftPlan, splitLayers } from "./dft-plan.js";
export {
  type EvalModParams,
  type EvalModDesign,
  designEvalMod,
  chooseK,
  overflowLog2PerCoefficient,
  evalModReference,
  chebyshevInterpolate,
  chebyshevEval,
} from "./eval-mod.js";
export { modRaise, RawPlaintextFactory } from "./seal-bytes.js";
export { sampleSparseTernary, secretKeyBytes, nttNegacyclic, minimalPrimitiveRoot } from "./sparse-secret.js";
export { type EncapsulationKeys, makeEncapsulationKeys, SecretEncapsulation, createBootstrapClient } from "./encapsulation.js";
export { type BsgsSchedule, bsgsSchedule, CompiledDftLevel } from "./hom-dft.js";
export { ScaleLedger, evaluateEvalMod, evalModDepth } from "./hom-eval-mod.js";
export {
  type BootstrapOptions,
  type BootstrapPlan,
  type BootstrapTimings,
  type BootstrapStages,
  type BootstrapperOptions,
  type HalfWorkerUse,
  planBootstrap,
  halfWorkerGaloisSteps,
  Bootstrapper,
} from "./bootstrapper.js";
export {
  type BootstrapLayout,
  type BootstrapPreset,
  BOOT_TEST_N12,
  BOOT_N15,
  BOOT_N15_L6,
  BOOT_N15_CNN,
  BOOTSTRAP_PRESETS,
  getBootstrapPreset,
  layoutBits,
} from "./presets.js";
export { type EvalModHalfJob, evalModHalf } from "./eval-mod-half.js";
export { HalfWorker, type HalfWorkerOptions } from "./half-worker.js";
export { runBootstrap, type BootstrapRunOptions, type BootstrapRunResult, type KeyReloads, type TwoThreadResult } from "./run.js";
