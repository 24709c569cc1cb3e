// The CKKS compiler: Graph IR + plan programs -> HeProgram (levels, bootstraps, layouts, op counts), its
// plaintext slot simulation, and its encrypted execution.
export * from "./he-program.js";
export { simulatePolyLevels, consumesLevel, type PolyLevelSimulation } from "./level-sim.js";
export { opsSeconds, priceSteps, type CostTableLike } from "./cost.js";
export { compileHeProgram, describeHeProgram, type BootstrapPlacement, type CompileHeOptions, type SiteRef } from "./compile.js";
export { packInput, readLogits, simulateHeProgram, simulateHeProgramSlots, simulateHeProgramValues } from "./plain-sim.js";
export {
  type BootstrapEngine,
  type RunOptions,
  type RunReport,
  type RunCheckpointOptions,
  type CheckpointEvent,
  RunStoppedError,
  type StepKind,
  type StepTiming,
  sealBootstrapEngine,
  valuePeriods,
  bootstrapSites,
  type BootstrapSite,
  programRotationSteps,
  programKeyPlan,
  encryptImage,
  decryptLogits,
  runHeProgram,
  outputOf,
} from "./execute.js";
export { HeInferenceSession, peakRssBytes, type HeSessionOptions, type SessionRunOptions } from "./he-session.js";
export {
  CheckpointError,
  programHash,
  secretKeyFingerprint,
  saveRunCheckpoint,
  loadRunCheckpoint,
  peekRunCheckpoint,
  loadOrStoreSecretKey,
  hasRunCheckpoint,
  SECRET_KEY_FILE,
  type RunCheckpointIdentity,
  type RunCheckpointState,
  type CheckpointReport,
  type CheckpointStepTiming,
  type StoredSecretKey,
  type RunSegmentInfo,
} from "./checkpoint.js";
