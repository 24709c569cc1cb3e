// Square n×n complex matrices stored by generalised diagonals, the form in which a homomorphic
// linear transform consumes them (Halevi–Shoup): (A·x)_j = Σ_p d_p[j] · x[(j + p) mod n].
// Offsets are kept in [0, n).
import { type ComplexVector, complexZeros } from "./complex.js";

export class DiagMatrix {
  readonly diags = new Map<number, ComplexVector>();
  constructor(readonly n: number) {}

  /** The diagonal at offset p (created as zeros if absent). */
  diag(p: number): ComplexVector {
    const o = ((p % this.n) + this.n) % this.n;
    let d = this.diags.get(o);
    if (!d) {
      d = complexZeros(this.n);
      this.diags.set(o, d);
    }
    return d;
  }

  /** Adds (re + i·im) at row j, column (j + p) mod n. */
  add(j: number, p: number, re: number, im: number): void {
    const d = this.diag(p);
    d.re[j] += re;
    d.im[j] += im;
  }

  offsets(): number[] {
    return [...this.diags.keys()].sort((a, b) => a - b);
  }

  apply(x: ComplexVector): ComplexVector {
    const n = this.n;
    const out = complexZeros(n);
    for (const [p, d] of this.diags) {
      for (let j = 0; j < n; j++) {
        const k = j + p < n ? j + p : j + p - n;
        const xr = x.re[k];
        const xi = x.im[k];
        out.re[j] += d.re[j] * xr - d.im[j] * xi;
        out.im[j] += d.re[j] * xi + d.im[j] * xr;
      }
    }
    return out;
  }

  /** this · other (other is applied first). (AB)_{p+q}[j] += a_p[j] · b_q[j+p]. */
  mul(other: DiagMatrix): DiagMatrix {
    const n = this.n;
    const out = new DiagMatrix(n);
    for (const [p, a] of this.diags) {
      for (const [q, b] of other.diags) {
        const d = out.diag(p + q);
        for (let j = 0; j < n; j++) {
          const k = j + p < n ? j + p : j + p - n;
          d.re[j] += a.re[j] * b.re[k] - a.im[j] * b.im[k];
          d.im[j] += a.re[j] * b.im[k] + a.im[j] * b.re[k];
        }
      }
    }
    return out;
  }

  /** Conjugate transpose: (Aᴴ)_{i, i−p} = conj(d_p[i − p]). */
  adjoint(): DiagMatrix {
    const n = this.n;
    const out = new DiagMatrix(n);
    for (const [p, a] of this.diags) {
      const d = out.diag(-p);
      for (let i = 0; i < n; i++) {
        const src = (i - p + n) % n;
        d.re[i] = a.re[src];
        d.im[i] = -a.im[src];
      }
    }
    return out;
  }

  scale(c: number): DiagMatrix {
    const out = new DiagMatrix(this.n);
    for (const [p, a] of this.diags) {
      const d = out.diag(p);
      for (let j = 0; j < this.n; j++) {
        d.re[j] = a.re[j] * c;
        d.im[j] = a.im[j] * c;
      }
    }
    return out;
  }

  /** Drops diagonals whose entries are all below tol in magnitude (structural zeros after products). */
  prune(tol = 1e-300): DiagMatrix {
    for (const [p, d] of [...this.diags]) {
      let m = 0;
      for (let j = 0; j < this.n; j++) m = Math.max(m, Math.abs(d.re[j]), Math.abs(d.im[j]));
      if (m <= tol) this.diags.delete(p);
    }
    return this;
  }
}
