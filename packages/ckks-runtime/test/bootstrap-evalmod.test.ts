import { describe, expect, it } from "vitest";
import {
  chebyshevEval,
  chebyshevInterpolate,
  chooseK,
  designEvalMod,
  evalModReference,
  overflowLog2PerCoefficient,
} from "../src/bootstrap/eval-mod.js";

/** Exact Pr[|S| >= t] for S = sum of n U(-1/2, 1/2) (Irwin–Hall, fine for small n). */
function irwinHallTail(n: number, t: number): number {
  const x = n / 2 - t; // Pr[S <= -t] = Pr[sum U(0,1) <= n/2 - t]
  if (x <= 0) return 0;
  let fact = 1;
  for (let i = 2; i <= n; i++) fact *= i;
  let s = 0;
  let binom = 1;
  for (let k = 0; k <= Math.floor(x); k++) {
    s += (k % 2 ? -1 : 1) * binom * (x - k) ** n;
    binom = (binom * (n - k)) / (k + 1);
  }
  return (2 * s) / fact;
}

describe("EvalMod parameters (Bossuat et al. 2021 style, sparse secret)", () => {
  it("the Chernoff bound on the ModRaise overflow is an upper bound within a few bits of the exact tail", () => {
    for (const [h, K] of [
      [7, 3],
      [11, 4],
      [15, 5],
    ]) {
      const exact = Math.log2(irwinHallTail(h + 1, K - 0.5));
      const bound = overflowLog2PerCoefficient(h, K);
      expect(bound).toBeGreaterThanOrEqual(exact);
      expect(bound - exact).toBeLessThan(4);
    }
    // monotone in K and in h
    expect(overflowLog2PerCoefficient(64, 20)).toBeLessThan(overflowLog2PerCoefficient(64, 16));
    expect(overflowLog2PerCoefficient(192, 20)).toBeGreaterThan(overflowLog2PerCoefficient(64, 20));
  });

  it("chooses K so that N coefficients overflow with probability below the target", () => {
    const K = chooseK(64, 32768, -32);
    expect(overflowLog2PerCoefficient(64, K) + 15).toBeLessThanOrEqual(-32);
    expect(overflowLog2PerCoefficient(64, K - 1) + 15).toBeGreaterThan(-32);
  });

  it("Chebyshev interpolation reproduces a polynomial and Clenshaw evaluates it", () => {
    const c = chebyshevInterpolate((u) => 4 * u ** 3 - 3 * u, 5); // T_3
    expect(c[3]).toBeCloseTo(1, 12);
    for (const k of [0, 1, 2, 4, 5]) expect(Math.abs(c[k])).toBeLessThan(1e-12);
    expect(chebyshevEval(c, 0.3)).toBeCloseTo(4 * 0.027 - 0.9, 12);
  });

  it("the designed polynomial approximates x − round(x) (up to the sine non-linearity) on every integer interval |I| <= K−1", () => {
    const p = designEvalMod({ h: 64, coefficients: 4096, failureLog2: -32 });
    expect(p.approxErrorLog2).toBeLessThanOrEqual(-40);
    expect(p.depth).toBe(Math.ceil(Math.log2(p.degree + 1)) + p.doubleAngles);
    let worst = 0;
    for (let I = -(p.K - 1); I <= p.K - 1; I++) {
      for (let s = -8; s <= 8; s++) {
        const eps = (s / 8) * 2 ** -8;
        const x = I + eps;
        const approx = evalModReference(p, x) / (2 * Math.PI);
        // |sin(2πε)/(2π) − ε| <= (2π)²|ε|³/6
        const bound = ((2 * Math.PI) ** 2 * Math.abs(eps) ** 3) / 6 + 2 ** -38;
        worst = Math.max(worst, Math.abs(approx - (x - Math.round(x))) - bound);
      }
    }
    expect(worst).toBeLessThanOrEqual(0);
  });

  it("an overflow far outside [−K, K] gives garbage (why K must cover |I| with the stated probability)", () => {
    const p = designEvalMod({ h: 64, coefficients: 4096, failureLog2: -32 });
    const x = 2 * p.K + 0.001;
    expect(Math.abs(evalModReference(p, x) - Math.sin(2 * Math.PI * x))).toBeGreaterThan(0.1);
  });
});
