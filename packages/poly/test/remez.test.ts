import { describe, expect, it } from "vitest";
import { ddPow, remez } from "../src/index.js";

function alternates(errors: Float64Array): boolean {
  for (let i = 1; i < errors.length; i++) if (Math.sign(errors[i]!) === Math.sign(errors[i - 1]!)) return false;
  return true;
}

describe("remez", () => {
  it("best degree-2 approximation of |x| on [-1,1] is x^2 + 1/8 with error 1/8", () => {
    const r = remez({ f: Math.abs, degree: 2, intervals: [[-1, 1]] });
    expect(r.converged).toBe(true);
    expect(r.certificate.levelledError).toBeCloseTo(1 / 8, 9);
    expect(r.certificate.maxError).toBeCloseTo(1 / 8, 9);
    // x^2 + 1/8 = 5/8 T_0 + 1/2 T_2
    expect(r.poly.coeffs[0]).toBeCloseTo(5 / 8, 9);
    expect(r.poly.coeffs[1]).toBeCloseTo(0, 9);
    expect(r.poly.coeffs[2]).toBeCloseTo(1 / 2, 9);
    expect(alternates(r.certificate.errors)).toBe(true);
  });

  it("best degree-n approximation of x^(n+1) on [-1,1] has error 2^-n (n up to 63, double-double)", () => {
    for (const n of [1, 4, 13, 31, 63]) {
      const r = remez({ f: (x) => x ** (n + 1), fdd: (x) => ddPow(x, n + 1), degree: n, intervals: [[-1, 1]] });
      expect(r.converged).toBe(true);
      const c = r.certificate;
      expect(c.alternationPoints.length).toBe(n + 2);
      expect(alternates(c.errors)).toBe(true);
      // Certificate brackets the known value: lowerBound <= 2^-n <= maxError, both within 1e-9 relative.
      expect(Math.abs(c.levelledError * 2 ** n - 1)).toBeLessThan(1e-9);
      expect(Math.abs(c.maxError * 2 ** n - 1)).toBeLessThan(1e-9);
      expect(c.lowerBound * 2 ** n).toBeLessThanOrEqual(1 + 1e-12);
      // Alternation points are the Chebyshev extrema cos(pi j/(n+1)).
      const sorted = Array.from(c.alternationPoints);
      sorted.forEach((x, j) => expect(Math.abs(x - -Math.cos((Math.PI * j) / (n + 1)))).toBeLessThan(1e-5));
    }
  });

  it("odd minimax of sgn on [-1,-eps] ∪ [eps,1] equioscillates; error decreases with degree", () => {
    let prev = 1;
    for (const d of [3, 7, 15, 31, 63]) {
      const r = remez({ f: () => 1, degree: d, odd: true, intervals: [[1 / 64, 1]] });
      expect(r.converged).toBe(true);
      expect(r.poly.parity()).toBe("odd");
      const c = r.certificate;
      expect(c.alternationPoints.length).toBe((d + 1) / 2 + 1);
      expect(alternates(c.errors)).toBe(true);
      expect((c.maxError - c.lowerBound) / c.maxError).toBeLessThan(1e-9);
      expect(c.levelledError).toBeLessThan(prev);
      prev = c.levelledError;
      // independent check of the error on a dense grid, both signs
      let m = 0;
      for (let i = 0; i <= 20000; i++) {
        const x = 1 / 64 + ((1 - 1 / 64) * i) / 20000;
        m = Math.max(m, Math.abs(r.poly.evaluate(x) - 1), Math.abs(r.poly.evaluate(-x) + 1));
      }
      expect(m).toBeLessThanOrEqual(c.maxError * (1 + 1e-9));
      expect(m).toBeGreaterThanOrEqual(c.lowerBound * (1 - 1e-9));
    }
  });

  it("degree-1 odd sign approximation on [eps,1] has the closed form error (1-eps)/(1+eps)", () => {
    // best c x for 1 on [eps, 1]: equioscillation 1 - c eps = c - 1 => c = 2/(1+eps)
    const eps = 0.2;
    const r = remez({ f: () => 1, degree: 1, odd: true, intervals: [[eps, 1]] });
    expect(r.certificate.levelledError).toBeCloseTo((1 - eps) / (1 + eps), 12);
  });

  it("degree 62/63 minimax of |x| matches Bernstein's constant (2n E_2n(|x|) -> 0.2801694990)", () => {
    // Varga & Carpenter (1985): beta = 0.280169499023869...; at 2n = 62 the finite-n value is within 1e-3.
    const r = remez({ f: Math.abs, degree: 63, intervals: [[-1, 1]] });
    expect(r.converged).toBe(true);
    expect(Math.abs(62 * r.certificate.levelledError - 0.2801694990)).toBeLessThan(1e-3);
    expect(r.poly.parity()).toBe("even");
  });

  it("works on a union of intervals", () => {
    const r = remez({ f: Math.exp, degree: 10, intervals: [[2, 3], [-2, -1], [0.5, 1]] });
    expect(r.converged).toBe(true);
    const c = r.certificate;
    expect(c.alternationPoints.length).toBe(12);
    expect(alternates(c.errors)).toBe(true);
    for (const x of c.alternationPoints) expect((x >= -2 && x <= -1) || (x >= 0.5 && x <= 1) || (x >= 2 && x <= 3)).toBe(true);
    // the union error is below the single-interval [-2,3] error
    const whole = remez({ f: Math.exp, degree: 10, intervals: [[-2, 3]] });
    expect(c.levelledError).toBeLessThan(whole.certificate.levelledError);
  });

  it("rejects bad arguments with the argument named", () => {
    expect(() => remez({ f: Math.abs, degree: 2, odd: true, intervals: [[0, 1]] })).toThrow(/odd degree/);
    expect(() => remez({ f: Math.abs, degree: 3, odd: true, intervals: [[-1, 1]] })).toThrow(/\[0, ∞\)/);
    expect(() => remez({ f: Math.abs, degree: 3, intervals: [[0, 1], [0.5, 2]] })).toThrow(/overlap/);
  });
});
