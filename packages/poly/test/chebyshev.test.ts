import { describe, expect, it } from "vitest";
import { ChebyshevPoly, chebyshevInterpolant } from "../src/index.js";
import { rng } from "./rng.js";

// Direct summation with T_k(t) = cos(k arccos t) (|t| <= 1): an independent reference for Clenshaw.
function direct(c: ArrayLike<number>, t: number): number {
  let s = 0;
  for (let k = 0; k < c.length; k++) s += c[k]! * Math.cos(k * Math.acos(t));
  return s;
}

describe("ChebyshevPoly", () => {
  const r = rng(1);
  it("Clenshaw (scalar and batch) matches direct summation on [a,b]", () => {
    for (const d of [0, 1, 2, 5, 17, 40, 63]) {
      const c = Array.from({ length: d + 1 }, () => r() - 0.5);
      const p = new ChebyshevPoly(c, -3, 5);
      const xs = Float64Array.from({ length: 101 }, (_, i) => -3 + (8 * i) / 100);
      const batch = p.evaluateMany(xs);
      xs.forEach((x, i) => {
        const t = (2 * x - 2) / 8;
        const ref = direct(c, Math.max(-1, Math.min(1, t)));
        expect(Math.abs(p.evaluate(x) - ref)).toBeLessThan(1e-13 * (d + 1));
        expect(batch[i]).toBe(p.evaluate(x));
      });
    }
  });

  it("power basis conversion round-trips and matches Horner", () => {
    for (const [a, b] of [[-1, 1], [0, 2], [-4, 1]] as [number, number][]) {
      const c = Array.from({ length: 8 }, () => r() - 0.5);
      const p = new ChebyshevPoly(c, a, b);
      const pw = p.toPowerBasis();
      for (let i = 0; i <= 20; i++) {
        const x = a + ((b - a) * i) / 20;
        let h = 0;
        for (let k = pw.length - 1; k >= 0; k--) h = h * x + pw[k]!;
        expect(h).toBeCloseTo(p.evaluate(x), 10);
      }
      const back = ChebyshevPoly.fromPowerBasis(pw, a, b);
      back.coeffs.forEach((v, k) => expect(v).toBeCloseTo(c[k]!, 10));
    }
    // T_3(t) = 4t^3 - 3t exactly
    expect(Array.from(new ChebyshevPoly([0, 0, 0, 1]).toPowerBasisInT())).toEqual([0, -3, 0, 4]);
  });

  it("add, mul and compose agree pointwise", () => {
    const p = new ChebyshevPoly([0.3, -0.2, 0.5, 0.1], -2, 2);
    const q = new ChebyshevPoly([0.1, 0.4, -0.3], -2, 2);
    const inner = new ChebyshevPoly([0.2, 0.9, 0.3], -1, 1); // values in [-1.4, 1.4] subset of [-2,2]
    const sum = p.add(q);
    const prod = p.mul(q);
    const comp = p.compose(inner);
    expect(prod.degree).toBe(5);
    expect(comp.degree).toBe(6);
    for (let i = 0; i <= 40; i++) {
      const x = -2 + i / 10;
      expect(sum.evaluate(x)).toBeCloseTo(p.evaluate(x) + q.evaluate(x), 13);
      expect(prod.evaluate(x)).toBeCloseTo(p.evaluate(x) * q.evaluate(x), 13);
      const y = -1 + i / 20;
      expect(comp.evaluate(y)).toBeCloseTo(p.evaluate(inner.evaluate(y)), 13);
    }
  });

  it("detects parity", () => {
    expect(new ChebyshevPoly([0, 1, 0, 0.5]).parity()).toBe("odd");
    expect(new ChebyshevPoly([1, 0, 0.5]).parity()).toBe("even");
    expect(new ChebyshevPoly([1, 1e-3, 0.5]).parity()).toBe("none");
    expect(new ChebyshevPoly([1e-20, 1, 0, 0.5]).parity()).toBe("odd");
  });

  it("interpolates polynomials exactly and smooth functions spectrally", () => {
    const f = (x: number) => 1 + 2 * x - x ** 3;
    const p = chebyshevInterpolant(f, 3, -2, 3);
    for (let i = 0; i <= 10; i++) expect(p.evaluate(-2 + i / 2)).toBeCloseTo(f(-2 + i / 2), 12);
    const e = chebyshevInterpolant(Math.exp, 20, -1, 1);
    for (let i = 0; i <= 50; i++) expect(Math.abs(e.evaluate(-1 + i / 25) - Math.exp(-1 + i / 25))).toBeLessThan(1e-14);
  });

  it("rejects bad input with the offending value", () => {
    expect(() => new ChebyshevPoly([1], 2, 1)).toThrow(/a < b/);
    expect(() => new ChebyshevPoly([1, NaN])).toThrow(/coefficient 1/);
  });
});
