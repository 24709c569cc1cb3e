// Homomorphic EvalMod (see eval-mod.ts for the math): the Chebyshev series of the scaled cosine, evaluated
// depth-optimally by recursive Chebyshev division, then r double angles y ← 2y² − 1.
//
// Scales follow a per-level ledger σ_{ℓ−1} = σ_ℓ²/q_ℓ computed with the same double operations SEAL
// performs (multiply, then divide by q at rescale), so products of same-level operands match exactly and
// every addition sees identical scales (design note trap 1). Operands at different levels are aligned with
// a multiplication by 1 at the compensating scale (Evaluator.adjust).
//
// This is the bootstrapping-specific evaluator of one fixed polynomial; general PolyPrograms from @ola/poly
// run on the core engine.
import type { Ciphertext } from "../ciphertext.js";
import type { Evaluator } from "../evaluator.js";
import { type EvalModParams, chebyshevBasisDepth } from "./eval-mod.js";

export class ScaleLedger {
  private readonly sigma = new Map<number, number>();
  constructor(
    private readonly primeAt: (level: number) => number,
    readonly startLevel: number,
    readonly startScale: number,
  ) {
    this.sigma.set(startLevel, startScale);
  }
  at(level: number): number {
    if (level > this.startLevel) throw new Error(`scale ledger starts at level ${this.startLevel}, asked for ${level}`);
    let l = this.startLevel;
    let s = this.sigma.get(l)!;
    while (l > level) {
      const next = this.sigma.get(l - 1);
      if (next !== undefined) s = next;
      else {
        s = (s * s) / this.primeAt(l);
        this.sigma.set(l - 1, s);
      }
      l--;
    }
    return s;
  }
}

function snap(ct: Ciphertext, target: number, what: string): void {
  const rel = Math.abs(ct.scale / target - 1);
  if (rel > 1e-9) throw new Error(`internal: ${what} has scale 2^${Math.log2(ct.scale)}, planned 2^${Math.log2(target)}`);
  if (ct.scale !== target) ct.handle.setScale(target);
}

export function evalModDepth(p: EvalModParams): number {
  return chebyshevBasisDepth(p.degree + 1) + p.doubleAngles;
}

/**
 * Evaluates EvalMod on `u` (slots x/K, real, at ledger.startLevel with ledger.startScale). Returns ≈
 * sin(2πx) at level startLevel − evalModDepth(p) with the ledger's scale there.
 *
 * The series is evaluated depth-optimally (degree < 2^m in m levels) by recursive Chebyshev division at
 * g = 2^{m−1}: with T_{g+i} = 2·T_g·T_i − T_{g−i},
 *   p = T_g·(c_g + Σ_{0<i<g} 2c_{g+i}·T_i) + (Σ_{k<g} c_k·T_k − Σ_{0<i<g} c_{g+i}·T_{g−i}),
 * both brackets of degree < g (depth m−1 by induction), down to degree-1 leaves c_0 + c_1·T_1 (one
 * constant multiplication). Only the power-of-two T_g are computed (by squaring).
 */
export function evaluateEvalMod(ev: Evaluator, u: Ciphertext, p: EvalModParams, ledger: ScaleLedger): Ciphertext {
  const l0 = u.level;
  if (l0 !== ledger.startLevel || u.scale !== ledger.startScale) throw new Error("EvalMod input does not match its scale ledger");
  const m = chebyshevBasisDepth(p.degree + 1);
  // T_{2^i}, i = 0..m−1, at depth i
  const pow2: Ciphertext[] = [u];
  const owned: Ciphertext[] = [];
  try {
    for (let i = 1; i < m; i++) {
      const prev = pow2[i - 1];
      const sq = ev.mul(prev, prev);
      snap(sq, ledger.at(prev.level - 1), `T_${2 ** i}`);
      const twice = ev.add(sq, sq);
      sq.dispose();
      const t = ev.addConst(twice, -1);
      twice.dispose();
      pow2.push(t);
      owned.push(t);
    }
    const lower = (ct: Ciphertext, level: number): Ciphertext => {
      if (ct.level === level) return ct;
      const r = ev.adjust(ct, level, ledger.at(level));
      ct.dispose();
      return r;
    };
    // returns a fresh ciphertext at depth j (level l0 − j) holding Σ c_k T_k(u), deg < 2^j
    const rec = (c: Float64Array, j: number): Ciphertext => {
      let deg = c.length - 1;
      while (deg > 0 && c[deg] === 0) deg--;
      if (j > 1 && deg < 2 ** (j - 1)) return lower(rec(c.subarray(0, 2 ** (j - 1)), j - 1), l0 - j);
      if (j === 1) {
        // c0 + c1·T_1; a zero plaintext would make SEAL throw ("transparent"), so never multiply by 0
        const c1 = Math.abs(c[1] ?? 0) < 2 ** -52 ? 2 ** -52 : c[1];
        const t = ev.mulConst(u, c1, { targetScale: ledger.at(l0 - 1) });
        snap(t, ledger.at(l0 - 1), "leaf");
        const r = ev.addConst(t, c[0]);
        t.dispose();
        return r;
      }
      const g = 2 ** (j - 1);
      const q = new Float64Array(g);
      const r = new Float64Array(g);
      q[0] = c[g] ?? 0;
      for (let k = 0; k < g; k++) r[k] = c[k] ?? 0;
      for (let i = 1; i < g; i++) {
        const cg = c[g + i] ?? 0;
        q[i] = 2 * cg;
        r[g - i] -= cg;
      }
      const Q = rec(q, j - 1);
      const prod = ev.mul(Q, pow2[j - 1]);
      Q.dispose();
      snap(prod, ledger.at(l0 - j), "giant product");
      const R = lower(rec(r, j - 1), l0 - j);
      const sum = ev.add(prod, R);
      prod.dispose();
      R.dispose();
      return sum;
    };
    let y = rec(p.coefficients, m);
    // double angles: y ← 2y² − 1
    for (let i = 0; i < p.doubleAngles; i++) {
      const sq = ev.mul(y, y);
      snap(sq, ledger.at(y.level - 1), "double angle");
      y.dispose();
      const twice = ev.add(sq, sq);
      sq.dispose();
      y = ev.addConst(twice, -1);
      twice.dispose();
    }
    return y;
  } finally {
    for (const c of owned) c.dispose();
  }
}
