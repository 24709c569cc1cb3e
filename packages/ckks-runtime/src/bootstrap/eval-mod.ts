// EvalMod: the approximate reduction x ↦ x − round(x) on CoeffToSlot's output, as a scaled cosine with
// double-angle steps (Han–Ki 2019/688; Bossuat et al. Eurocrypt 2021, 2020/1203):
//
//   y_0 = p(u) ≈ cos(2π(K·u − 1/4)/2^r),  u = x/K ∈ [−1, 1]   (Chebyshev interpolant of degree d)
//   y_{i+1} = 2·y_i² − 1                                       (r times)  ⇒ y_r ≈ cos(2π(x − 1/4)) = sin(2πx)
//
// and sin(2πx)/(2π) ≈ x − round(x) for x near an integer; the 1/(2π) is folded into SlotToCoeff.
// The shift by 1/4 turns the even cosine into the odd sine (note trap 17).
//
// x = I + ε, where I is the integer overflow of ModRaise: over the integers c0 + c1·s = m + e + q0·I.
// With c0, c1 uniform in (−q0/2, q0/2] and s ternary with h non-zeros, each I_j is (up to the tiny m + e)
// the rounding of a sum S of h+1 independent U(−1/2, 1/2) variables, so |I_j| ≥ K requires |S| ≥ K − 1/2.
// We bound that by Chernoff with the exact moment generating function of U(−1/2,1/2),
// E e^{λU} = sinh(λ/2)/(λ/2):  Pr[|S| ≥ t] ≤ 2·min_λ e^{−λt}·(sinh(λ/2)/(λ/2))^{h+1}  (a rigorous upper
// bound under the uniformity heuristic for c0, c1).

/** log2 of the Chernoff bound on Pr[|I_j| ≥ K] for one coefficient. */
export function overflowLog2PerCoefficient(h: number, K: number): number {
  const t = K - 0.5;
  const logMgf = (l: number): number => (l < 1e-6 ? (l * l) / 24 : Math.log(Math.sinh(l / 2) / (l / 2)));
  // convex in λ: golden-section search on [0, 200]
  let a = 0;
  let b = 200;
  const f = (l: number): number => -l * t + (h + 1) * logMgf(l);
  for (let i = 0; i < 200; i++) {
    const m1 = a + (b - a) * 0.382;
    const m2 = a + (b - a) * 0.618;
    if (f(m1) < f(m2)) b = m2;
    else a = m1;
  }
  const best = Math.min(0, f((a + b) / 2));
  return (best + Math.log(2)) / Math.LN2;
}

/** Smallest K with (coefficients)·Pr[|I_j| ≥ K] ≤ 2^failureLog2. */
export function chooseK(h: number, coefficients: number, failureLog2: number): number {
  for (let K = 2; K < 100000; K++) {
    if (overflowLog2PerCoefficient(h, K) + Math.log2(coefficients) <= failureLog2) return K;
  }
  throw new Error(`no K reaches failure probability 2^${failureLog2} for h=${h}`);
}

/** Chebyshev interpolant of f on [−1, 1] at the d+1 Chebyshev nodes; returns c_0 … c_d. */
export function chebyshevInterpolate(f: (u: number) => number, degree: number): Float64Array {
  const n = degree + 1;
  const vals = new Float64Array(n);
  for (let j = 0; j < n; j++) vals[j] = f(Math.cos((Math.PI * (j + 0.5)) / n));
  const c = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += vals[j] * Math.cos((Math.PI * k * (j + 0.5)) / n);
    c[k] = ((k === 0 ? 1 : 2) / n) * s;
  }
  return c;
}

/** Clenshaw evaluation of Σ c_k T_k(u). */
export function chebyshevEval(c: Float64Array, u: number): number {
  let b1 = 0;
  let b2 = 0;
  for (let k = c.length - 1; k >= 1; k--) {
    const b0 = 2 * u * b1 - b2 + c[k];
    b2 = b1;
    b1 = b0;
  }
  return u * b1 - b2 + c[0];
}

export interface EvalModParams {
  /** Secret Hamming weight the parameters were chosen for. */
  h: number;
  /** Interval bound: inputs x = I + ε with |x| < K. */
  K: number;
  /** Degree of the cosine interpolant. */
  degree: number;
  /** Double-angle steps r. */
  doubleAngles: number;
  /** Chebyshev coefficients of cos(2π(K·u − 1/4)/2^r) on u ∈ [−1, 1]. */
  coefficients: Float64Array;
  /** log2 of the failure-probability bound per bootstrap (Pr[some |I_j| ≥ K]). */
  failureLog2: number;
  /** log2 of max |evalMod(x) − sin(2πx)| over ∪_i [i − 2^-6, i + 2^-6], |i| ≤ K − 1 (float64). */
  approxErrorLog2: number;
  /** Multiplicative depth: ⌈log2(degree + 1)⌉ (depth-optimal Chebyshev evaluation) + r. */
  depth: number;
}

export function chebyshevBasisDepth(k: number): number {
  return k <= 1 ? 0 : Math.ceil(Math.log2(k));
}

function makeCoeffs(K: number, r: number, degree: number): Float64Array {
  return chebyshevInterpolate((u) => Math.cos((2 * Math.PI * (K * u - 0.25)) / 2 ** r), degree);
}

/** Float64 model of the homomorphic EvalMod (same polynomial, same double angles): ≈ sin(2πx). */
export function evalModReference(p: Pick<EvalModParams, "K" | "doubleAngles" | "coefficients">, x: number): number {
  let y = chebyshevEval(p.coefficients, x / p.K);
  for (let i = 0; i < p.doubleAngles; i++) y = 2 * y * y - 1;
  return y;
}

function approxError(p: Pick<EvalModParams, "K" | "doubleAngles" | "coefficients">): number {
  let m = 0;
  const delta = 2 ** -6;
  for (let i = -(p.K - 1); i <= p.K - 1; i++) {
    for (let s = 0; s <= 64; s++) {
      const x = i - delta + (2 * delta * s) / 64;
      m = Math.max(m, Math.abs(evalModReference(p, x) - Math.sin(2 * Math.PI * x)));
    }
  }
  return Math.log2(m);
}

export interface EvalModDesign {
  /** Hamming weight of the ternary secret. */
  h: number;
  /** Coefficients that can overflow: N for full slots. */
  coefficients: number;
  /** Target failure probability per bootstrap, log2 (e.g. −32). */
  failureLog2: number;
  /** Target approximation error, log2 (default −40). */
  approxErrorLog2?: number;
  /** Force K (otherwise chosen from h and failureLog2). */
  K?: number;
}

/**
 * Chooses K from the secret's Hamming weight and the failure target, then the least-depth
 * (r, degree) whose float64 approximation error meets the target; among equal depths, the lowest degree.
 */
export function designEvalMod(d: EvalModDesign): EvalModParams {
  const K = d.K ?? chooseK(d.h, d.coefficients, d.failureLog2);
  const target = d.approxErrorLog2 ?? -40;
  let best: EvalModParams | undefined;
  const rMin = Math.max(1, Math.ceil(Math.log2(K)) - 2);
  for (let r = rMin; r <= rMin + 4; r++) {
    for (const degree of [7, 11, 15, 19, 23, 27, 31, 39, 47, 55, 63, 95, 127]) {
      const coefficients = makeCoeffs(K, r, degree);
      const depth = chebyshevBasisDepth(degree + 1) + r;
      if (best && (depth > best.depth || (depth === best.depth && degree >= best.degree))) continue;
      const err = approxError({ K, doubleAngles: r, coefficients });
      if (err <= target) {
        const fail = overflowLog2PerCoefficient(d.h, K) + Math.log2(d.coefficients);
        best = { h: d.h, K, degree, doubleAngles: r, coefficients, failureLog2: fail, approxErrorLog2: err, depth };
        break;
      }
    }
  }
  if (!best) throw new Error(`no EvalMod polynomial reaches 2^${target} for K=${K}`);
  return best;
}
