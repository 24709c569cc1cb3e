// Homomorphic evaluation of one merged DFT level (a DftLevel: outputs[o] = Σ_i M[o][i]·inputs[i]) with
// complex plaintext diagonals, baby-step giant-step (Halevi–Shoup 2018; Chen–Chillotti–Song 2019) on the
// "stride-key" schedule of design note §5.3:
//
//   every offset of a merged level is a multiple of a stride s; with k = g·n1 + b (0 ≤ b < n1),
//   y = Σ_g rot( Σ_b rot(d_{g·n1+b}, −g·n1·s) ⊙ rot(x, b·s), g·n1·s ),
//   baby steps chained with the single key s, giant steps by Horner with the keys ±n1·s.
//
// Same number of key switches as classic BSGS (SEAL has no hoisting), but only 2–3 Galois keys per level.
// Diagonal plaintexts are built once (raw bytes outside the wasm heap) and loaded right before use.
import type { Ciphertext } from "../ciphertext.js";
import type { Evaluator } from "../evaluator.js";
import type { LevelEncoder } from "../level-encoder.js";
import { complexRotate } from "./complex.js";
import { type DftLevel, withPeriod } from "./dft-plan.js";
import { type EncodingFactors, coefficientsFromSlots } from "./encoding-map.js";
import type { RawPlaintextFactory } from "./seal-bytes.js";

export interface BsgsSchedule {
  n: number;
  stride: number;
  n1: number;
  /** Giant indices present (any matrix), ascending. */
  giants: number[];
  /** Largest baby index used. */
  maxBaby: number;
  /**
   * Single-input levels: the baby steps may split at this index, x_babyJump = rot(x, babyJump·stride) with
   * one more key (babyJumpStep), so that two threads compute x_1..x_{babyJump−1} and x_babyJump..x_maxBaby at
   * once. Used only when that key is there (CompiledDftLevel.usableJump); 0 = no split.
   */
  babyJump: number;
  /** Rotation keys: stride, n1·stride, −n1·stride (normalised to SEAL steps). */
  steps: number[];
  /** Key switches per evaluation (baby steps per input + giant steps per output). */
  rotations: number;
  /** Number of non-zero diagonals summed over all matrices. */
  diagonals: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** SEAL rotation step for a left rotation by k (mod n): the representative in (−n/2, n/2]. */
export function sealStep(k: number, n: number): number {
  let s = ((k % n) + n) % n;
  if (s > n / 2) s -= n;
  return s;
}

function centred(k: number, m: number): number {
  return k > m / 2 ? k - m : k;
}

/** BSGS schedule of a merged level; n = the period of its matrices (n slots, or 2n after a sparse repack). */
export function bsgsSchedule(level: DftLevel, n: number = level.matrices[0][0].n): BsgsSchedule {
  const offsets = new Set<number>();
  let diagonals = 0;
  for (const row of level.matrices) for (const M of row) for (const p of M.diags.keys()) {
    offsets.add(p);
    diagonals++;
  }
  let stride = n;
  for (const p of offsets) if (p !== 0) stride = gcd(stride, p);
  if (stride === n) stride = 1;
  const m = n / stride;
  const ks = [...offsets].map((p) => centred(p / stride, m));
  const inputs = level.matrices[0].length;
  const outputs = level.matrices.length;
  let best: BsgsSchedule | undefined;
  for (let n1 = 1; n1 <= m; n1 *= 2) {
    const gs = new Set<number>();
    let maxBaby = 0;
    for (const k of ks) {
      const g = Math.floor(k / n1);
      gs.add(g);
      maxBaby = Math.max(maxBaby, k - g * n1);
    }
    const giants = [...gs].sort((a, b) => a - b);
    const gmax = Math.max(0, giants[giants.length - 1]);
    const gmin = Math.min(0, giants[0]);
    const rotations = inputs * maxBaby + outputs * (gmax - gmin);
    if (!best || rotations < best.rotations) {
      const steps = new Set<number>();
      if (maxBaby > 0) steps.add(sealStep(stride, n));
      if (gmax > 0) steps.add(sealStep(n1 * stride, n));
      if (gmin < 0) steps.add(sealStep(-n1 * stride, n));
      steps.delete(0);
      const babyJump = inputs === 1 && maxBaby >= 3 ? Math.ceil((maxBaby + 1) / 2) : 0;
      best = { n, stride, n1, giants, maxBaby, babyJump, steps: [...steps], rotations, diagonals };
    }
  }
  return best!;
}

/**
 * Baby steps x_from..x_to of x: x_0 = a copy of x (from = 0) or x_from = rot(x, from·stride), then
 * x_b = rot(x_{b−1}, stride). x is not consumed; the caller frees the list.
 */
export function dftBabyRange(ev: Evaluator, x: Ciphertext, stride: number, from: number, to: number, fromStep = from * stride): Ciphertext[] {
  // fromStep: the SEAL step of from·stride (the key's sign for n-periodic data, see sealStep)
  const list = [from === 0 ? x.clone() : ev.rotate(x, fromStep)];
  try {
    for (let b = from + 1; b <= to; b++) list.push(ev.rotate(list[list.length - 1], stride));
    return list;
  } catch (e) {
    for (const c of list) c.dispose();
    throw e;
  }
}

/** x_0..x_maxBaby (dftBabyRange), split at `jump` when it is > 0 (BsgsSchedule.babyJump). */
export function dftBabySteps(ev: Evaluator, x: Ciphertext, stride: number, maxBaby: number, jump = 0, jumpStep = jump * stride): Ciphertext[] {
  if (jump <= 0 || jump > maxBaby) return dftBabyRange(ev, x, stride, 0, maxBaby);
  const lower = dftBabyRange(ev, x, stride, 0, jump - 1);
  try {
    return [...lower, ...dftBabyRange(ev, x, stride, jump, maxBaby, jumpStep)];
  } catch (e) {
    for (const c of lower) c.dispose();
    throw e;
  }
}

/** SEAL step of a schedule's baby-step jump (undefined when it has none). */
export function babyJumpStep(sch: BsgsSchedule): number | undefined {
  return sch.babyJump > 0 ? sealStep(sch.babyJump * sch.stride, sch.n) : undefined;
}

function shared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/** A merged DFT level with its diagonals compiled into serialised plaintexts at one level. */
export class CompiledDftLevel {
  /**
   * key `${o}|${i}|${g}|${b}` → serialised NTT plaintext (precomputed), or the pre-rotated real coefficient
   * vector (unscaled) when the level was compiled lazily: 8·N bytes instead of 8·N·(level+1); the NTT and
   * RNS reduction then run right before use.
   */
  readonly plaintexts = new Map<string, Uint8Array | Float64Array>();
  bytes = 0;

  constructor(
    readonly schedule: BsgsSchedule,
    readonly inputs: number,
    readonly outputs: number,
    /** Level of the input ciphertexts. */
    readonly level: number,
    /** Plaintext scale: the ciphertext scale is multiplied by it before the rescale by q_level. */
    readonly ptScale: number,
  ) {}

  static compile(level: DftLevel, f: EncodingFactors, raw: RawPlaintextFactory, ctLevel: number, ptScale: number, lazy = false): CompiledDftLevel {
    const sch = bsgsSchedule(level);
    const c = new CompiledDftLevel(sch, level.matrices[0].length, level.matrices.length, ctLevel, ptScale);
    const m = sch.n / sch.stride;
    level.matrices.forEach((row, o) =>
      row.forEach((M, i) => {
        for (const [p, d] of M.diags) {
          const k = centred(p / sch.stride, m);
          const g = Math.floor(k / sch.n1);
          const b = k - g * sch.n1;
          // pre-rotated for its giant step, replicated to all N/2 slots (periodic data, sparse packing)
          const pre = withPeriod(complexRotate(d, -g * sch.n1 * sch.stride), f.n);
          const coeffs = coefficientsFromSlots(f, pre);
          // precomputed bytes live in a SharedArrayBuffer: a worker thread reads them without a copy (outputJob)
          const stored = lazy ? coeffs : shared(raw.build(coeffs, ctLevel, ptScale));
          c.plaintexts.set(`${o}|${i}|${g}|${b}`, stored);
          c.bytes += stored.byteLength;
        }
      }),
    );
    return c;
  }

  /**
   * Evaluates the level on `xs` (all at this.level with one scale); returns the outputs rescaled once,
   * with their scale snapped to `outScale` (asserted close).
   * `encoder` (optional) finishes lazily kept diagonals with the FFT/residue fast path of LevelEncoder
   * (same plaintext as raw.build + raw.load, ~2x faster, no serialisation round trip).
   */
  evaluate(ev: Evaluator, raw: RawPlaintextFactory, xs: Ciphertext[], outScale: number, encoder?: LevelEncoder): Ciphertext[] {
    const babies = this.babySteps(ev, xs);
    const outs: Ciphertext[] = [];
    try {
      for (let o = 0; o < this.outputs; o++) outs.push(this.evaluateOutput(ev, raw, babies, o, outScale, encoder));
      return outs;
    } catch (e) {
      for (const c of outs) c.dispose();
      throw e;
    } finally {
      for (const list of babies) for (const c of list) c.dispose();
    }
  }

  /** Baby steps of every input: x_b = rot(x_{b−1}, stride), b = 0..maxBaby (x_0 a copy). The caller frees them. */
  babySteps(ev: Evaluator, xs: Ciphertext[]): Ciphertext[][] {
    for (const x of xs) {
      if (x.level !== this.level) throw new Error(`DFT level expects inputs at level ${this.level}, got ${x.level}`);
    }
    const out: Ciphertext[][] = [];
    try {
      const jump = xs.length === 1 ? this.usableJump(ev) : 0;
      for (const x of xs) out.push(dftBabySteps(ev, x, this.schedule.stride, this.schedule.maxBaby, jump, babyJumpStep(this.schedule)));
      return out;
    } catch (e) {
      for (const list of out) for (const c of list) c.dispose();
      throw e;
    }
  }

  /** Output `o` from the baby steps (not consumed): dot products with its diagonals, giant steps, one rescale. */
  evaluateOutput(
    ev: Evaluator,
    raw: RawPlaintextFactory,
    babies: Ciphertext[][],
    o: number,
    outScale: number,
    encoder?: LevelEncoder,
    negativeChain?: () => Ciphertext | undefined,
  ): Ciphertext {
    return evaluateDftOutput(ev, raw, this.outputJobShape(o), (i, g, b) => this.plaintexts.get(`${o}|${i}|${g}|${b}`), babies, outScale, encoder, negativeChain);
  }

  /** True when the schedule has negative giants (a second thread can then run their Horner chain). */
  get hasNegativeChain(): boolean {
    return Math.min(0, ...this.schedule.giants) < 0;
  }

  /** SEAL step of the negative chain's rotations (−n1·stride). */
  get negativeGiantStep(): number {
    return sealStep(-this.schedule.n1 * this.schedule.stride, this.schedule.n);
  }

  /**
   * The baby-step split index when the evaluator holds its key at this level (then every thread uses it, so
   * one- and two-thread bootstraps stay bit-identical), else 0.
   */
  usableJump(ev: Evaluator): number {
    const step = babyJumpStep(this.schedule);
    if (step === undefined || this.inputs !== 1 || !ev.keyStore.has(step)) return 0;
    const max = ev.keyStore.maxLevel(step);
    return max === undefined || max >= this.level ? this.schedule.babyJump : 0;
  }

  /** SEAL step of the baby-step jump (undefined when the schedule has none). */
  get jumpStep(): number | undefined {
    return babyJumpStep(this.schedule);
  }

  /** SEAL step of the baby-step rotations (stride). */
  get babyStep(): number {
    return sealStep(this.schedule.stride, this.schedule.n);
  }

  /** True when every diagonal is precomputed (an output can then be shipped to another thread as bytes). */
  get precomputed(): boolean {
    for (const v of this.plaintexts.values()) if (v instanceof Float64Array) return false;
    return true;
  }

  /** SEAL steps of the giant-step rotations (what a thread evaluating an output from given baby steps needs). */
  get giantSteps(): number[] {
    return giantStepsOf(this.schedule);
  }

  /**
   * Output `o` as plain data (structured-cloneable; the precomputed plaintext bytes live in SharedArrayBuffers,
   * so a worker reads them without a copy): evaluateDftOutput runs it on any thread.
   */
  outputJob(o: number): DftOutputJob {
    if (!this.precomputed) throw new Error("DFT level: an output job needs precomputed diagonals (raise the diagonal budget)");
    const plaintexts = new Map<string, Uint8Array>();
    for (const [k, v] of this.plaintexts) {
      const [oo, i, g, b] = k.split("|");
      if (Number(oo) === o) plaintexts.set(`${i}|${g}|${b}`, v as Uint8Array);
    }
    return { ...this.outputJobShape(o), plaintexts };
  }

  private outputJobShape(o: number): Omit<DftOutputJob, "plaintexts"> {
    return { schedule: this.schedule, inputs: this.inputs, level: this.level, ptScale: this.ptScale, output: o };
  }
}

/** SEAL steps of a schedule's giant-step rotations (±n1·stride, the signs its giants use). */
export function giantStepsOf(sch: BsgsSchedule): number[] {
  const G = sch.n1 * sch.stride;
  const out: number[] = [];
  if (Math.max(0, ...sch.giants) > 0) out.push(sealStep(G, sch.n));
  if (Math.min(0, ...sch.giants) < 0) out.push(sealStep(-G, sch.n));
  return out;
}

/** One output of a merged DFT level as plain data (CompiledDftLevel.outputJob). */
export interface DftOutputJob {
  schedule: BsgsSchedule;
  inputs: number;
  level: number;
  ptScale: number;
  output: number;
  /** `${i}|${g}|${b}` → serialised NTT plaintext. */
  plaintexts: Map<string, Uint8Array>;
}

/** Which giant indices a partial evaluation covers: all, the non-negative ones, or the negative ones. */
export type GiantPart = "all" | "nonNegative" | "negative";

function inPart(g: number, part: GiantPart): boolean {
  return part === "all" || (part === "negative" ? g < 0 : g >= 0);
}

/**
 * u_g = Σ_i Σ_b d_{o,i,g,b} ⊙ babies[i][b] for the giants g of `part` (not rescaled). The map owns its
 * ciphertexts. Plaintext multiplications and additions are exact in RNS, so u_g does not depend on which
 * thread computes it.
 */
function giantSums(
  ev: Evaluator,
  raw: RawPlaintextFactory,
  job: Omit<DftOutputJob, "plaintexts">,
  diag: (i: number, g: number, b: number) => Uint8Array | Float64Array | undefined,
  babies: Ciphertext[][],
  part: GiantPart,
  encoder?: LevelEncoder,
): Map<number, Ciphertext> {
  const sch = job.schedule;
  const seal = ev.sealEvaluator;
  const u = new Map<number, Ciphertext>();
  const tmp = ev.ctx.seal.CipherText();
  try {
    for (let i = 0; i < job.inputs; i++) {
      for (const g of sch.giants) {
        if (!inPart(g, part)) continue;
        for (let b = 0; b <= sch.maxBaby; b++) {
          const stored = diag(i, g, b);
          if (!stored) continue;
          const pt =
            stored instanceof Float64Array
              ? encoder
                ? encoder.encodeCoefficients(stored, job.level, job.ptScale)
                : raw.load(raw.build(stored, job.level, job.ptScale))
              : raw.load(stored);
          try {
            const acc = u.get(g);
            if (!acc) {
              const first = babies[i][b].clone();
              seal.multiplyPlain(first.handle, pt.handle, first.handle);
              u.set(g, first);
            } else {
              seal.multiplyPlain(babies[i][b].handle, pt.handle, tmp);
              seal.add(acc.handle, tmp, acc.handle);
            }
            ev.counts.mulPlain++;
          } finally {
            pt.dispose();
          }
        }
      }
    }
    return u;
  } catch (e) {
    for (const ct of u.values()) ct.dispose();
    throw e;
  } finally {
    tmp.delete();
  }
}

/**
 * One Horner chain of the giant steps: for gs = [g_k, …, g_1] (|g| descending) and step = ±n1·stride,
 * rot(…rot(rot(u_{g_k}, step) + u_{g_{k−1}}, step)… + u_{g_1}, step). undefined when no u_g exists.
 */
function hornerChain(ev: Evaluator, u: Map<number, Ciphertext>, gs: number[], step: number): Ciphertext | undefined {
  let acc: Ciphertext | undefined;
  try {
    for (const g of gs) {
      if (acc) {
        const r = ev.rotate(acc, step);
        acc.dispose();
        acc = r;
      }
      const ug = u.get(g);
      if (ug) {
        if (acc) {
          ev.sealEvaluator.add(acc.handle, ug.handle, acc.handle);
          ev.counts.add++;
        } else acc = ug.clone();
      }
    }
    if (acc) {
      const r = ev.rotate(acc, step);
      acc.dispose();
      acc = r;
    }
    return acc;
  } catch (e) {
    acc?.dispose();
    throw e;
  }
}

/** The positive (g = gmax … 1, step +n1·stride) or negative (g = gmin … −1, step −n1·stride) chain's giants. */
function chainGiants(sch: BsgsSchedule, sign: 1 | -1): number[] {
  if (sign === 1) {
    const gmax = Math.max(0, ...sch.giants);
    return Array.from({ length: gmax }, (_, t) => gmax - t);
  }
  const gmin = Math.min(0, ...sch.giants);
  return Array.from({ length: -gmin }, (_, t) => gmin + t);
}

/**
 * The negative-giant part of a DFT output, Σ_{g<0} rot(u_g, g·n1·stride) by one Horner chain, not rescaled
 * (undefined when the schedule has no negative giants). A second thread computes it while the first computes
 * the rest; the sum is bit-identical to evaluateDftOutput on one thread (same rotations of the same operands).
 */
export function evaluateDftNegativeChain(
  ev: Evaluator,
  raw: RawPlaintextFactory,
  job: Omit<DftOutputJob, "plaintexts">,
  diag: (i: number, g: number, b: number) => Uint8Array | Float64Array | undefined,
  babies: Ciphertext[][],
): Ciphertext | undefined {
  const u = giantSums(ev, raw, job, diag, babies, "negative");
  try {
    return hornerChain(ev, u, chainGiants(job.schedule, -1), -job.schedule.n1 * job.schedule.stride);
  } finally {
    for (const ct of u.values()) ct.dispose();
  }
}

/**
 * Σ_g rot(Σ_i Σ_b d_{o,i,g,b} ⊙ babies[i][b], g·n1·stride), rescaled once, scale snapped to `outScale`.
 * Giant steps by two Horner chains (positive and negative g). `diag(i, g, b)` gives the stored diagonal.
 * `negativeChain` (optional) supplies the negative chain computed elsewhere (evaluateDftNegativeChain on
 * another thread); it is called after this thread's part is done.
 */
export function evaluateDftOutput(
  ev: Evaluator,
  raw: RawPlaintextFactory,
  job: Omit<DftOutputJob, "plaintexts">,
  diag: (i: number, g: number, b: number) => Uint8Array | Float64Array | undefined,
  babies: Ciphertext[][],
  outScale: number,
  encoder?: LevelEncoder,
  negativeChain?: () => Ciphertext | undefined,
): Ciphertext {
  const sch = job.schedule;
  const seal = ev.sealEvaluator;
  const u = giantSums(ev, raw, job, diag, babies, negativeChain ? "nonNegative" : "all", encoder);
  const parts: Ciphertext[] = [];
  try {
    const G = sch.n1 * sch.stride;
    const pos = hornerChain(ev, u, chainGiants(sch, 1), G);
    if (pos) parts.push(pos);
    const neg = negativeChain ? negativeChain() : hornerChain(ev, u, chainGiants(sch, -1), -G);
    if (neg) parts.push(neg);
    let sum = u.get(0)?.clone();
    for (const part of parts) {
      if (sum) seal.add(sum.handle, part.handle, sum.handle);
      else sum = part.clone();
    }
    if (!sum) throw new Error("DFT level with no diagonals");
    const r = ev.rescale(sum);
    sum.dispose();
    const rel = Math.abs(r.scale / outScale - 1);
    if (rel > 1e-9) {
      r.dispose();
      throw new Error(`internal: DFT level produced scale 2^${Math.log2(r.scale)} instead of 2^${Math.log2(outScale)}`);
    }
    r.handle.setScale(outScale);
    return r;
  } finally {
    for (const ct of u.values()) ct.dispose();
    for (const ct of parts) ct.dispose();
  }
}
