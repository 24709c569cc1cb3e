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
 * CoeffToSlot in `levels` merged levels with total constant `alpha` spread evenly (|alpha|^{1/levels}
 * per level, so all diagonals have similar magnitude).
 */
export function coeffToSlotPlan(f: EncodingFactors, levels: number, alpha: number): DftPlan {
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
      const A = baseHalf(f, 0, true);
      const B = baseHalf(f, 1, true);
      out.push({
        matrices: [[product([...group, A]).scale(perLevel)], [product([...group, B]).scale(perLevel)]],
      });
    }
  }
  const [permA, permB] = perms(f);
  return { kind: "coeffToSlot", n: f.n, levels: out, permA, permB };
}

/** SlotToCoeff in `levels` merged levels (bigger groups last), constant `beta` spread evenly. */
export function slotToCoeffPlan(f: EncodingFactors, levels: number, beta: number): DftPlan {
  const fwd = [...f.layers].reverse(); // application order L_{t−1} … L_0
  const sizes = splitLayers(fwd.length + 1, levels).reverse();
  const perLevel = Math.sign(beta) * Math.abs(beta) ** (1 / levels);
  const out: DftLevel[] = [];
  let pos = 0;
  for (let g = 0; g < levels; g++) {
    if (g === 0) {
      const group = fwd.slice(0, sizes[0] - 1);
      pos = sizes[0] - 1;
      const A = baseHalf(f, 0, false);
      const B = baseHalf(f, 1, false);
      out.push({ matrices: [[product([A, ...group]).scale(perLevel), product([B, ...group]).scale(perLevel)]] });
    } else {
      const group = fwd.slice(pos, pos + sizes[g]);
      pos += sizes[g];
      out.push({ matrices: [[product(group).scale(perLevel)]] });
    }
  }
  const [permA, permB] = perms(f);
  return { kind: "slotToCoeff", n: f.n, levels: out, permA, permB };
}

/** Float64 reference evaluation of a plan (what the homomorphic transform must reproduce). */
export function applyDftPlan(plan: DftPlan, inputs: ComplexVector[]): ComplexVector[] {
  let cur = inputs;
  for (const lvl of plan.levels) {
    cur = lvl.matrices.map((row) => {
      const acc = complexZeros(plan.n);
      row.forEach((M, i) => {
        const y = M.apply(cur[i]);
        for (let j = 0; j < plan.n; j++) {
          acc.re[j] += y.re[j];
          acc.im[j] += y.im[j];
        }
      });
      return acc;
    });
  }
  return cur;
}
