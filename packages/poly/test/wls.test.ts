import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { erf, erfc, gaussLegendre, gelu, silu, wlsFit } from "../src/index.js";
import { rng } from "./rng.js";

const D = Decimal.clone({ precision: 60 });

/** erf by its Maclaurin series in 60-digit decimal arithmetic (independent reference). */
function erfRef(x: number): number {
  const X = new D(x);
  const X2 = X.mul(X);
  let term = X; // (-1)^n x^(2n+1)/n!
  let sum = new D(0);
  for (let n = 0; n < 400; n++) {
    sum = sum.add(term.div(2 * n + 1));
    term = term.mul(X2).neg().div(n + 1);
    if (term.abs().lt(new D(10).pow(-60))) break;
  }
  const pi = D.acos(-1);
  return sum.mul(2).div(pi.sqrt()).toNumber();
}

/** Least squares by normal equations in the power basis, in 60-digit decimals (reference only). */
function lsReference(moment: (k: number) => Decimal, rhs: (k: number) => Decimal, n: number): Decimal[] {
  const A: Decimal[][] = [];
  for (let i = 0; i < n; i++) {
    A.push([]);
    for (let j = 0; j < n; j++) A[i]!.push(moment(i + j));
    A[i]!.push(rhs(i));
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (A[r]![c]!.abs().gt(A[p]![c]!.abs())) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    for (let r = c + 1; r < n; r++) {
      const m = A[r]![c]!.div(A[c]![c]!);
      for (let k = c; k <= n; k++) A[r]![k] = A[r]![k]!.sub(m.mul(A[c]![k]!));
    }
  }
  const x: Decimal[] = new Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = A[r]![n]!;
    for (let k = r + 1; k < n; k++) s = s.sub(A[r]![k]!.mul(x[k]!));
    x[r] = s.div(A[r]![r]!);
  }
  return x;
}

const horner = (c: Decimal[], x: number) => c.reduceRight((acc, v) => acc.mul(x).add(v), new D(0)).toNumber();

describe("erf, gelu, silu", () => {
  it("erf matches a 60-digit series to 1e-15 relative on [-6, 6]", () => {
    for (let i = -60; i <= 60; i++) {
      const x = i / 10 + 0.0123;
      const ref = erfRef(x);
      expect(Math.abs(erf(x) - ref)).toBeLessThanOrEqual(1e-15 * Math.abs(ref) + 1e-300);
      const refc = 1 - ref;
      // erfc below 2.5 is 1 - erf: absolute accuracy there
      if (x < 4) expect(Math.abs(erfc(x) - refc)).toBeLessThanOrEqual(1e-15 * Math.abs(refc) + 1e-15);
    }
    expect(erf(0)).toBe(0);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
  });

  it("erfc keeps relative accuracy in the tail (continued fraction)", () => {
    // erfc(5) = 1.5374597944280348e-12, erfc(10) = 2.0884875837625446e-45 (A&S tables)
    expect(Math.abs(erfc(5) / 1.5374597944280348e-12 - 1)).toBeLessThan(1e-14);
    expect(Math.abs(erfc(10) / 2.0884875837625446e-45 - 1)).toBeLessThan(1e-14);
  });

  it("gelu and silu agree with their definitions", () => {
    for (const x of [-8, -3, -0.5, 0, 0.7, 2, 9]) {
      expect(gelu(x)).toBeCloseTo(0.5 * x * (1 + erfRef(x / Math.SQRT2)), 15);
      expect(silu(x)).toBeCloseTo(x / (1 + Math.exp(-x)), 15);
    }
    expect(gelu(-10)).toBeLessThan(0);
    expect(Math.abs(gelu(-10) / (-10 * 0.5 * 1.5239706048320995e-23) - 1)).toBeLessThan(1e-12); // erfc(10/sqrt2)
  });

  it("Gauss-Legendre integrates degree 2n-1 exactly", () => {
    const { nodes, weights } = gaussLegendre(8);
    for (let k = 0; k <= 15; k++) {
      let s = 0;
      nodes.forEach((x, i) => (s += weights[i]! * x ** k));
      expect(s).toBeCloseTo(k % 2 ? 0 : 2 / (k + 1), 14);
    }
  });
});

describe("wlsFit", () => {
  it("raw samples: matches high-precision normal equations (relu, degree 4)", () => {
    const r = rng(5);
    const xs = Array.from({ length: 40 }, () => -3 + 5 * r());
    xs.push(7); // outside [-3, 2]: ignored by the fit, counted in the mass
    const fit = wlsFit({ target: "relu", degree: 4, interval: [-3, 2], distribution: { kind: "samples", values: xs } });
    const inside = xs.filter((x) => x >= -3 && x <= 2);
    const ref = lsReference(
      (k) => inside.reduce((s, x) => s.add(new D(x).pow(k)), new D(0)),
      (k) => inside.reduce((s, x) => s.add(new D(x).pow(k).mul(Math.max(0, x))), new D(0)),
      5,
    );
    for (let i = 0; i <= 50; i++) {
      const x = -3 + i / 10;
      expect(Math.abs(fit.poly.evaluate(x) - horner(ref, x))).toBeLessThan(1e-12);
    }
    expect(fit.massInInterval).toBeCloseTo(40 / 41, 14);
    // weightedRmse and maxError from the definitions
    let se = 0;
    let me = 0;
    for (const x of inside) {
      const e = fit.poly.evaluate(x) - Math.max(0, x);
      se += e * e;
      me = Math.max(me, Math.abs(e));
    }
    expect(fit.weightedRmse).toBeCloseTo(Math.sqrt(se / inside.length), 13);
    expect(fit.maxError).toBeCloseTo(me, 13);
  });

  it("histogram: matches the exact continuous solution for a polynomial target (x^5, degree 3)", () => {
    const edges = [-2, -1.5, -0.25, 0.5, 1, 2.5];
    const counts = [3, 10, 0, 7, 2];
    const fit = wlsFit({ target: (x) => x ** 5, degree: 3, interval: [-2, 2.5], distribution: { kind: "histogram", edges, counts } });
    const total = counts.reduce((s, c) => s + c, 0);
    // integral over bins of x^k * density, exactly
    const mom = (k: number) =>
      counts.reduce((s, c, j) => {
        const lo = new D(edges[j]!);
        const hi = new D(edges[j + 1]!);
        return s.add(new D(c).div(total).div(hi.sub(lo)).mul(hi.pow(k + 1).sub(lo.pow(k + 1)).div(k + 1)));
      }, new D(0));
    const ref = lsReference(mom, (k) => mom(k + 5), 4);
    for (let i = 0; i <= 45; i++) {
      const x = -2 + i / 10;
      expect(Math.abs(fit.poly.evaluate(x) - horner(ref, x))).toBeLessThan(1e-10);
    }
  });

  it("reproduces a polynomial target exactly and is stable at degree 63", () => {
    const f = (x: number) => 1 - 2 * x + 0.5 * x ** 3;
    const fit = wlsFit({ target: f, degree: 5, interval: [-4, 4], distribution: { kind: "gaussian", mean: 1, std: 0.7 } });
    expect(fit.weightedRmse).toBeLessThan(1e-12);
    const big = wlsFit({ target: "gelu", degree: 63, interval: [-8, 8], distribution: { kind: "gaussian", mean: 0, std: 2 } });
    expect(big.weightedRmse).toBeLessThan(1e-9);
    expect(Number.isFinite(big.maxAbsOnInterval)).toBe(true);
  });

  it("a gaussian density and a fine histogram of it give the same fit", () => {
    const edges = Array.from({ length: 2001 }, (_, i) => -5 + i / 200);
    const counts = edges.slice(0, -1).map((e) => Math.exp(-0.5 * (e + 1 / 400) ** 2));
    const g = wlsFit({ target: "silu", degree: 9, interval: [-5, 5], distribution: { kind: "gaussian", mean: 0, std: 1 } });
    const h = wlsFit({ target: "silu", degree: 9, interval: [-5, 5], distribution: { kind: "histogram", edges, counts } });
    for (let i = 0; i <= 20; i++) expect(g.poly.evaluate(-5 + i / 2)).toBeCloseTo(h.poly.evaluate(-5 + i / 2), 4);
  });

  it("floor weight and the max|p| bound tame the polynomial outside the distribution", () => {
    const base = { target: "relu" as const, degree: 15, interval: [-20, 20] as [number, number], distribution: { kind: "gaussian" as const, mean: 0, std: 1 } };
    const plain = wlsFit(base);
    const floored = wlsFit({ ...base, floorWeight: 1e-3 });
    const bounded = wlsFit({ ...base, maxAbs: 25 });
    expect(plain.maxAbsOnInterval).toBeGreaterThan(1e6);
    expect(floored.maxAbsOnInterval).toBeLessThan(plain.maxAbsOnInterval / 1e3);
    expect(bounded.maxAbsOnInterval).toBeLessThanOrEqual(25);
    expect(bounded.guardWeight).toBeGreaterThan(0);
    // the price: a larger weighted error than the unconstrained optimum
    expect(bounded.weightedRmse).toBeGreaterThan(plain.weightedRmse);
  });

  it("rejects bad input naming the argument", () => {
    const dist = { kind: "gaussian" as const, mean: 0, std: 1 };
    expect(() => wlsFit({ target: "relu", degree: 64, interval: [-1, 1], distribution: dist })).toThrow(/degree/);
    expect(() => wlsFit({ target: "relu", degree: 3, interval: [1, -1], distribution: dist })).toThrow(/interval/);
    expect(() => wlsFit({ target: "relu", degree: 3, interval: [-1, 1], distribution: { kind: "samples", values: [0.1, 0.2] } })).toThrow(/rank deficient/);
    expect(() => wlsFit({ target: "relu", degree: 3, interval: [-1, 1], distribution: { kind: "samples", values: [5, 6] } })).toThrow(/no mass/);
  });
});
