// Minimax approximation by the Remez exchange algorithm (second algorithm of Remez, 1934; see
// Trefethen, "Approximation Theory and Approximation Practice", ch. 10, and Pachón & Trefethen,
// "Barycentric-Remez algorithms for best polynomial approximation in the chebfun system", BIT 2009),
// on one interval or a union of intervals, in the Chebyshev basis, optionally odd-only.
//
// All arithmetic that decides the result runs in double-double (double-double.ts): the reference
// system, the target values (when the caller supplies an exact double-double evaluator), and the
// error function on the search grid. Points are doubles (moving an extremum by one ulp changes the
// error by O(ulp^2)). The result carries its own certificate: the n+1 alternation points with their
// signed errors; by de la Vallée Poussin's theorem min_i |e(x_i)| <= E* <= max_x |e(x)|, where E*
// is the true minimax error, so `lowerBound`/`maxError` bracket it.
import { ChebyshevPoly } from "./chebyshev.js";
import { dd, ddAdd, ddClenshaw, ddDiv, ddMul, ddMulNum, ddSub, type DD } from "./double-double.js";

export interface RemezOptions {
  /** Target function in double precision. */
  f: (x: number) => number;
  /** Optional double-double evaluation of f at a double x (needed for errors below ~1e-15). */
  fdd?: (x: number) => DD;
  degree: number;
  /**
   * Disjoint closed intervals whose union is the approximation set. With `odd`, the set is
   * I ∪ (-I) and the intervals must lie in [0, ∞) (f is then taken to be odd).
   */
  intervals: [number, number][];
  odd?: boolean;
  /** Stop when (max - min)/max of |error| over the reference is below this (default 1e-10). */
  tolerance?: number;
  maxIterations?: number;
  /** Search-grid points per interval (default max(2000, 40 (n+1))). */
  gridPerInterval?: number;
}

export interface EquioscillationCertificate {
  /** The n+1 reference points (ascending) where the error alternates in sign. */
  alternationPoints: Float64Array;
  /** Signed error p(x_i) - f(x_i) at those points. */
  errors: Float64Array;
  /** |E| of the last levelled reference solve. */
  levelledError: number;
  /** min_i |e(x_i)|: a lower bound on the minimax error (de la Vallée Poussin). */
  lowerBound: number;
  /** max |e| over the refined search grid: an (empirical) upper bound. */
  maxError: number;
}

export interface RemezResult {
  poly: ChebyshevPoly;
  /** Low parts of the double-double coefficients (poly holds the high parts). */
  coefficientsLow: Float64Array;
  certificate: EquioscillationCertificate;
  iterations: number;
  converged: boolean;
}

interface Problem {
  f: (x: number) => DD;
  basis: number[]; // Chebyshev indices k of the basis functions
  alpha: DD;
  beta: DD;
  a: number;
  b: number;
  intervals: [number, number][];
}

function tOf(pb: Problem, x: number): DD {
  // t = alpha x + beta in double-double
  return ddAdd(ddMulNum(pb.alpha, x), pb.beta);
}

/** Values T_k(t) for k = 0..maxK (double-double). */
function chebValues(t: DD, maxK: number): DD[] {
  const out: DD[] = [dd(1), t];
  const t2 = { hi: 2 * t.hi, lo: 2 * t.lo };
  for (let k = 2; k <= maxK; k++) out.push(ddSub(ddMul(t2, out[k - 1]!), out[k - 2]!));
  return out;
}

/** Solves the (n+1)x(n+1) system by Gaussian elimination with partial pivoting in double-double. */
function solveDD(A: DD[][], rhs: DD[]): DD[] {
  const n = rhs.length;
  const M = A.map((row, i) => [...row, rhs[i]!]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r]![col]!.hi) > Math.abs(M[piv]![col]!.hi)) piv = r;
    if (M[piv]![col]!.hi === 0) throw new Error("remez: singular reference system (reference points not distinct?)");
    [M[col], M[piv]] = [M[piv]!, M[col]!];
    const pr = M[col]!;
    for (let r = col + 1; r < n; r++) {
      const row = M[r]!;
      if (row[col]!.hi === 0) continue;
      const m = ddDiv(row[col]!, pr[col]!);
      for (let c = col; c <= n; c++) row[c] = ddSub(row[c]!, ddMul(m, pr[c]!));
    }
  }
  const x: DD[] = new Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let c = r + 1; c < n; c++) s = ddSub(s, ddMul(M[r]![c]!, x[c]!));
    x[r] = ddDiv(s, M[r]![r]!);
  }
  return x;
}

function errorAt(pb: Problem, chi: Float64Array, clo: Float64Array, x: number): number {
  const p = ddClenshaw(chi, clo, tOf(pb, x));
  const e = ddSub(p, pb.f(x));
  return e.hi + e.lo;
}

/** Golden-section maximisation of s*e(x) on [lo, hi]. */
function refineExtremum(pb: Problem, chi: Float64Array, clo: Float64Array, lo: number, hi: number, s: number): [number, number] {
  const g = 0.6180339887498949;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = s * errorAt(pb, chi, clo, c);
  let fd = s * errorAt(pb, chi, clo, d);
  for (let it = 0; it < 40 && b - a > 4e-16 * Math.max(1, Math.abs(a)); it++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = s * errorAt(pb, chi, clo, c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = s * errorAt(pb, chi, clo, d);
    }
  }
  return fc > fd ? [c, s * fc] : [d, s * fd];
}

function buildGrid(pb: Problem, perInterval: number): Float64Array[] {
  return pb.intervals.map(([lo, hi]) => {
    const g = new Float64Array(perInterval);
    const mid = (lo + hi) / 2;
    const half = (hi - lo) / 2;
    for (let j = 0; j < perInterval; j++) g[j] = mid - half * Math.cos((Math.PI * j) / (perInterval - 1));
    g[0] = lo;
    g[perInterval - 1] = hi;
    return g;
  });
}

/** Local extrema of the error on each interval's grid (endpoints included), refined. */
function findExtrema(pb: Problem, chi: Float64Array, clo: Float64Array, grids: Float64Array[]): { x: number[]; e: number[] } {
  const xs: number[] = [];
  const es: number[] = [];
  for (const g of grids) {
    const m = g.length;
    const e = new Float64Array(m);
    for (let j = 0; j < m; j++) e[j] = errorAt(pb, chi, clo, g[j]!);
    for (let j = 0; j < m; j++) {
      const v = e[j]!;
      const l = j > 0 ? e[j - 1]! : -Infinity * Math.sign(v);
      const r = j < m - 1 ? e[j + 1]! : -Infinity * Math.sign(v);
      const s = v >= 0 ? 1 : -1;
      if (s * v >= s * l && s * v >= s * r && v !== 0) {
        if (j === 0 || j === m - 1) {
          xs.push(g[j]!);
          es.push(v);
        } else {
          const [x, ev] = refineExtremum(pb, chi, clo, g[j - 1]!, g[j + 1]!, s);
          const refined = s * ev > s * v;
          xs.push(refined ? x : g[j]!);
          es.push(refined ? ev : v);
        }
      }
    }
  }
  return { x: xs, e: es };
}

/** Picks n+1 alternating points of largest error from sorted candidates (keeps the global maximum). */
function selectAlternating(xs: number[], es: number[], need: number): { x: number[]; e: number[] } | undefined {
  const order = xs.map((_, i) => i).sort((i, j) => xs[i]! - xs[j]!);
  let X: number[] = [];
  let E: number[] = [];
  for (const i of order) {
    const x = xs[i]!;
    const e = es[i]!;
    if (X.length && x === X[X.length - 1]) {
      if (Math.abs(e) > Math.abs(E[E.length - 1]!)) E[E.length - 1] = e;
      continue;
    }
    if (E.length && Math.sign(e) === Math.sign(E[E.length - 1]!)) {
      if (Math.abs(e) > Math.abs(E[E.length - 1]!)) {
        X[X.length - 1] = x;
        E[E.length - 1] = e;
      }
      continue;
    }
    X.push(x);
    E.push(e);
  }
  if (X.length < need) return undefined;
  while (X.length > need) {
    const excess = X.length - need;
    if (excess === 1) {
      if (Math.abs(E[0]!) < Math.abs(E[E.length - 1]!)) {
        X = X.slice(1);
        E = E.slice(1);
      } else {
        X.pop();
        E.pop();
      }
      continue;
    }
    let k = 0;
    for (let i = 1; i < E.length; i++) if (Math.abs(E[i]!) < Math.abs(E[k]!)) k = i;
    if (k === 0 || k === E.length - 1) {
      X.splice(k, 1);
      E.splice(k, 1);
    } else {
      const nb = Math.abs(E[k - 1]!) < Math.abs(E[k + 1]!) ? k - 1 : k + 1;
      const lo = Math.min(k, nb);
      X.splice(lo, 2);
      E.splice(lo, 2);
    }
  }
  return { x: X, e: E };
}

function initialReference(intervals: [number, number][], count: number): number[] {
  // Chebyshev extrema of the concatenated intervals (by length).
  const lens = intervals.map(([a, b]) => b - a);
  const total = lens.reduce((s, v) => s + v, 0);
  const pts: number[] = [];
  for (let i = 0; i < count; i++) {
    let u = (total * (1 - Math.cos((Math.PI * i) / (count - 1)))) / 2;
    let k = 0;
    while (k < intervals.length - 1 && u > lens[k]!) {
      u -= lens[k]!;
      k++;
    }
    pts.push(Math.min(intervals[k]![1], intervals[k]![0] + u));
  }
  // make strictly increasing
  for (let i = 1; i < pts.length; i++) if (pts[i]! <= pts[i - 1]!) pts[i] = pts[i - 1]! + 1e-12 * (1 + Math.abs(pts[i - 1]!));
  return pts;
}

/** Best uniform polynomial approximation of f of the given degree on a union of intervals. */
export function remez(opts: RemezOptions): RemezResult {
  const { degree } = opts;
  const odd = opts.odd ?? false;
  if (!Number.isInteger(degree) || degree < 0 || degree > 127) throw new RangeError(`remez: degree must be an integer in [0, 127], got ${degree}`);
  if (odd && degree % 2 === 0) throw new RangeError(`remez: an odd approximation needs an odd degree, got ${degree}`);
  if (opts.intervals.length === 0) throw new RangeError("remez: at least one interval is required");
  const intervals = opts.intervals.map(([a, b]) => [a, b] as [number, number]).sort((p, q) => p[0] - q[0]);
  intervals.forEach(([a, b], i) => {
    if (!(Number.isFinite(a) && Number.isFinite(b) && a < b)) throw new RangeError(`remez: interval ${i} must be [a, b] with a < b, got [${a}, ${b}]`);
    if (i > 0 && a <= intervals[i - 1]![1]) throw new RangeError(`remez: intervals must be disjoint, [${intervals[i - 1]}] and [${a}, ${b}] overlap`);
    if (odd && a < 0) throw new RangeError(`remez: with odd=true give the intervals in [0, ∞) (the set is I ∪ -I), got [${a}, ${b}]`);
  });
  const lo = intervals[0]![0];
  const hi = intervals[intervals.length - 1]![1];
  const [a, b] = odd ? [-hi, hi] : [lo, hi];
  const basis = odd ? Array.from({ length: (degree + 1) / 2 }, (_, j) => 2 * j + 1) : Array.from({ length: degree + 1 }, (_, j) => j);
  const n = basis.length;
  const fdd = opts.fdd ?? ((x: number) => dd(opts.f(x)));
  // alpha = 2/(b-a), beta = -(a+b)/(b-a): the same doubles ChebyshevPoly uses, then exact DD products.
  const pb: Problem = {
    f: fdd,
    basis,
    alpha: dd(2 / (b - a)),
    beta: dd(-(a + b) / (b - a)),
    a,
    b,
    intervals,
  };
  const maxK = basis[n - 1]!;
  const tol = opts.tolerance ?? 1e-10;
  const maxIter = opts.maxIterations ?? 60;
  const grids = buildGrid(pb, opts.gridPerInterval ?? Math.max(2000, 40 * (n + 1)));

  let ref = initialReference(intervals, n + 1);
  let chi = new Float64Array(maxK + 1);
  let clo = new Float64Array(maxK + 1);
  let E = 0;
  let converged = false;
  let iterations = 0;
  let refErrors: number[] = [];
  let maxError = Infinity;
  for (iterations = 1; iterations <= maxIter; iterations++) {
    // Reference system: sum_j c_j T_{k_j}(t_i) + (-1)^i E = f(x_i).
    const A: DD[][] = [];
    const rhs: DD[] = [];
    ref.forEach((x, i) => {
      const T = chebValues(tOf(pb, x), maxK);
      A.push([...basis.map((k) => T[k]!), dd(i % 2 === 0 ? 1 : -1)]);
      rhs.push(fdd(x));
    });
    const sol = solveDD(A, rhs);
    chi = new Float64Array(maxK + 1);
    clo = new Float64Array(maxK + 1);
    basis.forEach((k, j) => {
      chi[k] = sol[j]!.hi;
      clo[k] = sol[j]!.lo;
    });
    E = Math.abs(sol[n]!.hi + sol[n]!.lo);
    // Exchange: candidates are the refined local extrema plus the current reference.
    const ext = findExtrema(pb, chi, clo, grids);
    for (const x of ref) {
      ext.x.push(x);
      ext.e.push(errorAt(pb, chi, clo, x));
    }
    maxError = ext.e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const sel = selectAlternating(ext.x, ext.e, n + 1);
    if (!sel) break;
    ref = sel.x;
    refErrors = sel.e;
    const minRef = refErrors.reduce((m, v) => Math.min(m, Math.abs(v)), Infinity);
    if (maxError === 0 || (maxError - minRef) / maxError < tol) {
      converged = true;
      break;
    }
  }
  if (refErrors.length !== n + 1) {
    refErrors = ref.map((x) => errorAt(pb, chi, clo, x));
  }
  return {
    poly: new ChebyshevPoly(chi, a, b),
    coefficientsLow: clo,
    certificate: {
      alternationPoints: Float64Array.from(ref),
      errors: Float64Array.from(refErrors),
      levelledError: E,
      lowerBound: refErrors.reduce((m, v) => Math.min(m, Math.abs(v)), Infinity),
      maxError,
    },
    iterations: Math.min(iterations, maxIter),
    converged,
  };
}

/** Double-double x^k at a double x (exact-product powers), for closed-form tests and users. */
export function ddPow(x: number, k: number): DD {
  let r = dd(1);
  for (let i = 0; i < k; i++) r = ddMulNum(r, x);
  return r;
}
