// Distribution-weighted least squares in the Chebyshev basis, used by the optimiser as its default
// fitter until @ola/poly exports its own WLS. Stable for high degree: Householder QR of the
// weighted Chebyshev design matrix (no normal equations, no power basis).
//
// minimise  sum_i w_i (p(x_i) - f(x_i))^2  over p of degree d, p = sum_k c_k T_k(t(x)),
// with (x_i, w_i) = histogram cell centres and counts inside [a, b], plus a floor: the Chebyshev
// nodes of [a, b] with a small total weight, so the fit stays controlled where the calibration set
// had no mass (inputs of an approximated network drift; the paper's "safety" concern).
import { ChebyshevPoly } from "@ola/poly";
import type { FitResult, SiteDistribution } from "./candidates.js";

export const relu = (x: number): number => (x > 0 ? x : 0);

/**
 * erf: the Maclaurin series for |x| < 3 (Abramowitz–Stegun 7.1.5, ~1e-15 absolute) and the
 * asymptotic expansion of erfc beyond (A&S 7.1.23, six terms: < 1e-10 absolute for |x| >= 3). Rational approximations such as A&S 7.1.26 (1.5e-7) are too coarse
 * for a fitting target.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc(x) ~ exp(-x^2)/(x sqrt(pi)) * sum_n (-1)^n (2n-1)!! / (2x^2)^n, accurate to ~1e-5 relative at x=3 (erfc(3) = 2.2e-5)
  let s = 1;
  let term = 1;
  for (let n = 1; n < 6; n++) {
    term *= -(2 * n - 1) / (2 * ax * ax);
    s += term;
  }
  const erfc = (Math.exp(-ax * ax) / (ax * Math.sqrt(Math.PI))) * s;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** Exact GELU, x Phi(x) = x (1 + erf(x / sqrt 2)) / 2. */
export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

export interface WlsOptions {
  /** Total weight of the floor nodes relative to the distribution's mass inside [a, b] (default 1e-3). */
  floor?: number;
  /** Number of floor nodes (default 4 (d + 1), at least 64). */
  floorNodes?: number;
}

/** Weighted points (x_i, w_i) of a distribution restricted to [a, b]. */
export function weightedPoints(dist: SiteDistribution, a: number, b: number): { x: Float64Array; w: Float64Array } {
  const xs: number[] = [];
  const ws: number[] = [];
  if (dist.histogram && dist.histogram.counts.length > 0) {
    const h = dist.histogram;
    const n = h.counts.length;
    const width = (h.hi - h.lo) / n;
    for (let i = 0; i < n; i++) {
      const c = h.counts[i]!;
      if (c <= 0) continue;
      const x = h.lo + (i + 0.5) * width;
      if (x < a || x > b) continue;
      xs.push(x);
      ws.push(c);
    }
  } else if (dist.samples && dist.samples.length > 0) {
    for (let i = 0; i < dist.samples.length; i++) {
      const x = dist.samples[i]!;
      if (x >= a && x <= b) {
        xs.push(x);
        ws.push(1);
      }
    }
  }
  return { x: Float64Array.from(xs), w: Float64Array.from(ws) };
}

/**
 * Least squares ||diag(sqrt w) (V c - y)|| with V_ik = T_k(t_i): Householder QR, then back substitution.
 */
export function weightedChebyshevLeastSquares(t: Float64Array, y: Float64Array, w: Float64Array, degree: number): Float64Array {
  const m = t.length;
  const n = degree + 1;
  if (m < n) throw new Error(`WLS: ${m} weighted points cannot determine a degree-${degree} polynomial`);
  // column-major A (m x n) and rhs
  const A = new Float64Array(m * n);
  const r = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const s = Math.sqrt(w[i]!);
    let tkm1 = 1;
    let tk = t[i]!;
    A[i] = s;
    if (n > 1) A[m + i] = s * tk;
    for (let k = 2; k < n; k++) {
      const tn = 2 * t[i]! * tk - tkm1;
      tkm1 = tk;
      tk = tn;
      A[k * m + i] = s * tk;
    }
    r[i] = s * y[i]!;
  }
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const col = k * m;
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[col + i]! * A[col + i]!;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error(`WLS: the design matrix is rank deficient at column ${k}`);
    const alpha = A[col + k]! > 0 ? -norm : norm;
    // v = x - alpha e1, stored in A[k..m-1, k]
    A[col + k] = A[col + k]! - alpha;
    let vnorm2 = 0;
    for (let i = k; i < m; i++) vnorm2 += A[col + i]! * A[col + i]!;
    diag[k] = alpha;
    if (vnorm2 === 0) continue;
    for (let j = k + 1; j < n; j++) {
      const cj = j * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += A[col + i]! * A[cj + i]!;
      const f = (2 * dot) / vnorm2;
      for (let i = k; i < m; i++) A[cj + i] = A[cj + i]! - f * A[col + i]!;
    }
    let dot = 0;
    for (let i = k; i < m; i++) dot += A[col + i]! * r[i]!;
    const f = (2 * dot) / vnorm2;
    for (let i = k; i < m; i++) r[i] = r[i]! - f * A[col + i]!;
  }
  const c = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) {
    let s = r[k]!;
    for (let j = k + 1; j < n; j++) s -= A[j * m + k]! * c[j]!;
    c[k] = s / diag[k]!;
  }
  return c;
}

/** WLS fit of `f` of degree `degree` on [a, b] under `dist` (plus the floor). */
export function fitWls(f: (x: number) => number, dist: SiteDistribution, degree: number, interval: [number, number], opts: WlsOptions = {}): FitResult {
  const [a, b] = interval;
  const pts = weightedPoints(dist, a, b);
  let mass = 0;
  for (let i = 0; i < pts.w.length; i++) mass += pts.w[i]!;
  const nf = Math.max(64, opts.floorNodes ?? 4 * (degree + 1));
  const floorTotal = (opts.floor ?? 1e-3) * (mass > 0 ? mass : 1);
  const m = pts.x.length + nf;
  const x = new Float64Array(m);
  const w = new Float64Array(m);
  x.set(pts.x);
  w.set(pts.w);
  for (let j = 0; j < nf; j++) {
    // Chebyshev nodes of the first kind on [a, b], equal weights
    x[pts.x.length + j] = (a + b) / 2 + ((b - a) / 2) * Math.cos((Math.PI * (j + 0.5)) / nf);
    w[pts.x.length + j] = floorTotal / nf;
  }
  const t = new Float64Array(m);
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    t[i] = (2 * x[i]! - a - b) / (b - a);
    y[i] = f(x[i]!);
  }
  const coeffs = weightedChebyshevLeastSquares(t, y, w, degree);
  const series = new ChebyshevPoly(coeffs, a, b);
  // diagnostics on the distribution's points
  let se = 0;
  let maxErr = 0;
  const px = series.evaluateMany(pts.x);
  for (let i = 0; i < pts.x.length; i++) {
    const e = px[i]! - f(pts.x[i]!);
    se += pts.w[i]! * e * e;
    maxErr = Math.max(maxErr, Math.abs(e));
  }
  return { series, weightedRmse: mass > 0 ? Math.sqrt(se / mass) : NaN, maxError: maxErr };
}

/** The optimiser's default fitter: ReLU or exact GELU by WLS under the site's distribution. */
export function fallbackWlsFitter(kind: "relu" | "gelu", dist: SiteDistribution, degree: number, interval: [number, number]): FitResult {
  return fitWls(kind === "relu" ? relu : gelu, dist, degree, interval);
}
