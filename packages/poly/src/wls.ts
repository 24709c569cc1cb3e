// Weighted least squares in the Chebyshev basis (the OLA fit): the degree-d polynomial minimising
//   sum_i w_i (p(x_i) - f(x_i))^2
// for a discrete measure {x_i, w_i} on [a, b] that represents the empirical input distribution
// (raw samples, a histogram integrated per bin, or a density integrated by composite Gauss–Legendre),
// optionally plus a floor weight (a uniform measure on the whole interval) and guard rows that bound
// max |p| on [a, b].
//
// Solver: QR by Givens rotations of the weighted Chebyshev design matrix, one row at a time into an
// (n+1) x (n+2) triangular factor (Golub & Van Loan, "Matrix Computations", 5.1.8 and 5.3.3). It is
// backward stable (conditioning kappa(A), not kappa(A)^2 as the normal equations), streams any
// number of rows in O(n) memory, and the Chebyshev basis keeps kappa(A) moderate for measures
// spread over [a, b]. The residual of the rotated right-hand side is the weighted sum of squares.
import { activationKinks, activations, type ActivationName } from "./activations.js";
import { ChebyshevPoly } from "./chebyshev.js";
import { compositeGaussLegendre } from "./quadrature.js";

export type FitTarget = ActivationName | ((x: number) => number);

export type FitDistribution =
  | { kind: "samples"; values: ArrayLike<number> }
  | { kind: "histogram"; edges: ArrayLike<number>; counts: ArrayLike<number> }
  | { kind: "density"; density: (x: number) => number }
  | { kind: "gaussian"; mean: number; std: number };

export interface WlsOptions {
  target: FitTarget;
  degree: number;
  interval: [number, number];
  distribution: FitDistribution;
  /** Mass of a uniform measure on [a, b] added to the distribution's (normalised to 1) mass. Default 0. */
  floorWeight?: number;
  /** Require max over [a, b] of |p| <= maxAbs (guard rows with a weight found by bisection). */
  maxAbs?: number;
  /** Composite Gauss–Legendre for densities and histogram bins (default 512 panels x 8 points / 8 points per bin). */
  quadrature?: { panels?: number; pointsPerPanel?: number };
}

export interface WlsFit {
  poly: ChebyshevPoly;
  degree: number;
  interval: [number, number];
  /** sqrt of the distribution-weighted mean squared error on [a, b] (floor/guard terms excluded). */
  weightedRmse: number;
  /** max |p - f| on the support of the distribution inside [a, b]. */
  maxError: number;
  /** max |p| on [a, b] (dense grid). */
  maxAbsOnInterval: number;
  /** Mass of the distribution inside [a, b] (1 = all of it). */
  massInInterval: number;
  /** Weight of the guard rows used to meet maxAbs (0 when not needed). */
  guardWeight: number;
}

/** Discrete measure: nodes, weights (sum 1 over the whole distribution), and support pieces for maxError. */
interface Measure {
  x: Float64Array;
  w: Float64Array;
  /** Points where maxError is measured. */
  support: Float64Array;
}

function targetFn(t: FitTarget): { f: (x: number) => number; kinks: number[] } {
  if (typeof t === "function") return { f: t, kinks: [] };
  const f = activations[t];
  if (!f) throw new RangeError(`wlsFit: target must be relu, gelu, silu or a function, got '${String(t)}'`);
  return { f, kinks: activationKinks[t] };
}

function normalDensity(mean: number, std: number): (x: number) => number {
  const c = 1 / (std * Math.sqrt(2 * Math.PI));
  return (x) => c * Math.exp(-0.5 * ((x - mean) / std) ** 2);
}

function buildMeasure(dist: FitDistribution, a: number, b: number, kinks: number[], quad: { panels: number; pointsPerPanel: number }): Measure {
  switch (dist.kind) {
    case "samples": {
      const v = dist.values;
      if (v.length === 0) throw new RangeError("wlsFit: distribution.values is empty");
      let inside = 0;
      for (let i = 0; i < v.length; i++) {
        const s = v[i]!;
        if (!Number.isFinite(s)) throw new RangeError(`wlsFit: sample ${i} is not finite (${s})`);
        if (s >= a && s <= b) inside++;
      }
      const x = new Float64Array(inside);
      let k = 0;
      for (let i = 0; i < v.length; i++) {
        const s = v[i]!;
        if (s >= a && s <= b) x[k++] = s;
      }
      const w = new Float64Array(inside).fill(1 / v.length);
      return { x, w, support: x };
    }
    case "histogram": {
      const { edges, counts } = dist;
      if (edges.length !== counts.length + 1 || counts.length === 0) {
        throw new RangeError(`wlsFit: histogram needs edges.length = counts.length + 1 >= 2, got ${edges.length} edges and ${counts.length} counts`);
      }
      let total = 0;
      for (let j = 0; j < counts.length; j++) {
        const c = counts[j]!;
        if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`wlsFit: histogram count ${j} must be finite and >= 0, got ${c}`);
        if (!(edges[j + 1]! > edges[j]!)) throw new RangeError(`wlsFit: histogram edges must increase strictly (edge ${j + 1})`);
        total += c;
      }
      if (total <= 0) throw new RangeError("wlsFit: histogram has no mass");
      const xs: number[] = [];
      const ws: number[] = [];
      const sup: number[] = [];
      for (let j = 0; j < counts.length; j++) {
        const c = counts[j]!;
        if (c === 0) continue;
        const lo0 = edges[j]!;
        const hi0 = edges[j + 1]!;
        const lo = Math.max(lo0, a);
        const hi = Math.min(hi0, b);
        if (!(hi > lo)) continue;
        // mass of the bin spread uniformly over it; integrate the part inside [a, b]
        const density = c / total / (hi0 - lo0);
        const q = compositeGaussLegendre(lo, hi, 1, quad.pointsPerPanel, kinks);
        for (let i = 0; i < q.x.length; i++) {
          xs.push(q.x[i]!);
          ws.push(density * q.w[i]!);
        }
        for (let i = 0; i <= 16; i++) sup.push(lo + ((hi - lo) * i) / 16);
      }
      return { x: Float64Array.from(xs), w: Float64Array.from(ws), support: Float64Array.from(sup) };
    }
    case "density":
    case "gaussian": {
      let dens: (x: number) => number;
      if (dist.kind === "gaussian") {
        if (!(Number.isFinite(dist.mean) && dist.std > 0 && Number.isFinite(dist.std))) {
          throw new RangeError(`wlsFit: gaussian needs a finite mean and std > 0, got mean=${dist.mean}, std=${dist.std}`);
        }
        dens = normalDensity(dist.mean, dist.std);
      } else {
        dens = dist.density;
      }
      const q = compositeGaussLegendre(a, b, quad.panels, quad.pointsPerPanel, kinks);
      const w = new Float64Array(q.x.length);
      const sup: number[] = [];
      let maxD = 0;
      for (let i = 0; i < q.x.length; i++) {
        const d = dens(q.x[i]!);
        if (!(d >= 0) || !Number.isFinite(d)) throw new RangeError(`wlsFit: density(${q.x[i]}) = ${d} is not a finite non-negative number`);
        w[i] = d * q.w[i]!;
        maxD = Math.max(maxD, d);
      }
      // support: where the density is not negligible
      for (let i = 0; i <= 8192; i++) {
        const x = a + ((b - a) * i) / 8192;
        if (dens(x) > 1e-12 * maxD) sup.push(x);
      }
      return { x: q.x, w, support: Float64Array.from(sup) };
    }
    default:
      throw new RangeError(`wlsFit: unknown distribution kind '${(dist as { kind: string }).kind}'`);
  }
}

/** Streaming least squares by Givens rotations: rows [basis..., rhs] into an upper-triangular R. */
class GivensLeastSquares {
  readonly n: number;
  readonly R: Float64Array; // n x (n+1), row-major
  residual2 = 0;
  private readonly row: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.R = new Float64Array(n * (n + 1));
    this.row = new Float64Array(n + 1);
  }

  /** Adds the row sqrt(w) [T_0(t) .. T_{n-1}(t), y]. */
  addChebyshevRow(t: number, y: number, w: number): void {
    if (w <= 0) return;
    const n = this.n;
    const r = this.row;
    const s = Math.sqrt(w);
    r[0] = s;
    if (n > 1) r[1] = s * t;
    for (let k = 2; k < n; k++) r[k] = 2 * t * r[k - 1]! - r[k - 2]!;
    r[n] = s * y;
    const R = this.R;
    const W = n + 1;
    for (let j = 0; j < n; j++) {
      const rj = r[j]!;
      if (rj === 0) continue;
      const base = j * W;
      const rjj = R[base + j]!;
      const h = Math.sqrt(rjj * rjj + rj * rj);
      const c = rjj / h;
      const sn = rj / h;
      R[base + j] = h;
      for (let k = j + 1; k <= n; k++) {
        const a = R[base + k]!;
        const b = r[k]!;
        R[base + k] = c * a + sn * b;
        r[k] = c * b - sn * a;
      }
    }
    this.residual2 += r[n]! * r[n]!;
  }

  solve(): Float64Array {
    const n = this.n;
    const W = n + 1;
    const R = this.R;
    let maxDiag = 0;
    for (let j = 0; j < n; j++) maxDiag = Math.max(maxDiag, Math.abs(R[j * W + j]!));
    const c = new Float64Array(n);
    for (let j = n - 1; j >= 0; j--) {
      const d = R[j * W + j]!;
      if (!(Math.abs(d) > 1e-14 * maxDiag)) {
        throw new RangeError(
          `wlsFit: the weighted problem is rank deficient at degree ${n - 1} (the distribution needs at least ${n} distinct points with weight in the interval; lower the degree or add floorWeight)`,
        );
      }
      let s = R[j * W + n]!;
      for (let k = j + 1; k < n; k++) s -= R[j * W + k]! * c[k]!;
      c[j] = s / d;
    }
    return c;
  }
}

/** Dense evaluation grid of [a, b] (Chebyshev extrema + uniform) for max |p|. */
function denseGrid(a: number, b: number): Float64Array {
  const n = 4097;
  const g = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    g[i] = (a + b) / 2 - ((b - a) / 2) * Math.cos((Math.PI * i) / (n - 1));
    g[n + i] = a + ((b - a) * i) / (n - 1);
  }
  return g;
}

function solveWith(meas: Measure, fx: Float64Array, degree: number, a: number, b: number, floor: { x: Float64Array; w: Float64Array; y: Float64Array } | undefined, guard: { x: Float64Array; y: Float64Array; weight: number } | undefined): ChebyshevPoly {
  const ls = new GivensLeastSquares(degree + 1);
  const alpha = 2 / (b - a);
  const beta = -(a + b) / (b - a);
  for (let i = 0; i < meas.x.length; i++) ls.addChebyshevRow(alpha * meas.x[i]! + beta, fx[i]!, meas.w[i]!);
  if (floor) for (let i = 0; i < floor.x.length; i++) ls.addChebyshevRow(alpha * floor.x[i]! + beta, floor.y[i]!, floor.w[i]!);
  if (guard && guard.weight > 0) {
    const w = guard.weight / guard.x.length;
    for (let i = 0; i < guard.x.length; i++) ls.addChebyshevRow(alpha * guard.x[i]! + beta, guard.y[i]!, w);
  }
  return new ChebyshevPoly(ls.solve(), a, b);
}

/** The OLA fit: distribution-weighted least squares polynomial of the given degree on [a, b]. */
export function wlsFit(opts: WlsOptions): WlsFit {
  const { degree } = opts;
  const [a, b] = opts.interval;
  if (!Number.isInteger(degree) || degree < 0 || degree > 63) throw new RangeError(`wlsFit: degree must be an integer in [0, 63], got ${degree}`);
  if (!(Number.isFinite(a) && Number.isFinite(b) && a < b)) throw new RangeError(`wlsFit: interval must be [a, b] with a < b, got [${a}, ${b}]`);
  const floorWeight = opts.floorWeight ?? 0;
  if (!(floorWeight >= 0 && Number.isFinite(floorWeight))) throw new RangeError(`wlsFit: floorWeight must be a finite number >= 0, got ${floorWeight}`);
  if (opts.maxAbs !== undefined && !(opts.maxAbs > 0)) throw new RangeError(`wlsFit: maxAbs must be > 0, got ${opts.maxAbs}`);
  const { f, kinks } = targetFn(opts.target);
  const quad = { panels: opts.quadrature?.panels ?? 512, pointsPerPanel: opts.quadrature?.pointsPerPanel ?? 8 };
  const meas = buildMeasure(opts.distribution, a, b, kinks, quad);
  const fx = new Float64Array(meas.x.length);
  let mass = 0;
  for (let i = 0; i < meas.x.length; i++) {
    fx[i] = f(meas.x[i]!);
    mass += meas.w[i]!;
  }
  if (!(mass > 0) && floorWeight === 0) {
    throw new RangeError(`wlsFit: the distribution has no mass inside the interval [${a}, ${b}] (set floorWeight or widen the interval)`);
  }
  let floor: { x: Float64Array; w: Float64Array; y: Float64Array } | undefined;
  if (floorWeight > 0) {
    const q = compositeGaussLegendre(a, b, 64, 8, kinks);
    const w = q.w.map((v) => (v * floorWeight) / (b - a));
    floor = { x: q.x, w, y: q.x.map(f) };
  }
  let poly = solveWith(meas, fx, degree, a, b, floor, undefined);
  const grid = denseGrid(a, b);
  const maxAbsOf = (p: ChebyshevPoly) => p.evaluateMany(grid).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let guardWeight = 0;
  if (opts.maxAbs !== undefined && maxAbsOf(poly) > opts.maxAbs) {
    // Guard rows: uniform points on [a,b] pulling p towards f clipped to ±maxAbs; bisection (log scale)
    // on their weight for the least weight meeting the bound.
    const M = opts.maxAbs;
    const gx = compositeGaussLegendre(a, b, 128, 4, kinks).x;
    const guard = { x: gx, y: gx.map((x) => Math.max(-M, Math.min(M, f(x)))), weight: 0 };
    let lo = -12;
    let hi = -12;
    let best: ChebyshevPoly | undefined;
    for (; hi <= 12; hi += 2) {
      guard.weight = 10 ** hi * Math.max(mass, 1e-300);
      const p = solveWith(meas, fx, degree, a, b, floor, guard);
      if (maxAbsOf(p) <= M) {
        best = p;
        break;
      }
      lo = hi;
    }
    if (!best) throw new RangeError(`wlsFit: cannot meet maxAbs=${M} on [${a}, ${b}] at degree ${degree} (|f| itself or the degree is too large)`);
    for (let it = 0; it < 20; it++) {
      const mid = (lo + hi) / 2;
      guard.weight = 10 ** mid * Math.max(mass, 1e-300);
      const p = solveWith(meas, fx, degree, a, b, floor, guard);
      if (maxAbsOf(p) <= M) {
        hi = mid;
        best = p;
      } else lo = mid;
    }
    poly = best;
    guardWeight = 10 ** hi * Math.max(mass, 1e-300);
  }
  // Reports.
  const pv = poly.evaluateMany(meas.x);
  let se = 0;
  for (let i = 0; i < pv.length; i++) se += meas.w[i]! * (pv[i]! - fx[i]!) ** 2;
  const ps = poly.evaluateMany(meas.support);
  let maxError = 0;
  for (let i = 0; i < ps.length; i++) maxError = Math.max(maxError, Math.abs(ps[i]! - f(meas.support[i]!)));
  return {
    poly,
    degree,
    interval: [a, b],
    weightedRmse: mass > 0 ? Math.sqrt(se / mass) : 0,
    maxError,
    maxAbsOnInterval: maxAbsOf(poly),
    massInInterval: mass,
    guardWeight,
  };
}
