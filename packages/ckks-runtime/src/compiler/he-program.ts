// HeProgram: a CNN compiled for CKKS: an inspectable straight-line list of steps over ciphertext values,
// with the slot layout, the level of every value, every bootstrap, and the op counts of every step.
//
// Level model (the optimiser's, @ola/optimizer networkCost): a fresh ciphertext and a bootstrapped one have
// `levelsAfterBootstrap` (L) levels; a linear layer (conv, option-A shortcut, avgpool+FC) consumes one level;
// an activation consumes its PolyProgram's depth. Every value carries the canonical scale of its level
// (Evaluator scale policy), so residual branches meet at the lower of the two levels by a free modulus switch
// and at exactly equal scale. Bootstraps are placed lazily ("as late as possible"), which for a chain gives the
// fewest refreshes; a refreshed value replaces the old one for every later reader (both residual branches).
import type { MultiplexedLayout } from "../linear/layout.js";
import type { SlotProgram } from "../linear/program.js";
import type { PolyProgram } from "../program.js";

/** Op counts of a step (what the cost model prices), per level at which they run. */
export interface StepOps {
  rotate: number;
  mulPlain: number;
  mulRelin: number;
  mulConst: number;
  rescale: number;
  add: number;
}

export function zeroStepOps(): StepOps {
  return { rotate: 0, mulPlain: 0, mulRelin: 0, mulConst: 0, rescale: 0, add: 0 };
}

/** Ops of one step grouped by the level (levels left) they run at. */
export type OpsByLevel = Map<number, StepOps>;

export interface LayoutSummary {
  channels: number;
  height: number;
  width: number;
  gap: number;
  period: number;
  copies: number;
}

export function summarizeLayout(l: MultiplexedLayout): LayoutSummary {
  return { channels: l.channels, height: l.height, width: l.width, gap: l.gap, period: l.period, copies: l.copies };
}

interface StepBase {
  /** Index of the step in HeProgram.steps. */
  index: number;
  /** Seconds predicted by the cost table (0 without one). */
  predictedSeconds: number;
}

/** The client encrypts the (normalised) input image packed in `layout` at `level`. */
export interface EncryptStep extends StepBase {
  kind: "encrypt";
  tensor: string;
  output: number;
  level: number;
  layout: MultiplexedLayout;
  /** Channels of the real input (the layout may carry extra zero channels so that its period fits the first conv). */
  inputChannels: number;
}

export interface LinearStep extends StepBase {
  kind: "linear";
  layer: "conv" | "shortcutA" | "avgpoolFc";
  /** Graph node (Conv, Pad of the shortcut, Gemm). */
  node: string;
  input: number;
  output: number;
  inLevel: number;
  outLevel: number;
  inLayout: MultiplexedLayout;
  /** Output layout (absent for avgpoolFc, which produces logits at `outputSlots`). */
  outLayout?: MultiplexedLayout;
  outputSlots?: number[];
  program: SlotProgram;
  ops: StepOps;
}

/** A bootstrap inside an activation: before op `beforeOp`, register `register` is refreshed. */
export interface InnerBootstrap {
  beforeOp: number;
  register: number;
  /** Level of the register before the refresh. */
  fromLevel: number;
}

export interface ActivationStep extends StepBase {
  kind: "activation";
  site: string;
  node: string;
  input: number;
  output: number;
  inLevel: number;
  outLevel: number;
  layout: MultiplexedLayout;
  program: PolyProgram;
  /** Bootstraps needed inside the polynomial (its depth exceeds what one refresh provides). */
  innerBootstraps: InnerBootstrap[];
  /** Part of predictedSeconds spent in the inner bootstraps. */
  predictedBootstrapSeconds?: number;
  ops: StepOps;
}

export interface BootstrapStep extends StepBase {
  kind: "bootstrap";
  /** Value refreshed (its readers use `output` from here on). */
  input: number;
  output: number;
  /** Level of the input (mod-switched to 0 first, free). */
  fromLevel: number;
  toLevel: number;
  /** Which step needed the levels. */
  reason: string;
}

export interface AddStep extends StepBase {
  kind: "add";
  node: string;
  a: number;
  b: number;
  output: number;
  levelA: number;
  levelB: number;
  /** Level at which the branches meet (min of the two; the other one is mod-switched down, free). */
  level: number;
  ops: StepOps;
}

export type HeStep = EncryptStep | LinearStep | ActivationStep | BootstrapStep | AddStep;

export interface HeProgramSummary {
  bootstraps: number;
  /** Of which inside activations (deep composites). */
  innerBootstraps: number;
  rotations: number;
  /** Distinct Galois steps the linear layers need (bootstrapping keys come on top). */
  rotationSteps: number[];
  linearLayers: number;
  activations: number;
  minLevel: number;
  predictedSeconds: number;
  predictedByKind: { linear: number; activation: number; bootstrap: number; add: number };
}

export interface HeProgram {
  version: 1;
  model: string;
  slots: number;
  levelsAfterBootstrap: number;
  inputLevel: number;
  /** Bootstrap placement when not the default "lazy" (compile.ts CompileHeOptions.placement). */
  placement?: "before-activation";
  inputTensor: string;
  inputShape: [number, number, number];
  outputTensor: string;
  /** Number of logits. */
  outputs: number;
  steps: HeStep[];
  /** Value id holding the logits. */
  outputValue: number;
  summary: HeProgramSummary;
  /** Provenance of predictedSeconds. */
  costModel?: string;
}

/** Errors in compiling a graph: they name the node and the reason. */
export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompileError";
  }
}
