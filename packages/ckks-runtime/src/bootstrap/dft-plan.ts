// CoeffToSlot / SlotToCoeff as a few merged sparse levels (Chen–Chillotti–Song 2019, Han–Ki 2020:
// "level-collapsed" FFT), for SEAL's generator-3 slot order (see encoding-map.ts).
//
// CoeffToSlot (full slots, n = N/2): after ModRaise the slots hold z = U·t/S for the raised integer
// polynomial t = m + q0·I. The real coefficients are t = (2/N)·Re(Uᴴ·S·z) and
// Uᴴ = Baseᴴ·L_{t−1}ᴴ⋯L_0ᴴ. Baseᴴ splits into the two ℂ-linear n×n maps BaseA (leaf positions 0,1 =
// coefficients in [0, N/2)) and BaseB (positions 2,3 = [N/2, N)), each with diagonals {0, ±1}.
// We evaluate y_A = α·BaseA·G·z and y_B = α·BaseB·G·z, then Re via y + conj(y) (one conjugation each):
// out_A[s] = t[permA[s]] / (q0·K) with α = S/(N·q0·K). The permutation is never undone: EvalMod is
// slot-wise and SlotToCoeff consumes the same order.
//
// SlotToCoeff: z = L_0⋯L_{t−1}·(BaseFwdA·a + BaseFwdB·b) for real slot vectors a, b holding the two
// coefficient halves in the permuted order; the first merged level takes both inputs.
import { type ComplexVector, complexZeros } from "./complex.js";
import { DiagMatrix } from "./diag-matrix.js";
import { type EncodingFactors, adjointLayers, baseEntry } from "./encoding-map.js";

/** One merged level: outputs[o] = Σ_i matrices[o][i] · inputs[i]. */
export interface DftLevel {
  matrices: DiagMatrix[][];
}

export interface DftPlan {
  kind: "coeffToSlot" | "slotToCoeff";
  n: number;
  levels: DftLevel[];
  /** Coefficient index held by slot s of output/input A (and B). */
  permA: Int32Array;
  permB: Int32Array;
}

/** Split `count` layers into `groups` sizes as evenly as possible, bigger ones first. */
export function splitLayers(count: number, groups: number): number[] {
  if (groups < 1 || groups > count) throw new Error(`cannot split ${count} DFT layers into ${groups} levels`);
  const base = Math.floor(count / groups);
  const extra = count % groups;
  return Array.from({ length: groups }, (_, i) => base + (i < extra ? 1 : 0));
}

/** The base map restricted to one half: adjoint (CoeffToSlot) or forward (SlotToCoeff). */
function baseHalf(f: EncodingFactors, half: 0 | 1, adjoint: boolean): DiagMatrix {
  const M = new DiagMatrix(f.n);
  for (let b = 0; b < f.N / 4; b++) {
    for (let pp = 0; pp < 2; pp++) {
      const p = pp + 2 * half;
      for (let e = 0; e < 2; e++) {
        const [wr, wi] = baseEntry(e, p);
        // adjoint: out[2b+pp] += conj(w_{e,p}) · y[2b+e];  forward: out[2b+e] += w_{e,p} · a[2b+pp]
        if (adjoint) M.add(2 * b + pp, e - pp, wr, -wi);
        else M.add(2 * b + e, pp - e, wr, wi);
      }
    }
  }
  return M;
}

function perms(f: EncodingFactors): [Int32Array, Int32Array] {
  const permA = new Int32Array(f.n);
  const permB = new Int32Array(f.n);
  for (let b = 0; b < f.N / 4; b++) {
    for (let pp = 0; pp < 2; pp++) {
      permA[2 * b + pp] = f.leaf[4 * b + pp];
      permB[2 * b + pp] = f.leaf[4 * b + pp + 2];
    }
  }
  return [permA, permB];
}

function product(ms: DiagMatrix[]): DiagMatrix {
  // ms in application order: result = ms[last] ⋯ ms[0]
  let acc = ms[0];
  for (let i = 1; i < ms.length; i++) acc = ms[i].mul(acc);
  return acc.prune();
}

/**
 * Sparse packing (n < N/2 slots, sub-ring Z[X^{N/2n}], slots n-periodic): the sub-ring's own encoding map is
 * the full-slot map of degree N' = 2n, so the same factors apply to the n-periodic slot vector. The two real
 * outputs are repacked side by side into one 2n-periodic vector (A in [0, n), B in [n, 2n)), so one
 * conjugation and ONE EvalMod suffice; SlotToCoeff's first level unpacks it again.
 */
function repackMatrix(A: DiagMatrix, B: DiagMatrix): DiagMatrix {
  const n = A.n;
  const R = new DiagMatrix(2 * n);
  for (const [half, M] of [
    [0, A],
    [1, B],
  ] as const) {
    for (const [p, d] of M.diags) {
      for (let s = 0; s < n; s++) R.add(s + half * n, p, d.re[s], d.im[s]);
    }
  }
  return R.prune();
}

/** out (n-periodic, given on 2n slots) = A·v[0,n) + B·v[n,2n) for a 2n-periodic v. */
function unpackMatrix(A: DiagMatrix, B: DiagMatrix): DiagMatrix {
  const n = A.n;
  const R = new DiagMatrix(2 * n);
  for (const [half, M] of [
    [0, A],
    [1, B],
  ] as const) {
    for (const [p, d] of M.diags) {
      for (let s = 0; s < 2 * n; s++) {
        const s0 = s % n;
        const target = half * n + ((s0 + p) % n); // index of the operand in the 2n-periodic input
        R.add(s, target - s, d.re[s0], d.im[s0]);
      }
    }
  }
  return R.prune();
}

/**
 * CoeffToSlot in `levels` merged levels with total constant `alpha` spread evenly (|alpha|^{1/levels}
 * per level, so all diagonals have similar magnitude). `repack` (sparse slots): one 2n-periodic output.
 */
export function coeffToSlotPlan(f: EncodingFactors, levels: number, alpha: number, repack = false): DftPlan {
  const adj = adjointLayers(f);
  const sizes = splitLayers(adj.length + 1, levels);
  const perLevel = Math.sign(alpha) * Math.abs(alpha) ** (1 / levels);
  const out: DftLevel[] = [];
  let pos = 0;
  for (let g = 0; g < levels; g++) {
    const last = g === levels - 1;
    const take = last ? sizes[g] - 1 : sizes[g];
    const group = adj.slice(pos, pos + take);
    pos += take;
    if (!last) {
      out.push({ matrices: [[product(group).scale(perLevel)]] });
    } else {
      const A = product([...group, baseHalf(f, 0, true)]).scale(perLevel);
      const B = product([...group, baseHalf(f, 1, true)]).scale(perLevel);
      out.push({ matrices: repack ? [[repackMatrix(A, B)]] : [[A], [B]] });
    }
  }
  const [permA, permB] = perms(f);
  return { kind: "coeffToSlot", n: f.n, levels: out, permA, permB };
}

/**
 * SlotToCoeff in `levels` merged levels (bigger groups last), constant `beta` spread evenly. `repack`
 * (sparse slots): the first level takes one 2n-periodic input (A | B).
 */
export function slotToCoeffPlan(f: EncodingFactors, levels: number, beta: number, repack = false): DftPlan {
  const fwd = [...f.layers].reverse(); // application order L_{t−1} … L_0
  const sizes = splitLayers(fwd.length + 1, levels).reverse();
  const perLevel = Math.sign(beta) * Math.abs(beta) ** (1 / levels);
  const out: DftLevel[] = [];
  let pos = 0;
  for (let g = 0; g < levels; g++) {
    if (g === 0) {
      const group = fwd.slice(0, sizes[0] - 1);
      pos = sizes[0] - 1;
      const A = product([baseHalf(f, 0, false), ...group]).scale(perLevel);
      const B = product([baseHalf(f, 1, false), ...group]).scale(perLevel);
      out.push({ matrices: repack ? [[unpackMatrix(A, B)]] : [[A, B]] });
    } else {
      const group = fwd.slice(pos, pos + sizes[g]);
      pos += sizes[g];
      out.push({ matrices: [[product(group).scale(perLevel)]] });
    }
  }
  const [permA, permB] = perms(f);
  return { kind: "slotToCoeff", n: f.n, levels: out, permA, permB };
}

/** A periodic vector seen with period m (extend by repetition, or cut one period). */
export function withPeriod(v: ComplexVector, m: number): ComplexVector {
  if (v.re.length === m) return v;
  const out = complexZeros(m);
  for (let j = 0; j < m; j++) {
    out.re[j] = v.re[j % v.re.length];
    out.im[j] = v.im[j % v.re.length];
  }
  return out;
}

/** Float64 reference evaluation of a plan (what the homomorphic transform must reproduce). */
export function applyDftPlan(plan: DftPlan, inputs: ComplexVector[]): ComplexVector[] {
  let cur = inputs;
  for (const lvl of plan.levels) {
    cur = lvl.matrices.map((row) => {
      const m = row[0].n;
      const acc = complexZeros(m);
      row.forEach((M, i) => {
        const y = M.apply(withPeriod(cur[i], m));
        for (let j = 0; j < m; j++) {
          acc.re[j] += y.re[j];
          acc.im[j] += y.im[j];
        }
      });
      return acc;
    });
  }
  return cur;
}
