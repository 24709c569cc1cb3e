// Encrypted execution of an HeProgram, split like the protocol:
//   client (CkksClient: secret key)  -> encryptImage, decryptLogits, evaluation keys for programRotationSteps
//   server (Evaluator: public evaluation keys only; a BootstrapEngine built from the same public keys)
//          -> runHeProgram
// Every step's time is measured and attributed to its kind (conv/linear, activation, bootstrap, add).
import { performance } from "node:perf_hooks";
import { Ciphertext } from "../ciphertext.js";
import type { CkksClient } from "../client.js";
import type { Evaluator } from "../evaluator.js";
import { LevelError } from "../evaluator.js";
import type { Bootstrapper } from "../bootstrap/bootstrapper.js";
import { runLinearEncrypted } from "../linear/encrypted.js";
import { applyPolyOp, evaluateProgram } from "../poly-eval.js";
import type { PolyProgram } from "../program.js";
import { CheckpointError, loadRunCheckpoint, programHash, saveRunCheckpoint, type RunCheckpointIdentity, type RunSegmentInfo } from "./checkpoint.js";
import { CompileError, type HeProgram, type HeStep, type InnerBootstrap } from "./he-program.js";
import { packInput, readLogits } from "./plain-sim.js";

/**
 * Refreshes a ciphertext (any level, canonical scale) to `levelsAfter` levels. Implementations:
 * sealBootstrapEngine (the real CKKS bootstrap, public keys only). Tests may provide a secret-key double.
 */
export interface BootstrapEngine {
  readonly name: string;
  readonly levelsAfter: number;
  /**
   * What determines the refreshed values besides the keys and the input (e.g. EvalMod's polynomial), when
   * it can vary: checkpoints record it and a resume under another design is refused.
   */
  readonly design?: string;
  /** Galois steps the engine's keys must include (0 = conjugation). */
  readonly rotationSteps: readonly number[];
  /**
   * Refreshes `ct`. `period` (when known) is the slot period of the value: its slot vector is
   * `period`-periodic (the layout's copies), so an engine may use a sparse-slot bootstrap of that many slots.
   */
  bootstrap(ct: Ciphertext, period?: number): Ciphertext;
  /** Slot count the engine's bootstrap uses for a value of this period (reported per bootstrap). */
  slotsFor?(period: number | undefined): number;
}

/**
 * The real bootstrapper (ModRaise, CoeffToSlot, EvalMod, SlotToCoeff) as a BootstrapEngine. Given several
 * bootstrappers (one full-slot plan and sparse plans of fewer slots), a value of slot period T is refreshed by
 * the one with the fewest slots n >= T (a T-periodic vector is n-periodic for every power of two n >= T, which
 * is what a sparse bootstrap of n slots needs); a value of unknown period needs a full-slot one (N/2 slots).
 */
export function sealBootstrapEngine(ev: Evaluator, boot: Bootstrapper | readonly Bootstrapper[]): BootstrapEngine {
  const boots = (Array.isArray(boot) ? [...(boot as readonly Bootstrapper[])] : [boot as Bootstrapper]).sort((a, b) => a.plan.slots - b.plan.slots);
  if (boots.length === 0) throw new RangeError("sealBootstrapEngine: no bootstrapper given");
  const full = boots[boots.length - 1]!;
  for (const b of boots) {
    if (b.plan.levels.output !== full.plan.levels.output) {
      throw new RangeError(`sealBootstrapEngine: the ${b.plan.slots}-slot bootstrapper gives ${b.plan.levels.output} levels, the ${full.plan.slots}-slot one ${full.plan.levels.output}`);
    }
  }
  const fullSlots = full.plan.N / 2;
  const pick = (period: number | undefined): Bootstrapper => {
    const b = boots.find((x) => x.plan.slots >= (period ?? fullSlots));
    // without a full-slot bootstrapper, a value of unknown or larger period cannot be refreshed correctly
    if (!b) throw new RangeError(`sealBootstrapEngine: no bootstrapper for a value of slot period ${period ?? "unknown"} (largest has ${full.plan.slots} of ${fullSlots} slots)`);
    return b;
  };
  const steps = new Set<number>();
  for (const b of boots) for (const k of b.plan.rotationSteps) steps.add(k);
  const sparse = boots.some((b) => b.plan.slots < fullSlots) ? `, slots ${boots.map((b) => b.plan.slots).join("/")}` : "";
  return {
    name: `ckks-bootstrap(${full.ctx.params.name}${sparse})`,
    levelsAfter: full.plan.levels.output,
    design: boots.map((b) => `${b.plan.slots} slots: EvalMod K=${b.plan.evalMod.K} degree ${b.plan.evalMod.degree} r=${b.plan.evalMod.doubleAngles}`).join("; "),
    rotationSteps: [...steps].sort((a, b) => a - b),
    slotsFor: (period) => pick(period).plan.slots,
    bootstrap(ct: Ciphertext, period?: number): Ciphertext {
      const b = pick(period);
      // the bootstrapper takes level 0 at its canonical scale (a free mod switch when the scale is canonical)
      const low = ct.level === 0 ? ct : ev.adjust(ct, 0);
      try {
        return b.bootstrap(low).ct;
      } finally {
        if (low !== ct) low.dispose();
      }
    },
  };
}

/**
 * Slot period of every value of steps 0..lastStep, derived from the steps without changing the program: the
 * encrypt and linear steps carry layouts (period = layout.period; the classifier's logits have none:
 * undefined); activations and bootstraps keep their input's period; a residual add of T1- and T2-periodic
 * vectors is max(T1, T2)-periodic (powers of two).
 */
export function valuePeriods(p: HeProgram, lastStep = p.steps.length - 1): Map<number, number | undefined> {
  const per = new Map<number, number | undefined>();
  for (const s of p.steps.slice(0, lastStep + 1)) {
    switch (s.kind) {
      case "encrypt":
        per.set(s.output, s.layout.period);
        break;
      case "linear":
        per.set(s.output, s.outLayout?.period);
        break;
      case "activation":
      case "bootstrap":
        per.set(s.output, per.get(s.input));
        break;
      case "add": {
        const a = per.get(s.a);
        const b = per.get(s.b);
        per.set(s.output, a === undefined || b === undefined ? undefined : Math.max(a, b));
        break;
      }
    }
  }
  return per;
}

/** One refresh of the program: the step, whether it is inside an activation, and the slot period of the value. */
export interface BootstrapSite {
  step: number;
  inner: boolean;
  period: number | undefined;
}

/** Every bootstrap of steps 0..lastStep in execution order (inner ones refresh registers of the activation's input period). */
export function bootstrapSites(p: HeProgram, lastStep = p.steps.length - 1): BootstrapSite[] {
  const per = valuePeriods(p, lastStep);
  const out: BootstrapSite[] = [];
  for (const s of p.steps.slice(0, lastStep + 1)) {
    if (s.kind === "bootstrap") out.push({ step: s.index, inner: false, period: per.get(s.input) });
    else if (s.kind === "activation") for (let k = 0; k < s.innerBootstraps.length; k++) out.push({ step: s.index, inner: true, period: per.get(s.input) });
  }
  return out;
}

/** Galois steps the server needs for the program's linear layers plus the bootstrap engine's. */
export function programRotationSteps(p: HeProgram, engine?: { rotationSteps: readonly number[] }, lastStep = p.steps.length - 1): number[] {
  const s = new Set<number>();
  for (const st of p.steps.slice(0, lastStep + 1)) if (st.kind === "linear") for (const k of st.program.steps) s.add(k);
  const boots = p.steps.slice(0, lastStep + 1).some((st) => st.kind === "bootstrap" || (st.kind === "activation" && st.innerBootstraps.length > 0));
  if (boots) for (const k of engine?.rotationSteps ?? []) s.add(k);
  return [...s].sort((a, b) => a - b);
}

/**
 * The same steps split by the level they are used at: the bootstrap engine's rotations run at the top of
 * the chain and need full keys; rotations used only by linear layers run at <= maxLevel and get keys
 * truncated to it (key-levels.ts), 2-3x smaller at N = 2^15.
 */
export function programKeyPlan(
  p: HeProgram,
  engine?: { rotationSteps: readonly number[] },
  lastStep = p.steps.length - 1,
): { full: number[]; low: { steps: number[]; maxLevel: number } } {
  const all = programRotationSteps(p, engine, lastStep);
  const linear = new Set<number>();
  let maxLevel = 0;
  for (const st of p.steps.slice(0, lastStep + 1)) {
    if (st.kind !== "linear") continue;
    for (const k of st.program.steps) linear.add(k);
    maxLevel = Math.max(maxLevel, st.inLevel);
  }
  const bootSteps = new Set(all.filter((k) => !linear.has(k) || (engine?.rotationSteps ?? []).includes(k)));
  return { full: [...bootSteps], low: { steps: all.filter((k) => !bootSteps.has(k)), maxLevel } };
}

/** Client: packs and encrypts a CHW image at the program's input level. */
export function encryptImage(client: CkksClient, p: HeProgram, image: ArrayLike<number>): Ciphertext {
  return client.encrypt(packInput(p, image), { level: p.inputLevel });
}

/** Client: decrypts the program's output ciphertext and reads the logits. */
export function decryptLogits(client: CkksClient, p: HeProgram, ct: Ciphertext): Float64Array {
  return readLogits(p, client.decrypt(ct));
}

export type StepKind = "conv" | "activation" | "bootstrap" | "add";

export interface StepTiming {
  index: number;
  kind: StepKind;
  /** Node or site name. */
  name: string;
  seconds: number;
  level: number;
  bootstraps: number;
  /** Slot count of each bootstrap of the step (engines that report it: sealBootstrapEngine). */
  bootstrapSlots?: number[];
}

export interface RunReport {
  /** Compute seconds of all steps, summed over the processes of a resumed run (checkpoint writing excluded). */
  seconds: number;
  /** Process CPU seconds (user + system, all threads) over the same span, summed over resumed processes. */
  cpuSeconds: number;
  /** conv = all linear layers (convolutions, shortcuts, avgpool+fc). */
  byKind: Record<StepKind, number>;
  bootstraps: number;
  steps: StepTiming[];
  /** How many times the run was resumed from a checkpoint (0 = ran in one go). */
  resumes: number;
  /** Seconds spent writing checkpoints in this process (not in `seconds`). */
  checkpointSeconds: number;
  /** The processes that ran it (one segment unless resumed): when, how long, how much CPU. */
  segments: RunSegmentInfo[];
  /** Slot count of every bootstrap in execution order (N/2 = full-slot; fewer = sparse), when the engine reports it. */
  bootstrapSlots?: number[];
}

/** Checkpointing of a run (checkpoint.ts): resume from `dir` when it holds this run's checkpoint. */
export interface RunCheckpointOptions {
  /** Directory of this run's checkpoint (one per run: image, plan). */
  dir: string;
  /** Save after a step when this many seconds passed since the last save (default 120); always after a bootstrap. */
  everySeconds?: number;
  /** The run's identity besides the program and the last step (computed here). */
  identity: { preset: string; image: number; secretKey?: string };
}

export type CheckpointEvent =
  | { kind: "resumed"; dir: string; nextStep: number; savedSeconds: number; resumes: number }
  | { kind: "saved"; dir: string; nextStep: number; seconds: number };

/** Thrown by runHeProgram when `stopAfterStep` was reached (after saving a checkpoint when checkpointing). */
export class RunStoppedError extends Error {
  constructor(readonly step: number) {
    super(`run stopped after step ${step} (stopAfterStep)`);
    this.name = "RunStoppedError";
  }
}

export interface RunOptions {
  bootstrapper?: BootstrapEngine;
  /** Run only steps 0..lastStep (a prefix of the network); the output is that step's value. */
  lastStep?: number;
  /** Called after each step (progress). */
  onStep?: (t: StepTiming, done: number, total: number) => void;
  /** Save checkpoints and resume from them. */
  checkpoint?: RunCheckpointOptions;
  /** Called when a checkpoint was loaded or saved. */
  onCheckpoint?: (e: CheckpointEvent) => void;
  /** Stop (RunStoppedError) right after this step, saving a checkpoint first when checkpointing (tests, time slicing). */
  stopAfterStep?: number;
  /** Asked after each step (index i); true stops like stopAfterStep (e.g. a time limit). */
  shouldStop?: (step: number) => boolean;
}

/** Value id a step defines. */
export function outputOf(s: HeStep): number {
  return s.output;
}

function readsOfStep(s: HeStep): number[] {
  switch (s.kind) {
    case "encrypt":
      return [];
    case "add":
      return [s.a, s.b];
    default:
      return [s.input];
  }
}

/** Server: runs the program on an encrypted input (not consumed). Returns the logits ciphertext. */
export function runHeProgram(p: HeProgram, ev: Evaluator, input: Ciphertext, opts: RunOptions = {}): { output: Ciphertext; report: RunReport } {
  const boot = opts.bootstrapper;
  const lastStep = opts.lastStep ?? p.steps.length - 1;
  if (!Number.isInteger(lastStep) || lastStep < 1 || lastStep >= p.steps.length) throw new RangeError(`lastStep must be in [1, ${p.steps.length - 1}], got ${lastStep}`);
  const steps = p.steps.slice(0, lastStep + 1);
  const outputValue = lastStep === p.steps.length - 1 ? p.outputValue : outputOf(p.steps[lastStep]!);
  if (steps.some((s) => s.kind === "bootstrap" || (s.kind === "activation" && s.innerBootstraps.length > 0))) {
    if (!boot) throw new CompileError(`the program needs ${p.summary.bootstraps} bootstrap(s) but no bootstrapper was given`);
    if (boot.levelsAfter !== p.levelsAfterBootstrap) {
      throw new CompileError(`the program was compiled for ${p.levelsAfterBootstrap} levels after a bootstrap, the bootstrapper '${boot.name}' gives ${boot.levelsAfter}`);
    }
  }
  if (input.level !== p.inputLevel) throw new LevelError(`the program expects its input at level ${p.inputLevel}, got ${input.level}`);
  const cp = opts.checkpoint;
  const everySeconds = cp?.everySeconds ?? 120;
  if (cp && !(everySeconds >= 0)) throw new RangeError(`checkpoint.everySeconds must be >= 0, got ${everySeconds}`);
  const identity: RunCheckpointIdentity | undefined = cp ? { programHash: programHash(p), preset: cp.identity.preset, image: cp.identity.image, lastStep, secretKey: cp.identity.secretKey, bootstrap: boot?.design } : undefined;
  const periods = valuePeriods(p, lastStep);
  const lastUse = new Map<number, number>();
  steps.forEach((s, i) => {
    for (const v of readsOfStep(s)) lastUse.set(v, i);
  });
  const vals = new Map<number, Ciphertext>();
  const byKind: Record<StepKind, number> = { conv: 0, activation: 0, bootstrap: 0, add: 0 };
  const timings: StepTiming[] = [];
  let bootstraps = 0;
  let savedSeconds = 0;
  let savedCpu = 0;
  let resumes = 0;
  let start = 0;
  let checkpointSeconds = 0;
  const earlierSegments: RunSegmentInfo[] = [];
  const get = (id: number): Ciphertext => {
    const c = vals.get(id);
    if (!c) throw new Error(`internal: value ${id} is not live`);
    return c;
  };
  try {
    if (cp && identity) {
      const st = loadRunCheckpoint(cp.dir, identity);
      if (st) {
        if (st.nextStep < 1 || st.nextStep > steps.length) throw new CheckpointError(`checkpoint in ${cp.dir}: next step ${st.nextStep} is outside 1..${steps.length}`);
        for (const [id, bytes] of st.values) {
          try {
            vals.set(id, Ciphertext.fromBytes(ev.ctx, bytes));
          } catch (e) {
            throw new CheckpointError(`checkpoint in ${cp.dir}: value ${id} does not load as a ciphertext of these parameters (${e instanceof Error ? e.message : String(e)})`);
          }
        }
        start = st.nextStep;
        savedSeconds = st.report.seconds;
        savedCpu = st.report.cpuSeconds;
        resumes = st.report.resumes + 1;
        bootstraps = st.report.bootstraps;
        for (const k of Object.keys(byKind) as StepKind[]) byKind[k] = st.report.byKind[k] ?? 0;
        timings.push(...st.report.steps);
        earlierSegments.push(...(st.report.segments ?? []));
        opts.onCheckpoint?.({ kind: "resumed", dir: cp.dir, nextStep: start, savedSeconds, resumes });
      }
    }
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    const cpu0 = process.cpuUsage();
    const cpuNow = () => {
      const c = process.cpuUsage(cpu0);
      return (c.user + c.system) / 1e6;
    };
    /** Compute seconds of this process so far (checkpoint writing excluded), at time `at`. */
    const ownSeconds = (at: number) => (at - t0) / 1000 - checkpointSeconds;
    const segments = (seconds: number, cpuSeconds: number): RunSegmentInfo[] => [
      ...earlierSegments,
      { pid: process.pid, startedAt, endedAt: new Date().toISOString(), seconds, cpuSeconds },
    ];
    let lastSave = performance.now();
    const save = (nextStep: number) => {
      const ts = performance.now();
      const own = ownSeconds(ts);
      const ownCpu = cpuNow();
      const values = new Map<number, Uint8Array>();
      for (const [id, c] of vals) values.set(id, c.toBytes());
      const report = {
        seconds: savedSeconds + own,
        cpuSeconds: savedCpu + ownCpu,
        byKind: { ...byKind },
        bootstraps,
        steps: timings,
        resumes,
        segments: segments(own, ownCpu),
      };
      saveRunCheckpoint(cp!.dir, identity!, { nextStep, values, report });
      lastSave = performance.now();
      checkpointSeconds += (lastSave - ts) / 1000;
      opts.onCheckpoint?.({ kind: "saved", dir: cp!.dir, nextStep, seconds: (lastSave - ts) / 1000 });
    };
    for (let i = start; i < steps.length; i++) {
      const s = steps[i]!;
      const ts = performance.now();
      let kind: StepKind = "conv";
      let name = "";
      let nb = 0;
      let slotsUsed: number[] | undefined;
      let out: Ciphertext;
      switch (s.kind) {
        case "encrypt":
          vals.set(s.output, input);
          continue;
        case "linear":
          name = s.node;
          out = runLinearEncrypted(s.program, get(s.input), ev);
          break;
        case "activation": {
          kind = "activation";
          name = s.site;
          if (s.innerBootstraps.length === 0) out = evaluateProgram(ev, s.program, get(s.input)).result;
          else {
            const period = periods.get(s.input);
            out = evaluateWithBootstraps(ev, s.program, get(s.input), s.innerBootstraps, boot!, period);
            nb = s.innerBootstraps.length;
            if (boot!.slotsFor) slotsUsed = new Array<number>(nb).fill(boot!.slotsFor(period));
          }
          break;
        }
        case "bootstrap":
          kind = "bootstrap";
          name = s.reason;
          out = boot!.bootstrap(get(s.input), periods.get(s.input));
          nb = 1;
          if (boot!.slotsFor) slotsUsed = [boot!.slotsFor(periods.get(s.input))];
          break;
        case "add":
          kind = "add";
          name = s.node;
          out = ev.add(get(s.a), get(s.b));
          break;
      }
      vals.set(s.output, out);
      for (const v of readsOfStep(s)) {
        if (lastUse.get(v) === i && v !== s.output) {
          const c = vals.get(v);
          if (c && c !== input) c.dispose();
          vals.delete(v);
        }
      }
      const seconds = (performance.now() - ts) / 1000;
      byKind[kind] += seconds;
      bootstraps += nb;
      const t: StepTiming = { index: i, kind, name, seconds, level: out.level, bootstraps: nb, ...(slotsUsed ? { bootstrapSlots: slotsUsed } : {}) };
      timings.push(t);
      opts.onStep?.(t, i + 1, steps.length);
      const stop = i < steps.length - 1 && (opts.stopAfterStep === i || opts.shouldStop?.(i) === true);
      // always after a bootstrap (the most expensive thing to redo) and after the last step (a finished run
      // whose caller died before using the result resumes instantly)
      if (cp && (nb > 0 || stop || i === steps.length - 1 || (performance.now() - lastSave) / 1000 >= everySeconds)) save(i + 1);
      if (stop) throw new RunStoppedError(i);
    }
    const output = get(outputValue);
    vals.delete(outputValue);
    const own = ownSeconds(performance.now());
    const ownCpu = cpuNow();
    const bootstrapSlots = timings.some((t) => t.bootstrapSlots) ? timings.flatMap((t) => t.bootstrapSlots ?? []) : undefined;
    return {
      output,
      report: { seconds: savedSeconds + own, cpuSeconds: savedCpu + ownCpu, byKind, bootstraps, steps: timings, resumes, checkpointSeconds, segments: segments(own, ownCpu), ...(bootstrapSlots ? { bootstrapSlots } : {}) },
    };
  } finally {
    for (const c of vals.values()) if (c !== input) c.dispose();
  }
}

/**
 * A PolyProgram whose depth exceeds one refresh: the evaluateProgram loop with the compiler's inner bootstraps
 * (register r refreshed right before op i). The levels every op leaves its result at are those of
 * simulatePolyLevels, checked here.
 */
function evaluateWithBootstraps(ev: Evaluator, program: PolyProgram, x: Ciphertext, inner: InnerBootstrap[], boot: BootstrapEngine, period: number | undefined): Ciphertext {
  const regs: (Ciphertext | undefined)[] = [x];
  const lastUse = new Int32Array(program.ops.length + 1).fill(-1);
  const readsOf = (o: PolyProgram["ops"][number]): number[] => (o.op === "linear" ? o.terms.map(([r]) => r) : "b" in o ? [o.a, o.b] : [o.a]);
  program.ops.forEach((o, i) => {
    for (const r of readsOf(o)) lastUse[r] = i;
  });
  const get = (r: number): Ciphertext => {
    const c = regs[r];
    if (!c) throw new Error(`internal: register ${r} already freed`);
    return c;
  };
  const refresh = new Map<number, InnerBootstrap[]>();
  for (const b of inner) refresh.set(b.beforeOp, [...(refresh.get(b.beforeOp) ?? []), b]);
  try {
    program.ops.forEach((o, i) => {
      for (const b of refresh.get(i) ?? []) {
        const old = get(b.register);
        if (old.level !== b.fromLevel) throw new Error(`internal: register ${b.register} at level ${old.level}, the compiler planned ${b.fromLevel}`);
        // every register is a polynomial of the activation's input, slot by slot: it keeps the input's period
        regs[b.register] = boot.bootstrap(old, period);
        if (old !== x) old.dispose();
      }
      const out = applyPolyOp(ev, o, get).out;
      regs.push(out);
      for (const r of readsOf(o)) {
        if (r !== program.output && lastUse[r] === i && regs[r] && regs[r] !== x) {
          regs[r]!.dispose();
          regs[r] = undefined;
        }
      }
    });
    const result = program.output === 0 ? get(0).clone() : get(program.output);
    regs[program.output] = undefined;
    return result;
  } finally {
    for (const c of regs) if (c && c !== x) c.dispose();
  }
}
