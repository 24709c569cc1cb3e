// Homomorphic EvalMod (see eval-mod.ts for the math): the Chebyshev series of the scaled cosine in the
// Chebyshev basis T_1 … T_d (T_{2k} = 2T_k² − 1, T_{2k+1} = 2T_kT_{k+1} − T_1, depth ⌈log2 k⌉), the
// coefficients applied by constant multiplications that land every term on one level and scale, then r
// double angles y ← 2y² − 1.
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
  return chebyshevBasisDepth(p.degree) + 1 + p.doubleAngles;
}

/**
 * Evaluates EvalMod on `u` (slots x/K, real, at ledger.startLevel with ledger.startScale). Returns ≈
 * sin(2πx) at level startLevel − evalModDepth(p) with the ledger's scale there.
 */
export function evaluateEvalMod(ev: Evaluator, u: Ciphertext, p: EvalModParams, ledger: ScaleLedger): Ciphertext {
  const l0 = u.level;
  if (l0 !== ledger.startLevel || u.scale !== ledger.startScale) throw new Error("EvalMod input does not match its scale ledger");
  const d = p.degree;
  const T: Ciphertext[] = new Array(d + 1);
  const t1AtLevel = new Map<number, Ciphertext>();
  const owned: Ciphertext[] = [];
  const atLevel = (ct: Ciphertext, level: number): Ciphertext => {
    if (ct.level === level) return ct;
    const r = ev.adjust(ct, level, ledger.at(level));
    owned.push(r);
    return r;
  };
  const t1At = (level: number): Ciphertext => {
    let c = t1AtLevel.get(level);
    if (!c) {
      c = atLevel(T[1], level);
      t1AtLevel.set(level, c);
    }
    return c;
  };
  try {
    T[1] = u;
    t1AtLevel.set(l0, u);
    for (let k = 2; k <= d; k++) {
      const target = l0 - chebyshevBasisDepth(k);
      const a = Math.floor(k / 2);
      const b = k - a;
      const lvl = Math.min(T[a].level, T[b].level);
      const x = atLevel(T[a], lvl);
      const y = atLevel(T[b], lvl);
      const prod = ev.mul(x, y);
      snap(prod, ledger.at(lvl - 1), `T_${a}·T_${b}`);
      if (prod.level !== target) throw new Error(`internal: T_${k} at level ${prod.level}, planned ${target}`);
      const twice = ev.add(prod, prod);
      prod.dispose();
      let tk: Ciphertext;
      if (a === b) tk = ev.addConst(twice, -1);
      else tk = ev.sub(twice, t1At(target));
      twice.dispose();
      T[k] = tk;
      owned.push(tk);
    }
    // Σ c_k T_k on one level and scale
    const outLevel = l0 - chebyshevBasisDepth(d) - 1;
    const outScale = ledger.at(outLevel);
    let acc: Ciphertext | undefined;
    for (let k = 1; k <= d; k++) {
      const c = p.coefficients[k];
      if (Math.abs(c) < 1e-15) continue;
      const term = ev.mulConst(T[k], c, { targetScale: outScale });
      const moved = term.level === outLevel ? term : ev.modSwitchTo(term, outLevel);
      if (moved !== term) term.dispose();
      snap(moved, outScale, `c_${k}·T_${k}`);
      if (!acc) acc = moved;
      else {
        const s = ev.add(acc, moved);
        acc.dispose();
        moved.dispose();
        acc = s;
      }
    }
    if (!acc) throw new Error("EvalMod polynomial is zero");
    let y = ev.addConst(acc, p.coefficients[0]);
    acc.dispose();
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
