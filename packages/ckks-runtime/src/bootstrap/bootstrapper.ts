// CKKS bootstrapping on stock SEAL 4.1 (node-seal 6.0.3), full slots (n = N/2), real or complex data:
//
//   ModRaise (byte surgery) → CoeffToSlot (d_c merged generator-3 DFT levels; two real outputs holding the
//   low/high coefficient halves) → EvalMod on each (scaled cosine + double angles) → SlotToCoeff (d_s merged
//   levels, the first consuming both halves) → optional imaginary-part removal (ct + conj ct).
//
// Cheon–Han–Kim–Kim–Song 2018/153; Chen–Chillotti–Song 2018/1043; Han–Ki 2019/688; Bossuat et al. 2020/1203.
// The plan (matrices, schedules, keys) is pure math and is made before any key exists, so that the client
// can generate exactly the Galois keys it needs (BootstrapPlan.rotationSteps).
import { performance } from "node:perf_hooks";
import type { Ciphertext } from "../ciphertext.js";
import type { CkksContext } from "../context.js";
import type { Evaluator } from "../evaluator.js";
import { type DftLevel, type DftPlan, coeffToSlotPlan, slotToCoeffPlan } from "./dft-plan.js";
import { type EncodingFactors, buildEncodingFactors } from "./encoding-map.js";
import { type EvalModParams, designEvalMod } from "./eval-mod.js";
import { type BsgsSchedule, CompiledDftLevel, babyJumpStep, bsgsSchedule, dftBabyRange, dftBabySteps, giantStepsOf, sealStep } from "./hom-dft.js";
import { ScaleLedger, evalModDepth } from "./hom-eval-mod.js";
import { type EvalModHalfJob, evalModHalf, twiceRealPart } from "./eval-mod-half.js";
import type { HalfWorker } from "./half-worker.js";
import type { SecretEncapsulation } from "./encapsulation.js";
import type { BootstrapLayout } from "./presets.js";
import { LevelEncoder } from "../level-encoder.js";
import { RawPlaintextFactory, modRaise } from "./seal-bytes.js";

export interface BootstrapOptions {
  layout: BootstrapLayout;
  /** Hamming weight of the (sparse ternary) secret; chooses K. */
  hammingWeight: number;
  /** Target failure probability per bootstrap, log2 (default −32). */
  failureLog2?: number;
  /** Remove the imaginary part after SlotToCoeff (real data; default true). */
  realOutput?: boolean;
  /** Force EvalMod's K (otherwise from h and failureLog2). */
  K?: number;
  /**
   * Target approximation error of EvalMod's polynomial, log2 (default −40). designEvalMod takes the least
   * depth, then the lowest degree, that meets it: a target near the bootstrap's noise floor buys a cheaper
   * polynomial in the same levels (see BOOT_N15_CNN).
   */
  evalModErrorLog2?: number;
  /**
   * Slots n (power of two ≤ N/2; default N/2). n < N/2 is sparse packing: the input's n values must be
   * replicated N/(2n) times (an n-periodic slot vector, i.e. a plaintext in Z[X^{N/2n}]).
   */
  slots?: number;
}

export interface BootstrapperOptions {
  /**
   * Max bytes of precomputed NTT diagonal plaintexts kept in JS memory (default 1.5 GiB). DFT levels past
   * the budget keep only their coefficient vectors and finish each plaintext right before use.
   */
  plaintextBudgetBytes?: number;
  /**
   * Sparse-secret encapsulation (server side): the main secret is dense and ModRaise runs under an
   * ephemeral sparse secret of weight plan.evalMod.h. Without it, the input must already be under a sparse
   * secret of that weight. The bootstrapper takes ownership (disposes it).
   */
  encapsulation?: SecretEncapsulation;
  /**
   * A second thread for full-slot bootstraps (half-worker.ts): it runs CoeffToSlot's second output (when it
   * holds the giant-step keys and the diagonals are precomputed) and its EvalMod half, or that half only, while
   * this thread runs the first. Not owned (the creator closes it). Results are bit-identical without it.
   */
  halfWorker?: HalfWorker;
}

/** How much of a bootstrap the half worker takes (Bootstrapper.useHalfWorker). */
export interface HalfWorkerUse {
  /**
   * Besides CoeffToSlot's second output (when it holds that level's giant-step keys) and the EvalMod half:
   * the negative giant chains of single-output DFT levels, SlotToCoeff's baby steps of its half and the upper
   * baby steps of single-input levels, each when it holds the keys (default true; false = the first two only).
   */
  moreParts?: boolean;
}

export interface BootstrapPlan {
  N: number;
  slots: number;
  topLevel: number;
  /** Levels: CoeffToSlot input, EvalMod input, SlotToCoeff input, output. */
  levels: { coeffToSlot: number; evalMod: number; slotToCoeff: number; output: number };
  /** q0 and the level-0 input scale the SlotToCoeff constant was made for. */
  q0: number;
  inputScale: number;
  /** Scale set on the raised ciphertext; kept through CoeffToSlot. */
  evalModScale: number;
  outputScale: number;
  evalMod: EvalModParams;
  coeffToSlot: DftPlan;
  slotToCoeff: DftPlan;
  c2sSchedules: BsgsSchedule[];
  s2cSchedules: BsgsSchedule[];
  realOutput: boolean;
  /** Rotations of the trace after ModRaise (sparse packing): n, 2n, …, N/4. */
  traceSteps: number[];
  /** Galois steps to generate (0 = conjugation). */
  rotationSteps: number[];
}

/** Plans a bootstrap for `ctx` (no keys needed). */
export function planBootstrap(ctx: CkksContext, opts: BootstrapOptions): BootstrapPlan {
  const L = opts.layout;
  const N = ctx.N;
  const top = ctx.topLevel;
  const expectedTop = L.appLevels + L.slotToCoeffLevels + L.evalModLevels + L.coeffToSlotLevels;
  if (top !== expectedTop) {
    throw new Error(`parameter set '${ctx.params.name}' has ${top} levels, the bootstrapping layout needs ${expectedTop}`);
  }
  const evalMod = designEvalMod({
    h: opts.hammingWeight,
    // coefficients whose overflow matters: all N, or the 2n of the sub-ring after the trace
    coefficients: Math.min(N, 2 * (opts.slots ?? N / 2)),
    failureLog2: opts.failureLog2 ?? -32,
    K: opts.K,
    approxErrorLog2: opts.evalModErrorLog2,
  });
  const depth = evalModDepth(evalMod);
  if (depth > L.evalModLevels) {
    throw new Error(`EvalMod needs ${depth} levels (K=${evalMod.K}, degree ${evalMod.degree}, r=${evalMod.doubleAngles}); the layout has ${L.evalModLevels}`);
  }
  const c2sLevel = top;
  const emLevel = top - L.coeffToSlotLevels;
  const s2cLevel = emLevel - L.evalModLevels;
  const outLevel = s2cLevel - L.slotToCoeffLevels;
  const q0 = Number(ctx.levelInfo(0).primes[0]);
  const inputScale = ctx.levelInfo(0).canonicalScale;
  const evalModScale = Number(ctx.primeAt(emLevel));
  const outputScale = ctx.levelInfo(outLevel).canonicalScale;
  const realOutput = opts.realOutput ?? true;
  const n = opts.slots ?? N / 2;
  if (!Number.isInteger(Math.log2(n)) || n < 4 || n > N / 2) throw new RangeError(`slots must be a power of two in [4, ${N / 2}], got ${n}`);
  const sparse = n < N / 2;
  // sub-ring Z[X^{N/2n}]: its encoding map is the full-slot map of degree 2n (same generator 3)
  const f = factorsFor(2 * n);
  // after the trace the sub-ring part is multiplied by N/(2n); α = S/(2n·(N/2n)·q0·K) = S/(N·q0·K)
  const alpha = evalModScale / (N * q0 * evalMod.K);
  // q0/(2π·Δ0) undoes EvalMod's normalisation; ½ for the Re after EvalMod, ½ more for the final Re
  const beta = q0 / (2 * Math.PI * inputScale) / 2 / (realOutput ? 2 : 1);
  const coeffToSlot = coeffToSlotPlan(f, L.coeffToSlotLevels, alpha, sparse);
  const slotToCoeff = slotToCoeffPlan(f, L.slotToCoeffLevels, beta, sparse);
  const c2sSchedules = coeffToSlot.levels.map((l) => bsgsSchedule(l));
  const s2cSchedules = slotToCoeff.levels.map((l) => bsgsSchedule(l));
  const traceSteps: number[] = [];
  for (let r = n; r < N / 2; r *= 2) traceSteps.push(r);
  const steps = new Set<number>([0, ...traceSteps]);
  for (const s of [...c2sSchedules, ...s2cSchedules]) for (const k of s.steps) steps.add(k);
  return {
    N,
    slots: n,
    topLevel: top,
    levels: { coeffToSlot: c2sLevel, evalMod: emLevel, slotToCoeff: s2cLevel, output: outLevel },
    q0,
    inputScale,
    evalModScale,
    outputScale,
    evalMod,
    coeffToSlot,
    slotToCoeff,
    c2sSchedules,
    s2cSchedules,
    realOutput,
    traceSteps,
    rotationSteps: [...steps].sort((a, b) => a - b),
  };
}

/**
 * Galois steps a half worker can use for a full-slot `plan`, besides the conjugation it always holds:
 * CoeffToSlot's last-level giant steps (it then evaluates that level's second output), the negative giant
 * step of every single-output DFT level (it then runs their negative chains) and SlotToCoeff's baby step
 * (it then answers its half as SlotToCoeff's baby steps). Bootstrapper.useHalfWorker uses what it finds.
 */
export function halfWorkerGaloisSteps(plan: BootstrapPlan): number[] {
  const steps = new Set<number>();
  const c2s = plan.c2sSchedules;
  for (const k of giantStepsOf(c2s[c2s.length - 1]!)) steps.add(k);
  const single = [
    ...c2s.slice(0, -1).filter((_, i) => plan.coeffToSlot.levels[i]!.matrices.length === 1),
    ...plan.s2cSchedules.filter((_, i) => plan.slotToCoeff.levels[i]!.matrices.length === 1),
  ];
  for (const sch of single) if (Math.min(0, ...sch.giants) < 0) steps.add(sealStep(-sch.n1 * sch.stride, sch.n));
  const s0 = plan.s2cSchedules[0]!;
  if (s0.maxBaby > 0) steps.add(sealStep(s0.stride, s0.n));
  // single-input levels: the baby step and its jump (the worker computes the upper baby steps); the
  // bootstrapper's evaluator needs the jump keys too (babyJumpStep)
  for (const sch of [...c2s, ...plan.s2cSchedules]) {
    const jump = babyJumpStep(sch);
    if (jump === undefined) continue;
    steps.add(jump);
    steps.add(sealStep(sch.stride, sch.n));
  }
  steps.delete(0);
  return [...steps].sort((a, b) => a - b);
}

const factorCache = new Map<number, EncodingFactors>();
function factorsFor(N: number): EncodingFactors {
  let f = factorCache.get(N);
  if (!f) {
    f = buildEncodingFactors(N);
    factorCache.set(N, f);
  }
  return f;
}

export interface BootstrapTimings {
  modRaise: number;
  coeffToSlot: number;
  evalMod: number;
  slotToCoeff: number;
  total: number;
}

export interface BootstrapStages {
  raised?: Ciphertext;
  /** CoeffToSlot outputs (slots: coefficient halves / (q0·K)). */
  c2s?: Ciphertext[];
  /** EvalMod outputs (≈ 2·sin(2πx), real). */
  evalMod?: Ciphertext[];
}

export class Bootstrapper implements Disposable {
  readonly raw: RawPlaintextFactory;
  private readonly levelEncoder: LevelEncoder;
  private readonly c2s: CompiledDftLevel[];
  private readonly s2c: CompiledDftLevel[];
  /** Seconds spent building the diagonal plaintexts. */
  readonly precomputeSeconds: number;
  readonly encapsulation: SecretEncapsulation | undefined;
  private half: HalfWorker | undefined;
  /** Id of CoeffToSlot's last-level output 1 registered on the half worker (it then evaluates that output too). */
  private halfDftId: number | undefined;
  /**
   * Per single-output DFT level (CoeffToSlot's levels before the last, every SlotToCoeff level): the id of
   * its output registered on the half worker, which then runs the level's negative giant chain.
   */
  private c2sChains: (number | undefined)[] = [];
  private s2cChains: (number | undefined)[] = [];
  /** The half worker answers its half's SlotToCoeff baby steps (it holds the baby-step key). */
  private s2cBabiesOnWorker = false;
  /** The half worker may compute the upper baby steps of single-input levels (HalfWorkerUse.moreParts). */
  private babySplitsOn = true;

  constructor(
    readonly ctx: CkksContext,
    readonly ev: Evaluator,
    readonly plan: BootstrapPlan,
    opts: BootstrapperOptions = {},
  ) {
    const t0 = performance.now();
    this.encapsulation = opts.encapsulation;
    this.raw = new RawPlaintextFactory(ctx);
    this.levelEncoder = new LevelEncoder(ctx);
    const f = factorsFor(ctx.N);
    const prime = (l: number): number => Number(ctx.primeAt(l));
    let budget = opts.plaintextBudgetBytes ?? 1.5 * 2 ** 30;
    // precompute the cheapest-to-hold levels first (S2C: few primes), C2S's big last level last
    const lazyFor = (lvl: DftLevel, level: number): boolean => {
      const count = lvl.matrices.reduce((a, row) => a + row.reduce((b, M) => b + M.diags.size, 0), 0);
      const bytes = count * 8 * ctx.N * (level + 1);
      if (bytes <= budget) {
        budget -= bytes;
        return false;
      }
      return true;
    };
    const s2cLazy = plan.slotToCoeff.levels.map((lvl, i) => lazyFor(lvl, plan.levels.slotToCoeff - i));
    const c2sLazy = plan.coeffToSlot.levels.map((lvl, i) => lazyFor(lvl, plan.levels.coeffToSlot - i));
    this.c2s = plan.coeffToSlot.levels.map((lvl, i) =>
      CompiledDftLevel.compile(lvl, f, this.raw, plan.levels.coeffToSlot - i, prime(plan.levels.coeffToSlot - i), c2sLazy[i]),
    );
    // SlotToCoeff moves the scale from EvalMod's (≈ 2^evalModBits) to the output level's canonical scale.
    // The change is spread evenly over its levels: each plaintext's rounding error is relative to its own
    // scale, so one level carrying the whole drop would cost that many bits of precision at once.
    const s2cScales = this.s2cScales();
    this.s2c = plan.slotToCoeff.levels.map((lvl, i) => {
      const level = plan.levels.slotToCoeff - i;
      const ptScale = (prime(level) * s2cScales[i + 1]) / s2cScales[i];
      return CompiledDftLevel.compile(lvl, f, this.raw, level, ptScale, s2cLazy[i]);
    });
    this.precomputeSeconds = (performance.now() - t0) / 1000;
    // after the DFT levels exist: the worker may take CoeffToSlot's last output
    this.useHalfWorker(opts.halfWorker);
  }

  /** The second thread of full-slot bootstraps, if any. */
  get halfWorker(): HalfWorker | undefined {
    return this.half;
  }

  /** Attaches (or, with undefined, detaches) the half worker; it must run this context's parameter set. */
  useHalfWorker(hw: HalfWorker | undefined, opts: HalfWorkerUse = {}): void {
    if (hw && hw.paramsName !== this.ctx.params.name) {
      throw new Error(`Bootstrapper: the half worker was built for parameter set '${hw.paramsName}', this context is '${this.ctx.params.name}'`);
    }
    // forget what this bootstrapper registered on the previous worker (or on this one, before re-attaching)
    this.half?.unregisterDftOutputs([this.halfDftId, ...this.c2sChains, ...this.s2cChains].filter((id): id is number => id !== undefined));
    this.half = hw;
    this.halfDftId = undefined;
    this.c2sChains = [];
    this.s2cChains = [];
    this.s2cBabiesOnWorker = false;
    this.babySplitsOn = opts.moreParts ?? true;
    const last = this.c2s[this.c2s.length - 1]!;
    // two threads are used for full-slot bootstraps (CoeffToSlot's last level has the two halves' outputs)
    if (!hw || last.outputs !== 2) return;
    // the worker can also take CoeffToSlot's second output when it has the diagonals (precomputed, shared
    // memory) and the giant-step keys; otherwise it runs the EvalMod half only
    if (last.precomputed && last.giantSteps.every((k) => hw.steps.has(k))) {
      this.halfDftId = hw.registerDftOutput(last.outputJob(1));
    }
    if (opts.moreParts === false) return;
    // single-output levels: the worker runs the negative giant chain when it has their diagonals and key
    const chain = (lvl: CompiledDftLevel): number | undefined =>
      lvl.outputs === 1 && lvl.precomputed && lvl.hasNegativeChain && hw.steps.has(lvl.negativeGiantStep) ? hw.registerDftOutput(lvl.outputJob(0)) : undefined;
    this.c2sChains = this.c2s.slice(0, -1).map(chain);
    this.s2cChains = this.s2c.map(chain);
    const s0 = this.s2c[0]!;
    this.s2cBabiesOnWorker = s0.inputs === 2 && s0.schedule.maxBaby > 0 && hw.steps.has(s0.babyStep);
  }

  /** Which parts of a full-slot bootstrap the half worker runs (see useHalfWorker). */
  get halfWorkerParts(): { coeffToSlotOutput: boolean; giantChains: number; slotToCoeffBabySteps: boolean; babySplits: number } {
    return {
      coeffToSlotOutput: this.halfDftId !== undefined,
      giantChains: [...this.c2sChains, ...this.s2cChains].filter((id) => id !== undefined).length,
      slotToCoeffBabySteps: this.s2cBabiesOnWorker,
      babySplits: this.half ? [...this.c2s, ...this.s2c].filter((l) => this.splitsBabies(l, l.inputs)).length : 0,
    };
  }

  /** True when the half worker also evaluates CoeffToSlot's second output (see useHalfWorker). */
  get halfWorkerTakesCoeffToSlot(): boolean {
    return this.halfDftId !== undefined;
  }

  /** Bytes all diagonals would take precomputed (NTT form at their levels): the budget that precomputes every level. */
  get allPrecomputedBytes(): number {
    return [...this.c2s, ...this.s2c].reduce((a, c) => a + c.plaintexts.size * 8 * this.ctx.N * (c.level + 1), 0);
  }

  /** Bytes of precomputed diagonals (NTT plaintexts or lazy coefficient vectors) held in JS memory. */
  get plaintextBytes(): number {
    return [...this.c2s, ...this.s2c].reduce((a, c) => a + c.bytes, 0);
  }

  private ledger(): ScaleLedger {
    return new ScaleLedger((l) => Number(this.ctx.primeAt(l)), this.plan.levels.evalMod, this.plan.evalModScale);
  }

  /** Ciphertext scales before SlotToCoeff level 0, 1, …, and after the last (= output scale). */
  private s2cScales(): number[] {
    const d = this.plan.slotToCoeff.levels.length;
    const from = this.s2cInputScale();
    const to = this.plan.outputScale;
    return Array.from({ length: d + 1 }, (_, i) => (i === 0 ? from : i === d ? to : from * (to / from) ** (i / d)));
  }

  private s2cInputScale(): number {
    return this.ledger().at(this.plan.levels.evalMod - evalModDepth(this.plan.evalMod));
  }

  /** ModRaise: level 0 → top, scale set to the EvalMod scale. */
  modRaise(ct: Ciphertext): Ciphertext {
    if (ct.level !== 0) throw new Error(`bootstrap input must be at level 0 (only q0 left), got level ${ct.level}`);
    const rel = Math.abs(ct.scale / this.plan.inputScale - 1);
    if (rel > 1e-9) {
      throw new Error(
        `bootstrap input scale 2^${ct.logScale.toFixed(4)} differs from the planned level-0 scale 2^${Math.log2(this.plan.inputScale).toFixed(4)}`,
      );
    }
    let raised: Ciphertext;
    if (this.encapsulation) {
      // SSE: s → s' at level 0 (modulus q0·P), ModRaise under s', back to s at the top level
      const eph = this.encapsulation.toEphemeral(ct);
      const raisedEph = modRaise(this.ctx, eph, this.plan.evalModScale);
      eph.dispose();
      raised = this.encapsulation.fromEphemeral(raisedEph);
      raisedEph.dispose();
    } else {
      raised = modRaise(this.ctx, ct, this.plan.evalModScale);
    }
    // sparse packing: trace onto the sub-ring, Σ_r rot(ct, r·n) by doubling (Cheon et al. 2018 §4.3)
    let cur = raised;
    for (const r of this.plan.traceSteps) {
      const rot = this.ev.rotate(cur, r);
      const sum = this.ev.add(cur, rot);
      rot.dispose();
      cur.dispose();
      cur = sum;
    }
    return cur;
  }

  /** CoeffToSlot: the DFT levels, then Re(·) of each output. */
  coeffToSlot(raised: Ciphertext): Ciphertext[] {
    return this.coeffToSlotDft(raised).map((y) => {
      try {
        return twiceRealPart(this.ev, y);
      } finally {
        y.dispose();
      }
    });
  }

  /** CoeffToSlot's DFT levels (outputs complex: Re(·) still to take). */
  private coeffToSlotDft(raised: Ciphertext, levels = this.c2s.length, twoThreads = false): Ciphertext[] {
    let cur = [raised];
    const S = this.plan.evalModScale;
    this.c2s.slice(0, levels).forEach((lvl, i) => {
      const next = this.dftLevel(lvl, cur, S, twoThreads ? this.c2sChains[i] : undefined);
      if (i > 0) for (const c of cur) c.dispose();
      cur = next;
    });
    return cur;
  }

  /**
   * One DFT level on `xs` (not consumed). With a chain id (a single-output level registered on the half
   * worker) the worker runs the negative giant chain from a copy of the baby steps while this thread runs the
   * rest: the same operations on the same operands as on one thread, so the output is bit-identical.
   * `babiesIn` (optional, not consumed) are the level's baby steps when they were computed already.
   */
  private dftLevel(lvl: CompiledDftLevel, xs: Ciphertext[], outScale: number, chainId: number | undefined, babiesIn?: Ciphertext[][]): Ciphertext[] {
    const half = this.half;
    if (!half) return lvl.evaluate(this.ev, this.raw, xs, outScale, this.levelEncoder);
    if (chainId === undefined) {
      const own = babiesIn ?? this.babySteps(lvl, xs);
      try {
        return Array.from({ length: lvl.outputs }, (_, o) => lvl.evaluateOutput(this.ev, this.raw, own, o, outScale, this.levelEncoder));
      } finally {
        if (!babiesIn) for (const list of own) for (const c of list) c.dispose();
      }
    }
    const babies = babiesIn ?? this.babySteps(lvl, xs);
    let started = false;
    let collected = false;
    try {
      half.startChain(chainId, babies);
      started = true;
      const remote = (): Ciphertext => {
        collected = true;
        return half.finish(this.ctx);
      };
      return [lvl.evaluateOutput(this.ev, this.raw, babies, 0, outScale, this.levelEncoder, remote)];
    } catch (e) {
      // collect the worker's answer after a local failure, so that the worker is idle for the next call
      if (started && !collected) {
        try {
          half.finish(this.ctx).dispose();
        } catch {
          /* the local error is the one to report */
        }
      }
      throw e;
    } finally {
      if (!babiesIn) for (const list of babies) for (const c of list) c.dispose();
    }
  }

  /**
   * CoeffToSlot's last level split between the threads: the baby steps here, output 1 (dot products, giant
   * steps) and its EvalMod half on the worker, output 0 and its half here. Consumes `xs` unless it is `raised`.
   * Returns the CoeffToSlot end time (this thread) and the two halves (each as SlotToCoeff's baby steps when
   * the worker computes them: see halfResults).
   */
  private splitLastLevel(xs: Ciphertext[], raised: Ciphertext, half: HalfWorker, id: number): { c2sDone: number; local: Ciphertext[]; remote: Ciphertext[] } {
    const last = this.c2s[this.c2s.length - 1]!;
    const S = this.plan.evalModScale;
    const job = this.halfJob(true);
    let babies: Ciphertext[][] | undefined;
    let y0: Ciphertext | undefined;
    let started = false;
    try {
      babies = this.babySteps(last, xs);
      half.startDftOutput(id, babies, S, job, this.s2cBabySteps());
      started = true;
      y0 = last.evaluateOutput(this.ev, this.raw, babies, 0, S, this.levelEncoder);
      for (const list of babies) for (const c of list) c.dispose();
      babies = undefined;
      const c2sDone = performance.now();
      const both = this.halfResults(y0, job, half);
      started = false;
      return { c2sDone, ...both };
    } catch (e) {
      // a local failure must still collect the worker's answer, so that the worker is idle for the next call
      if (started && !(e as { collected?: boolean }).collected) {
        try {
          for (const c of half.finishAll(this.ctx)) c.dispose();
        } catch {
          /* the local error is the one to report */
        }
      }
      throw e;
    } finally {
      if (babies) for (const list of babies) for (const c of list) c.dispose();
      y0?.dispose();
      for (const x of xs) if (x !== raised && !x.disposed) x.dispose();
    }
  }

  /** True when the half worker computes the upper part of `lvl`'s baby steps (see babySteps). */
  private splitsBabies(lvl: CompiledDftLevel, inputs: number): boolean {
    const half = this.half;
    const jumpStep = lvl.jumpStep;
    return !!half && this.babySplitsOn && inputs === 1 && jumpStep !== undefined && lvl.usableJump(this.ev) > 0 && half.steps.has(jumpStep) && half.steps.has(lvl.babyStep);
  }

  /**
   * A level's baby steps (the caller frees them). Single-input levels whose jump key both threads hold: the
   * worker computes x_jump..x_max (x_jump = rot(x, jump·stride)) while this thread computes x_0..x_{jump−1},
   * the same rotations as lvl.babySteps on one thread with that key.
   */
  private babySteps(lvl: CompiledDftLevel, xs: Ciphertext[]): Ciphertext[][] {
    const half = this.half;
    if (!half || !this.splitsBabies(lvl, xs.length)) return lvl.babySteps(this.ev, xs);
    if (xs[0]!.level !== lvl.level) throw new Error(`DFT level expects inputs at level ${lvl.level}, got ${xs[0]!.level}`);
    const sch = lvl.schedule;
    half.startBabyRange(xs[0]!, sch.stride, sch.babyJump, sch.maxBaby, lvl.jumpStep!);
    let lower: Ciphertext[];
    try {
      lower = dftBabyRange(this.ev, xs[0]!, sch.stride, 0, sch.babyJump - 1);
    } catch (e) {
      try {
        for (const c of half.finishAll(this.ctx)) c.dispose();
      } catch {
        /* the local error is the one to report */
      }
      throw e;
    }
    let upper: Ciphertext[];
    try {
      upper = half.finishAll(this.ctx);
    } catch (e) {
      for (const c of lower) c.dispose();
      throw e;
    }
    return [[...lower, ...upper]];
  }

  /** SlotToCoeff's baby-step schedule when the worker answers its half as baby steps (else undefined). */
  private s2cBabySteps(): { stride: number; maxBaby: number } | undefined {
    const s0 = this.s2c[0]!;
    return this.s2cBabiesOnWorker ? { stride: s0.schedule.stride, maxBaby: s0.schedule.maxBaby } : undefined;
  }

  /**
   * This thread's half on y (not consumed), while the worker runs the posted one; then the worker's answer.
   * When the worker answers SlotToCoeff's baby steps, this thread computes its half's baby steps before
   * waiting. If this throws after the worker was posted, the caller still collects the worker's answer.
   */
  private halfResults(y: Ciphertext, job: EvalModHalfJob, half: HalfWorker): { local: Ciphertext[]; remote: Ciphertext[] } {
    let local: Ciphertext[] = [];
    try {
      const p = evalModHalf(this.ev, y, job);
      local = [p];
      const after = this.s2cBabySteps();
      if (after) {
        local = dftBabySteps(this.ev, p, after.stride, after.maxBaby);
        p.dispose();
      }
    } catch (e) {
      for (const c of local) c.dispose();
      throw e;
    }
    let remote: Ciphertext[];
    try {
      remote = half.finishAll(this.ctx);
    } catch (e) {
      for (const c of local) c.dispose();
      // the worker answered (with an error): nothing left to collect
      throw Object.assign(e as Error, { collected: true });
    }
    return { local, remote };
  }

  /** What one EvalMod half needs (Re(·) first when it gets CoeffToSlot's raw output). */
  private halfJob(realPartFirst: boolean): EvalModHalfJob {
    return {
      evalMod: this.plan.evalMod,
      startLevel: this.plan.levels.evalMod,
      startScale: this.plan.evalModScale,
      toLevel: this.plan.levels.slotToCoeff,
      realPartFirst,
    };
  }

  /**
   * EvalMod on each CoeffToSlot output; results are mod-switched to the SlotToCoeff input level. Then
   * 2·Re(y) = y + conj(y) (the ½ is folded into SlotToCoeff): EvalMod's rescale noise is complex, and the
   * polynomial and double angles amplify its imaginary part like the real part; SlotToCoeff is ℂ-linear, so
   * without this the imaginary noise would reach the output (one conjugation each, at a low level).
   */
  evalMod(us: Ciphertext[]): Ciphertext[] {
    const job = this.halfJob(false);
    return us.map((u) => evalModHalf(this.ev, u, job));
  }

  /**
   * Re(·) + EvalMod (+ 2·Re) of CoeffToSlot's two raw outputs, the second on the half worker while this
   * thread runs the first. Consumes `ys`.
   */
  private evalModHalves(ys: Ciphertext[], half: HalfWorker): { local: Ciphertext[]; remote: Ciphertext[] } {
    const job = this.halfJob(true);
    let started = false;
    try {
      half.start(ys[1], job, this.s2cBabySteps());
      started = true;
      ys[1].dispose();
      const r = this.halfResults(ys[0], job, half);
      started = false;
      return r;
    } catch (e) {
      if (started && !(e as { collected?: boolean }).collected) {
        try {
          for (const c of half.finishAll(this.ctx)) c.dispose();
        } catch {
          /* the local error is the one to report */
        }
      }
      throw e;
    } finally {
      for (const y of ys) if (!y.disposed) y.dispose();
    }
  }

  /**
   * SlotToCoeff from the two halves (consumed): each is the half's result, or its baby steps for the first
   * level. Single-output levels with a registered chain share their giant steps with the worker.
   */
  private slotToCoeffTwoThreads(local: Ciphertext[], remote: Ciphertext[]): Ciphertext {
    const scales = this.s2cScales();
    const s0 = this.s2c[0]!;
    let cur: Ciphertext[];
    let made: Ciphertext[][] | undefined;
    try {
      if (local.length !== remote.length) throw new Error(`internal: the halves gave ${local.length} and ${remote.length} ciphertexts`);
      const babies = local.length > 1 ? [local, remote] : (made = s0.babySteps(this.ev, [local[0]!, remote[0]!]));
      cur = this.dftLevel(s0, [], scales[1], this.s2cChains[0], babies);
    } finally {
      if (made) for (const list of made) for (const c of list) c.dispose();
      for (const c of [...local, ...remote]) if (!c.disposed) c.dispose();
    }
    for (let i = 1; i < this.s2c.length; i++) {
      try {
        const next = this.dftLevel(this.s2c[i]!, cur, scales[i + 1], this.s2cChains[i]);
        for (const c of cur) c.dispose();
        cur = next;
      } catch (e) {
        for (const c of cur) c.dispose();
        throw e;
      }
    }
    return this.finalRealPart(cur[0]!);
  }

  /** The output, or 2·Re(·) of it for real data (consumes z). */
  private finalRealPart(z: Ciphertext): Ciphertext {
    if (!this.plan.realOutput) return z;
    try {
      return twiceRealPart(this.ev, z);
    } finally {
      z.dispose();
    }
  }

  slotToCoeff(ps: Ciphertext[]): Ciphertext {
    const scales = this.s2cScales();
    let cur = ps;
    this.s2c.forEach((lvl, i) => {
      const next = lvl.evaluate(this.ev, this.raw, cur, scales[i + 1], this.levelEncoder);
      if (i > 0) for (const c of cur) c.dispose();
      cur = next;
    });
    const z = cur[0];
    if (!this.plan.realOutput) return z;
    const cj = this.ev.conjugate(z);
    const r = this.ev.add(z, cj);
    cj.dispose();
    z.dispose();
    return r;
  }

  /**
   * Bootstraps a level-0 ciphertext (scale = the level-0 canonical scale) to the output level
   * (plan.levels.output, canonical scale). `stages` (optional) receives clones of intermediate results.
   */
  bootstrap(ct: Ciphertext, stages?: BootstrapStages): { ct: Ciphertext; timings: BootstrapTimings } {
    const t = [performance.now()];
    const raised = this.modRaise(ct);
    t.push(performance.now());
    if (stages) stages.raised = raised.clone();
    let out: Ciphertext;
    if (this.half && !stages && this.c2s[this.c2s.length - 1]!.outputs === 2) {
      const half = this.half;
      let halves: { local: Ciphertext[]; remote: Ciphertext[] };
      try {
        if (this.halfDftId !== undefined) {
          // two threads from CoeffToSlot's last level on: output 1 and its EvalMod half on the worker; CoeffToSlot
          // is timed until this thread's output 0 is ready, the rest (its half and the wait) as EvalMod
          const xs = this.coeffToSlotDft(raised, this.c2s.length - 1, true);
          const r = this.splitLastLevel(xs, raised, half, this.halfDftId);
          t.push(r.c2sDone);
          halves = r;
        } else {
          // two threads for EvalMod: CoeffToSlot's final Re(·) runs inside the halves (timed as EvalMod)
          const ys = this.coeffToSlotDft(raised, this.c2s.length, true);
          t.push(performance.now());
          halves = this.evalModHalves(ys, half);
        }
      } finally {
        raised.dispose();
      }
      t.push(performance.now());
      out = this.slotToCoeffTwoThreads(halves.local, halves.remote);
    } else {
      const u = this.coeffToSlot(raised);
      raised.dispose();
      t.push(performance.now());
      if (stages) stages.c2s = u.map((c) => c.clone());
      const p = this.evalMod(u);
      for (const c of u) c.dispose();
      t.push(performance.now());
      if (stages) stages.evalMod = p.map((c) => c.clone());
      out = this.slotToCoeff(p);
      for (const c of p) c.dispose();
    }
    t.push(performance.now());
    const s = (i: number): number => (t[i + 1] - t[i]) / 1000;
    return {
      ct: out,
      timings: { modRaise: s(0), coeffToSlot: s(1), evalMod: s(2), slotToCoeff: s(3), total: (t[4] - t[0]) / 1000 },
    };
  }

  /** Frees the plaintext factory and the encapsulation (owned by the bootstrapper once given). */
  dispose(): void {
    this.raw.dispose();
    this.levelEncoder.dispose();
    this.encapsulation?.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
