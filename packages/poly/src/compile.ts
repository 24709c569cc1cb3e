// Compiles Chebyshev series (and composites of them) into PolyPrograms with a depth-optimal
// baby-step giant-step evaluation in the Chebyshev basis, after Bossuat, Mouchet, Troncoso-Pastoriza,
// Hubaux, "Efficient Bootstrapping for Approximate HE with Non-Sparse Keys" (Eurocrypt 2021, Alg. 2)
// and Lattigo's polynomial evaluator. See README.md "Evaluation algorithm and cost rules".
//
// Sketch (degree d, target depth D = ceil(log2(d+1)) above the level of T_1):
//  * T_1 = t = alpha*x + beta, one `linear` op (a level unless alpha is a small integer and
//    the identity map [-1,1] costs nothing); in leaf combinations the T_1 term is folded
//    directly onto x so a degree-1 series costs exactly one level.
//  * Chebyshev polynomials T_j are produced on demand (memoised) by
//      T_{2n} = 2 T_n^2 - 1,   T_j = 2 T_{2^k} T_{j-2^k} - T_{2^{k+1}-j}  (2^k < j < 2^{k+1}),
//    one non-scalar multiplication each, T_j at level ceil(log2 j) above T_1 (optimal).
//  * p of degree e is split by the giant step T_n, n = 2^floor(log2 e):
//      p = q T_n + r,  using T_i = 2 T_n T_{i-n} - T_{2n-i}  (n < i < 2n),
//    q evaluated within one level less, r within the same budget; a polynomial of degree e <= L
//    (the baby-step bound) whose leaf combination sum c_j T_j fits the level budget is a leaf:
//    one `linear` op. L is chosen per degree to minimise non-scalar multiplications (ties: fewer
//    scalar multiplications + additions). The level budget makes every node depth-optimal, so the
//    whole program reaches D (plus the level of the affine map when it costs one).
//  * Odd variant: for odd series only odd T_j (and the powers of two used as giant steps) are
//    formed; q and r stay odd because the giant steps T_{2^k}, k >= 1, are even.
import { ChebyshevPoly } from "./chebyshev.js";
import { isSmallInteger, ProgramBuilder, type PolyCost, type PolyProgram } from "./program.js";

type Val = { reg: number } | { c: number };

export interface CompileOptions {
  /** Evaluate as an odd series (only odd T_j). The series' even coefficients must be zero (relative 1e-9). */
  odd?: boolean;
}

const ceilLog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n) - 1e-12));
const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(n) + 1e-12);

/** Emits the evaluation of one series whose input register is `xin`; returns the output value. */
class SeriesEmitter {
  private readonly tCache = new Map<number, number>();
  private readonly identity: boolean;
  private readonly alpha: number;
  private readonly beta: number;
  /** Predicted level of T_1. */
  private readonly levT1: number;

  constructor(
    private readonly bld: ProgramBuilder,
    private readonly xin: number,
    series: ChebyshevPoly,
    private readonly odd: boolean,
    private readonly leafBound: number,
  ) {
    const { alpha, beta } = series.affine;
    this.alpha = alpha;
    this.beta = beta;
    this.identity = alpha === 1 && beta === 0;
    const lx = bld.level(xin);
    this.levT1 = this.identity || isSmallInteger(alpha) ? lx : lx + 1;
  }

  levT(j: number): number {
    return this.levT1 + ceilLog2(j);
  }

  T(j: number): number {
    const hit = this.tCache.get(j);
    if (hit !== undefined) return hit;
    let r: number;
    if (j === 1) {
      r = this.identity ? this.xin : this.bld.emit({ op: "linear", terms: [[this.xin, this.alpha]], c: this.beta });
    } else {
      const n = floorPow2(j);
      if (n === j) {
        const h = this.T(j / 2);
        const sq = this.bld.emit({ op: "mul", a: h, b: h });
        r = this.bld.emit({ op: "linear", terms: [[sq, 2]], c: -1 });
      } else {
        const g = this.T(n);
        const lo = this.T(j - n);
        const rest = this.T(2 * n - j);
        const prod = this.bld.emit({ op: "mul", a: g, b: lo });
        r = this.bld.emit({ op: "linear", terms: [[prod, 2], [rest, -1]], c: 0 });
      }
    }
    this.tCache.set(j, r);
    return r;
  }

  private leafLevel(e: number): number {
    return e === 1 ? this.bld.level(this.xin) + 1 : this.levT(e) + 1;
  }

  private leaf(c: Float64Array): Val {
    const e = c.length - 1;
    const terms: [number, number][] = [];
    let k = c[0]!;
    for (let j = e; j >= 1; j--) {
      const cj = c[j]!;
      if (cj === 0 || (this.odd && j % 2 === 0)) continue;
      if (j === 1 && !this.identity) {
        terms.push([this.xin, cj * this.alpha]);
        k += cj * this.beta;
      } else {
        terms.push([this.T(j), cj]);
      }
    }
    if (terms.length === 0) return { c: k };
    return { reg: this.bld.emit({ op: "linear", terms, c: k }) };
  }

  /** p = q T_n + r for deg p = e, n <= e < 2n. */
  private static divide(c: Float64Array, n: number): [Float64Array, Float64Array] {
    const e = c.length - 1;
    const q = new Float64Array(e - n + 1);
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = c[i]!;
    q[0] = c[n]!;
    for (let i = n + 1; i <= e; i++) {
      q[i - n] += 2 * c[i]!;
      r[2 * n - i] -= c[i]!;
    }
    return [q, r];
  }

  /** Evaluates the series c so that the result's level is at most `budget`. */
  eval(c: Float64Array, budget: number): Val {
    const e = c.length - 1;
    if (e === 0) return { c: c[0]! };
    if (e === 1 || (e <= this.leafBound && this.leafLevel(e) <= budget)) return this.leaf(c);
    const n = floorPow2(e);
    const [q, r] = SeriesEmitter.divide(c, n);
    const qv = this.eval(q, budget - 1);
    let prod: Val;
    if ("c" in qv) {
      prod = qv.c === 0 ? { c: 0 } : { reg: this.bld.emit({ op: "mulConst", a: this.T(n), c: qv.c }) };
    } else {
      prod = { reg: this.bld.emit({ op: "mul", a: qv.reg, b: this.T(n) }) };
    }
    const rv = this.eval(r, budget);
    if ("c" in prod) return rv;
    if ("c" in rv) return rv.c === 0 ? prod : { reg: this.bld.emit({ op: "addConst", a: prod.reg, c: rv.c }) };
    return { reg: this.bld.emit({ op: "add", a: prod.reg, b: rv.reg }) };
  }

  /** Minimal achievable level of a degree-e series (the optimal depth above the input). */
  targetLevel(e: number): number {
    if (e === 0) return this.bld.level(this.xin);
    if (e === 1) return this.bld.level(this.xin) + 1;
    return this.levT1 + ceilLog2(e + 1);
  }
}

function checkedCoefficients(series: ChebyshevPoly, odd: boolean): Float64Array {
  const c = Float64Array.from(series.coeffs);
  if (odd) {
    let max = 0;
    for (const v of c) max = Math.max(max, Math.abs(v));
    for (let k = 0; k < c.length; k += 2) {
      if (Math.abs(c[k]!) > 1e-9 * max) {
        throw new RangeError(`compileChebyshev: odd evaluation requested but coefficient c_${k} = ${c[k]} is not zero`);
      }
      c[k] = 0;
    }
  }
  return c;
}

/** Emits `series` on input register xin with leaf bound L; returns the output register. */
function emitSeries(bld: ProgramBuilder, xin: number, series: ChebyshevPoly, odd: boolean, L: number): number {
  const em = new SeriesEmitter(bld, xin, series, odd, L);
  const c = checkedCoefficients(series, odd);
  const v = em.eval(c, em.targetLevel(series.degree));
  if ("reg" in v) return v.reg;
  // A constant series still needs an output register.
  return bld.emit({ op: "linear", terms: [[xin, 0]], c: v.c });
}

function better(a: PolyCost, b: PolyCost): boolean {
  if (a.depth !== b.depth) return a.depth < b.depth;
  if (a.nonScalarMultiplications !== b.nonScalarMultiplications) return a.nonScalarMultiplications < b.nonScalarMultiplications;
  return a.scalarMultiplications + a.additions < b.scalarMultiplications + b.additions;
}

/** Structural leaf bound for a degree/parity: the L giving the cheapest generic program (memoised). */
const leafBoundCache = new Map<string, number>();
function bestLeafBound(degree: number, odd: boolean, mapKind: "identity" | "free" | "level"): number {
  const key = `${degree}:${odd}:${mapKind}`;
  const hit = leafBoundCache.get(key);
  if (hit !== undefined) return hit;
  const interval: [number, number] = mapKind === "identity" ? [-1, 1] : mapKind === "free" ? [0, 2] : [0, 3];
  const s = genericSeries(degree, odd, interval);
  let bestL = 1;
  let bestCost: PolyCost | undefined;
  for (let L = 1; L <= Math.max(1, degree); L++) {
    const bld = new ProgramBuilder();
    const out = emitSeries(bld, 0, s, odd, L);
    const cost = bld.finish(out).cost;
    if (!bestCost || better(cost, bestCost)) {
      bestCost = cost;
      bestL = L;
    }
  }
  leafBoundCache.set(key, bestL);
  return bestL;
}

function mapKindOf(s: ChebyshevPoly): "identity" | "free" | "level" {
  const { alpha, beta } = s.affine;
  if (alpha === 1 && beta === 0) return "identity";
  return isSmallInteger(alpha) ? "free" : "level";
}

/** A series of the given degree/parity with generic (non-zero, non-integer) coefficients. */
function genericSeries(degree: number, odd: boolean, interval: [number, number]): ChebyshevPoly {
  const c = new Float64Array(degree + 1);
  // Golden-ratio fractions: no sum or difference formed by the division steps is an integer or zero.
  for (let k = 0; k <= degree; k++) c[k] = odd && k % 2 === 0 ? 0 : 0.25 + 0.5 * (((k + 1) * 0.6180339887498949) % 1);
  return new ChebyshevPoly(c, interval[0], interval[1]);
}

function requireOddDegree(series: ChebyshevPoly, odd: boolean, what: string): void {
  if (odd && series.degree % 2 === 0 && series.degree > 0) {
    throw new RangeError(`${what}: odd evaluation needs an odd degree, got degree ${series.degree}`);
  }
}

/**
 * Compiles a Chebyshev series on [a,b] into a PolyProgram whose input register is x (not t):
 * the affine map to [-1,1] is the program's first op when needed (see README for its level).
 */
export function compileChebyshev(series: ChebyshevPoly, opts: CompileOptions = {}): PolyProgram {
  const odd = opts.odd ?? false;
  requireOddDegree(series, odd, "compileChebyshev");
  const bld = new ProgramBuilder();
  const out = emitSeries(bld, 0, series, odd, bestLeafBound(series.degree, odd, mapKindOf(series)));
  return bld.finish(out);
}

export interface ChebyshevCostOptions {
  odd?: boolean;
  /**
   * The fit interval. Only whether the affine map is the identity ([-1,1]), a small-integer scale
   * (free), or a real scale (one level) matters. Default: a general interval (the map costs one level).
   */
  interval?: [number, number];
}

const costCache = new Map<string, PolyCost>();

/** Cost of compileChebyshev for a degree-d series with non-zero, non-integer coefficients. */
export function chebyshevEvalCost(degree: number, opts: ChebyshevCostOptions = {}): PolyCost {
  if (!Number.isInteger(degree) || degree < 0) throw new RangeError(`chebyshevEvalCost: degree must be a non-negative integer, got ${degree}`);
  const odd = opts.odd ?? false;
  if (odd && degree % 2 === 0 && degree > 0) throw new RangeError(`chebyshevEvalCost: odd evaluation needs an odd degree, got ${degree}`);
  const interval = opts.interval ?? [0, 3];
  const kind = mapKindOf(new ChebyshevPoly([0], interval[0], interval[1]));
  const key = `${degree}:${odd}:${kind}`;
  let c = costCache.get(key);
  if (!c) {
    c = compileChebyshev(genericSeries(degree, odd, interval), { odd }).cost;
    costCache.set(key, c);
  }
  return { ...c };
}

/** Components p_1..p_k of a composite p = p_k ∘ … ∘ p_1 (each a Chebyshev series on its own interval). */
export type CompositeComponents = readonly ChebyshevPoly[] | { components: readonly ChebyshevPoly[] };

function componentsOf(c: CompositeComponents): readonly ChebyshevPoly[] {
  const list = Array.isArray(c) ? (c as readonly ChebyshevPoly[]) : (c as { components: readonly ChebyshevPoly[] }).components;
  if (list.length === 0) throw new RangeError("composite: at least one component is required");
  return list;
}

export interface CompositeCompileOptions {
  /** Odd evaluation of every component; default: each component's detected parity (odd or not). */
  odd?: boolean;
}

function emitComponent(bld: ProgramBuilder, xin: number, s: ChebyshevPoly, odd: boolean): number {
  requireOddDegree(s, odd, "compileComposite");
  return emitSeries(bld, xin, s, odd, bestLeafBound(s.degree, odd, mapKindOf(s)));
}

/** Program for p_k(…p_1(x)…): component i's output register feeds component i+1. */
export function compileComposite(composite: CompositeComponents, opts: CompositeCompileOptions = {}): PolyProgram {
  const comps = componentsOf(composite);
  const bld = new ProgramBuilder();
  let r = 0;
  for (const s of comps) r = emitComponent(bld, r, s, opts.odd ?? s.parity() === "odd");
  return bld.finish(r);
}

/**
 * ReLU(x) ≈ x (1 + p(x/B)) / 2 on [-B, B] (Lee et al., "Precise approximation of CNNs for
 * homomorphically encrypted data"): the 1/B scale is the first component's affine map, the factor
 * 1/2 is folded into the last component's coefficients, then one addConst and one multiplication by x.
 */
export function compileCompositeRelu(composite: CompositeComponents, B: number, opts: CompositeCompileOptions = {}): PolyProgram {
  if (!(Number.isFinite(B) && B > 0)) throw new RangeError(`compileCompositeRelu: B must be a positive finite number, got ${B}`);
  const comps = componentsOf(composite);
  const bld = new ProgramBuilder();
  let r = 0;
  comps.forEach((s, i) => {
    let comp = s;
    if (i === 0) comp = new ChebyshevPoly(comp.coeffs, comp.a * B, comp.b * B);
    if (i === comps.length - 1) comp = comp.scale(0.5);
    r = emitComponent(bld, r, comp, opts.odd ?? s.parity() === "odd");
  });
  const half = bld.emit({ op: "addConst", a: r, c: 0.5 });
  const out = bld.emit({ op: "mul", a: 0, b: half });
  return bld.finish(out);
}

function genericComposite(degrees: readonly number[], odd: boolean): ChebyshevPoly[] {
  if (degrees.length === 0) throw new RangeError("compositeCost: at least one degree is required");
  return degrees.map((d) => {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`compositeCost: degrees must be positive integers, got ${d}`);
    if (odd && d % 2 === 0) throw new RangeError(`compositeCost: odd components need odd degrees, got ${d}`);
    return genericSeries(d, odd, [-1, 1]);
  });
}

/** Cost of compileComposite for components on [-1,1] of these degrees (odd by default). */
export function compositeCost(degrees: readonly number[], opts: { odd?: boolean } = {}): PolyCost {
  const odd = opts.odd ?? true;
  return compileComposite(genericComposite(degrees, odd), { odd }).cost;
}

/** Cost of compileCompositeRelu for components on [-1,1] of these degrees and a B that is not a small integer's inverse. */
export function compositeReluCost(degrees: readonly number[], opts: { odd?: boolean; B?: number } = {}): PolyCost {
  const odd = opts.odd ?? true;
  return compileCompositeRelu(genericComposite(degrees, odd), opts.B ?? 40, { odd }).cost;
}
