// Chebyshev series on an interval [a, b]:
//   p(x) = sum_k c_k T_k(t),  t = (2x - a - b) / (b - a),
// the basis used by every polynomial @ola/poly produces (well conditioned up to degree 63, unlike
// the power basis, and the basis the homomorphic evaluator works in; see compile.ts).

export type Parity = "even" | "odd" | "none";

export class ChebyshevPoly {
  /** c_0 .. c_d (length d+1, at least 1). */
  readonly coeffs: Float64Array;
  readonly a: number;
  readonly b: number;

  constructor(coeffs: ArrayLike<number>, a = -1, b = 1) {
    if (!(Number.isFinite(a) && Number.isFinite(b) && a < b)) {
      throw new RangeError(`ChebyshevPoly: interval must satisfy a < b (finite), got [${a}, ${b}]`);
    }
    if (coeffs.length === 0) throw new RangeError("ChebyshevPoly: at least one coefficient is required");
    for (let i = 0; i < coeffs.length; i++) {
      if (!Number.isFinite(coeffs[i]!)) throw new RangeError(`ChebyshevPoly: coefficient ${i} is not finite (${coeffs[i]})`);
    }
    this.coeffs = Float64Array.from(coeffs);
    this.a = a;
    this.b = b;
  }

  get degree(): number {
    return this.coeffs.length - 1;
  }

  /** Scale and shift of the affine map t = alpha x + beta from [a,b] to [-1,1]. */
  get affine(): { alpha: number; beta: number } {
    return { alpha: 2 / (this.b - this.a), beta: -(this.a + this.b) / (this.b - this.a) };
  }

  /** Clenshaw recurrence (numerically stable; exact for any real x, also outside [a,b]). */
  evaluate(x: number): number {
    const { alpha, beta } = this.affine;
    return clenshaw(this.coeffs, alpha * x + beta);
  }

  /** Batch Clenshaw over a Float64Array. */
  evaluateMany(xs: ArrayLike<number>): Float64Array {
    const { alpha, beta } = this.affine;
    const c = this.coeffs;
    const n = c.length;
    const out = new Float64Array(xs.length);
    for (let i = 0; i < xs.length; i++) {
      const t = alpha * xs[i]! + beta;
      const t2 = 2 * t;
      let b1 = 0;
      let b2 = 0;
      for (let k = n - 1; k >= 1; k--) {
        const b0 = c[k]! + t2 * b1 - b2;
        b2 = b1;
        b1 = b0;
      }
      out[i] = c[0]! + t * b1 - b2;
    }
    return out;
  }

  /** Parity of the series in t (meaningful as a parity in x when a = -b). Coefficients below tol * max|c| count as zero. */
  parity(tol = 1e-12): Parity {
    let max = 0;
    for (const v of this.coeffs) max = Math.max(max, Math.abs(v));
    const thr = tol * max;
    let even = true;
    let odd = true;
    for (let k = 0; k < this.coeffs.length; k++) {
      if (Math.abs(this.coeffs[k]!) > thr) {
        if (k % 2 === 0) odd = false;
        else even = false;
      }
    }
    if (max === 0) return "even";
    return odd ? "odd" : even ? "even" : "none";
  }

  /** Same polynomial with trailing (near-)zero coefficients removed. */
  trim(tol = 0): ChebyshevPoly {
    let d = this.degree;
    while (d > 0 && Math.abs(this.coeffs[d]!) <= tol) d--;
    return new ChebyshevPoly(this.coeffs.subarray(0, d + 1), this.a, this.b);
  }

  /**
   * Power-basis coefficients in t = (2x-a-b)/(b-a) (so on [-1,1] this is the power basis in x).
   * Uses T_{k+1} = 2t T_k - T_{k-1} on coefficient vectors. The power basis is ill conditioned for
   * high degree: use it for small degrees or for reporting (the plan format stores composites that way).
   */
  toPowerBasisInT(): Float64Array {
    const n = this.coeffs.length;
    const out = new Float64Array(n);
    let prev = new Float64Array(n); // T_0
    prev[0] = 1;
    let cur = new Float64Array(n); // T_1
    if (n > 1) cur[1] = 1;
    out[0] += this.coeffs[0]!;
    for (let k = 1; k < n; k++) {
      const ck = this.coeffs[k]!;
      for (let j = 0; j <= k; j++) out[j] += ck * cur[j]!;
      if (k + 1 < n) {
        const next = new Float64Array(n);
        for (let j = 0; j <= k; j++) next[j + 1] += 2 * cur[j]!;
        for (let j = 0; j < k; j++) next[j] -= prev[j]!;
        prev = cur;
        cur = next;
      }
    }
    return out;
  }

  /** Power-basis coefficients in x itself (expands the affine map). */
  toPowerBasis(): Float64Array {
    const pt = this.toPowerBasisInT();
    const { alpha, beta } = this.affine;
    // p(x) = q(alpha x + beta): Horner on polynomials in x.
    const n = pt.length;
    const out = new Float64Array(n);
    for (let k = n - 1; k >= 0; k--) {
      // out = out * (alpha x + beta) + pt[k]
      for (let j = n - 1; j >= 1; j--) out[j] = out[j]! * beta + out[j - 1]! * alpha;
      out[0] = out[0]! * beta + pt[k]!;
    }
    return out;
  }

  /** Chebyshev series on [a,b] of the power-basis polynomial sum_k p_k x^k. */
  static fromPowerBasis(power: ArrayLike<number>, a = -1, b = 1): ChebyshevPoly {
    // x = (t*(b-a) + a + b)/2 = mu t + nu; Horner in the Chebyshev basis: r <- r*(mu t + nu) + p_k.
    const mu = (b - a) / 2;
    const nu = (a + b) / 2;
    const n = Math.max(1, power.length);
    let r: Float64Array = new Float64Array(n);
    for (let k = power.length - 1; k >= 0; k--) {
      r = chebMulLinear(r, mu, nu);
      r[0] += power[k]!;
    }
    return new ChebyshevPoly(r.subarray(0, n), a, b);
  }

  /** Exact multiple of this series by a scalar. */
  scale(s: number): ChebyshevPoly {
    return new ChebyshevPoly(this.coeffs.map((v) => v * s), this.a, this.b);
  }

  add(other: ChebyshevPoly): ChebyshevPoly {
    sameInterval(this, other, "add");
    const n = Math.max(this.coeffs.length, other.coeffs.length);
    const c = new Float64Array(n);
    for (let k = 0; k < n; k++) c[k] = (this.coeffs[k] ?? 0) + (other.coeffs[k] ?? 0);
    return new ChebyshevPoly(c, this.a, this.b);
  }

  sub(other: ChebyshevPoly): ChebyshevPoly {
    return this.add(other.scale(-1));
  }

  /** Product, by T_i T_j = (T_{i+j} + T_{|i-j|}) / 2. */
  mul(other: ChebyshevPoly): ChebyshevPoly {
    sameInterval(this, other, "mul");
    return new ChebyshevPoly(chebMul(this.coeffs, other.coeffs), this.a, this.b);
  }

  /**
   * Composition this(inner(x)) as a Chebyshev series on inner's interval: Clenshaw's recurrence
   * run on series instead of numbers, with t = alpha*inner + beta (this's affine map).
   */
  compose(inner: ChebyshevPoly): ChebyshevPoly {
    const { alpha, beta } = this.affine;
    const t = inner.coeffs.map((v) => v * alpha);
    t[0] += beta;
    const c = this.coeffs;
    const outLen = (c.length - 1) * (inner.coeffs.length - 1) + 1;
    let b1 = new Float64Array(1);
    let b2 = new Float64Array(1);
    for (let k = c.length - 1; k >= 1; k--) {
      const tb1 = chebMul(t, b1);
      const b0 = new Float64Array(Math.max(tb1.length, b2.length, 1));
      for (let j = 0; j < tb1.length; j++) b0[j] += 2 * tb1[j]!;
      for (let j = 0; j < b2.length; j++) b0[j] -= b2[j]!;
      b0[0] += c[k]!;
      b2 = b1;
      b1 = b0;
    }
    const tb1 = chebMul(t, b1);
    const res = new Float64Array(Math.max(outLen, tb1.length, b2.length));
    for (let j = 0; j < tb1.length; j++) res[j] += tb1[j]!;
    for (let j = 0; j < b2.length; j++) res[j] -= b2[j]!;
    res[0] += c[0]!;
    return new ChebyshevPoly(res.subarray(0, outLen), inner.a, inner.b);
  }

  /** Max |p| on [a,b] sampled on a dense Chebyshev-extrema grid (plus endpoints). */
  maxAbs(samples = 4096): number {
    const xs = chebyshevExtremaGrid(this.a, this.b, samples);
    const v = this.evaluateMany(xs);
    let m = 0;
    for (const y of v) m = Math.max(m, Math.abs(y));
    return m;
  }

  toJSON(): { interval: [number, number]; basis: "chebyshev"; coefficients: number[] } {
    return { interval: [this.a, this.b], basis: "chebyshev", coefficients: Array.from(this.coeffs) };
  }
}

/** Clenshaw for sum c_k T_k(t). */
export function clenshaw(c: ArrayLike<number>, t: number): number {
  const t2 = 2 * t;
  let b1 = 0;
  let b2 = 0;
  for (let k = c.length - 1; k >= 1; k--) {
    const b0 = c[k]! + t2 * b1 - b2;
    b2 = b1;
    b1 = b0;
  }
  return c[0]! + t * b1 - b2;
}

/** n points x_j = mid + half*cos(pi j/(n-1)), sorted ascending (includes both endpoints). */
export function chebyshevExtremaGrid(a: number, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const mid = (a + b) / 2;
  const half = (b - a) / 2;
  for (let j = 0; j < n; j++) out[j] = mid - half * Math.cos((Math.PI * j) / (n - 1));
  out[0] = a;
  out[n - 1] = b;
  return out;
}

/**
 * Interpolant at the d+1 Chebyshev points of the first kind, x_j = cos(pi (j+1/2)/(d+1)) mapped to [a,b]:
 * c_k = (2 - [k=0])/(d+1) sum_j f(x_j) T_k(t_j) (discrete orthogonality of T_k at those points).
 */
export function chebyshevInterpolant(f: (x: number) => number, degree: number, a = -1, b = 1): ChebyshevPoly {
  if (!Number.isInteger(degree) || degree < 0) throw new RangeError(`chebyshevInterpolant: degree must be a non-negative integer, got ${degree}`);
  const n = degree + 1;
  const fv = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const t = Math.cos((Math.PI * (j + 0.5)) / n);
    fv[j] = f(((b - a) * t + a + b) / 2);
  }
  const c = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += fv[j]! * Math.cos((Math.PI * k * (j + 0.5)) / n);
    c[k] = ((k === 0 ? 1 : 2) / n) * s;
  }
  return new ChebyshevPoly(c, a, b);
}

function sameInterval(p: ChebyshevPoly, q: ChebyshevPoly, what: string): void {
  if (p.a !== q.a || p.b !== q.b) {
    throw new RangeError(`ChebyshevPoly.${what}: intervals differ ([${p.a}, ${p.b}] vs [${q.a}, ${q.b}])`);
  }
}

/** Product of Chebyshev coefficient vectors. */
export function chebMul(p: ArrayLike<number>, q: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.length + q.length - 1);
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi === 0) continue;
    for (let j = 0; j < q.length; j++) {
      const v = 0.5 * pi * q[j]!;
      out[i + j] += v;
      out[Math.abs(i - j)] += v;
    }
  }
  return out;
}

/** r(t) * (mu t + nu) for a Chebyshev vector r (t T_k = (T_{k+1} + T_{|k-1|})/2). */
function chebMulLinear(r: Float64Array, mu: number, nu: number): Float64Array {
  const out = new Float64Array(r.length + 1);
  for (let k = 0; k < r.length; k++) {
    const v = r[k]!;
    if (v === 0) continue;
    out[k] += nu * v;
    if (k === 0) out[1] += mu * v;
    else {
      out[k + 1] += 0.5 * mu * v;
      out[k - 1] += 0.5 * mu * v;
    }
  }
  return out;
}
