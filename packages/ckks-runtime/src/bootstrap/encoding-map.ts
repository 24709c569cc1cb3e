// SEAL's CKKS encoding map and its factorisation into sparse butterfly layers.
//
// SEAL 4.1 (native/src/seal/ckks.cpp) orders the N/2 slots by powers of 3: slot j holds
// m(ψ^{g_j}) with ψ = e^{iπ/N} and g_j = 3^j mod 2N. The power-of-5 DFT factorisations of
// HEAAN/Lattigo therefore do not apply. We factor the map by the even/odd recursion
// m(X) = m_e(X²) + X·m_o(X²) (Cooley–Tukey on the evaluation points): since 3 has order N'/4
// modulo N' for N' ≥ 8, slot j of a degree-N' sub-problem is u_{j mod N'/4} + ψ_{N'}^{g_j}·v_{j mod N'/4}
// with u, v the slot vectors of m_e, m_o. Storing children side by side, one recursion level is a
// matrix with diagonals {0, ±N'/4}. The recursion stops at degree-4 leaves (2 slots, 4 coefficients),
// handled by the 2×4 "base" block. Result (ℂ-linear in the coefficient vector c ∈ ℂ^N):
//
//   U·c = L_0 · L_1 ⋯ L_{t−1} · Base(c),  t = log2(N) − 2,  L_d with offsets {0, ±n/2^{d+1}}, n = N/2.
//
// For real c, c = (2/N)·Re(Uᴴ·z) (the sum over ⟨3⟩ ∪ −⟨3⟩ covers every odd residue mod 2N), and
// Uᴴ = Baseᴴ · L_{t−1}ᴴ ⋯ L_0ᴴ has the same sparsity, so both directions use the same layers.
import { type ComplexVector, complexZeros } from "./complex.js";
import { DiagMatrix } from "./diag-matrix.js";

/** g_j = 3^j mod 2N for the N/2 slots (SEAL's `matrix_reps_index_map_` generator). */
export function slotExponents(N: number): Int32Array {
  const g = new Int32Array(N / 2);
  let p = 1;
  for (let j = 0; j < N / 2; j++) {
    g[j] = p;
    p = (p * 3) % (2 * N);
  }
  return g;
}

function assertRingDegree(N: number): void {
  if (!Number.isInteger(Math.log2(N)) || N < 8) throw new Error(`ring degree N must be a power of two ≥ 8, got ${N}`);
}

/** Direct O(N²) evaluation z_j = Σ_k c_k ψ^{g_j·k} (the independent reference). */
export function encodeDirect(c: ComplexVector | Float64Array, N: number): ComplexVector {
  assertRingDegree(N);
  const cre = c instanceof Float64Array ? c : c.re;
  const cim = c instanceof Float64Array ? new Float64Array(N) : c.im;
  const cosT = new Float64Array(2 * N);
  const sinT = new Float64Array(2 * N);
  for (let e = 0; e < 2 * N; e++) {
    cosT[e] = Math.cos((Math.PI * e) / N);
    sinT[e] = Math.sin((Math.PI * e) / N);
  }
  const g = slotExponents(N);
  const z = complexZeros(N / 2);
  for (let j = 0; j < N / 2; j++) {
    let sr = 0;
    let si = 0;
    for (let k = 0; k < N; k++) {
      const e = (g[j] * k) % (2 * N);
      sr += cre[k] * cosT[e] - cim[k] * sinT[e];
      si += cre[k] * sinT[e] + cim[k] * cosT[e];
    }
    z.re[j] = sr;
    z.im[j] = si;
  }
  return z;
}

/** Base block of a degree-4 leaf: slot e ∈ {0,1} = Σ_p ψ8^{g_e·p}·a_p, g = (1, 3). */
export function baseEntry(e: number, p: number): [number, number] {
  const ge = e === 0 ? 1 : 3;
  const ang = (Math.PI * ((ge * p) % 8)) / 4;
  return [Math.cos(ang), Math.sin(ang)];
}

export interface EncodingFactors {
  N: number;
  /** Complex slots, N/2. */
  n: number;
  /** L_0 … L_{t−1}; L_0 is applied last in encoding, first in its adjoint. */
  layers: DiagMatrix[];
  /** leaf[4b + p]: index of the coefficient feeding position p of leaf b (slots 2b, 2b+1). */
  leaf: Int32Array;
}

export function buildEncodingFactors(N: number): EncodingFactors {
  assertRingDegree(N);
  const n = N / 2;
  const t = Math.log2(N) - 2;
  const layers: DiagMatrix[] = [];
  for (let d = 0; d < t; d++) {
    const M = N >> d; // sub-problem degree at this depth
    const s = M / 2; // slots per block
    const h = s / 2;
    const L = new DiagMatrix(n);
    for (let off = 0; off < n; off += s) {
      let gj = 1; // 3^j mod 2M
      for (let j = 0; j < s; j++) {
        const ang = (Math.PI * gj) / M;
        const wr = Math.cos(ang);
        const wi = Math.sin(ang);
        if (j < h) {
          L.add(off + j, 0, 1, 0);
          L.add(off + j, h, wr, wi);
        } else {
          L.add(off + j, -h, 1, 0);
          L.add(off + j, 0, wr, wi);
        }
        gj = (gj * 3) % (2 * M);
      }
    }
    layers.push(L);
  }
  // Leaves: recursive even/odd split of the coefficient indices.
  const leaf = new Int32Array(N);
  const rec = (idx: number[], slotOff: number): void => {
    if (idx.length === 4) {
      const b = slotOff / 2;
      for (let p = 0; p < 4; p++) leaf[4 * b + p] = idx[p];
      return;
    }
    const even = idx.filter((_, i) => i % 2 === 0);
    const odd = idx.filter((_, i) => i % 2 === 1);
    rec(even, slotOff);
    rec(odd, slotOff + idx.length / 4);
  };
  rec(
    Array.from({ length: N }, (_, i) => i),
    0,
  );
  return { N, n, layers, leaf };
}

/** Base(c): y[2b+e] = Σ_p ψ8^{g_e p} c[leaf[4b+p]]. */
export function applyBase(f: EncodingFactors, c: ComplexVector): ComplexVector {
  const y = complexZeros(f.n);
  for (let b = 0; b < f.N / 4; b++) {
    for (let e = 0; e < 2; e++) {
      let sr = 0;
      let si = 0;
      for (let p = 0; p < 4; p++) {
        const [wr, wi] = baseEntry(e, p);
        const k = f.leaf[4 * b + p];
        sr += wr * c.re[k] - wi * c.im[k];
        si += wr * c.im[k] + wi * c.re[k];
      }
      y.re[2 * b + e] = sr;
      y.im[2 * b + e] = si;
    }
  }
  return y;
}

/** Baseᴴ(y): coefficient leaf[4b+p] = Σ_e conj(ψ8^{g_e p}) y[2b+e]. */
export function applyBaseAdjoint(f: EncodingFactors, y: ComplexVector): ComplexVector {
  const c = complexZeros(f.N);
  for (let b = 0; b < f.N / 4; b++) {
    for (let p = 0; p < 4; p++) {
      let sr = 0;
      let si = 0;
      for (let e = 0; e < 2; e++) {
        const [wr, wi] = baseEntry(e, p);
        const yr = y.re[2 * b + e];
        const yi = y.im[2 * b + e];
        sr += wr * yr + wi * yi;
        si += wr * yi - wi * yr;
      }
      const k = f.leaf[4 * b + p];
      c.re[k] = sr;
      c.im[k] = si;
    }
  }
  return c;
}

/** U·c through the factorisation, O(N log N). */
export function encodeFactored(f: EncodingFactors, c: ComplexVector | Float64Array): ComplexVector {
  let y = applyBase(f, c instanceof Float64Array ? { re: c, im: new Float64Array(f.N) } : c);
  for (let d = f.layers.length - 1; d >= 0; d--) y = f.layers[d].apply(y);
  return y;
}

/**
 * The real coefficient vector c with U·c = z: c = (2/N)·Re(Uᴴ z). This is what a CKKS encoder
 * computes before scaling and rounding (for any complex slot vector z).
 */
export function coefficientsFromSlots(f: EncodingFactors, z: ComplexVector): Float64Array {
  let y = z;
  const adj = adjointLayers(f);
  for (let d = 0; d < adj.length; d++) y = adj[d].apply(y);
  const c = applyBaseAdjoint(f, y);
  const out = new Float64Array(f.N);
  for (let k = 0; k < f.N; k++) out[k] = (2 / f.N) * c.re[k];
  return out;
}

const adjointCache = new WeakMap<EncodingFactors, DiagMatrix[]>();
/** L_0ᴴ … L_{t−1}ᴴ in application order. */
export function adjointLayers(f: EncodingFactors): DiagMatrix[] {
  let a = adjointCache.get(f);
  if (!a) {
    a = f.layers.map((L) => L.adjoint());
    adjointCache.set(f, a);
  }
  return a;
}
