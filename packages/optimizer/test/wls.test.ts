import { describe, expect, it } from "vitest";
import { ChebyshevPoly } from "@ola/poly";
import { erf, fitWls, gelu, weightedChebyshevLeastSquares } from "../src/wls-fit.js";
import { costEfficientDegrees, fitCandidates, fitInterval, type SiteDistribution } from "../src/candidates.js";
import { fallbackWlsFitter } from "../src/wls-fit.js";

/** Normal equations solved by Gaussian elimination with partial pivoting (fine for tiny sizes). */
function normalEquations(t: number[], y: number[], w: number[], d: number): number[] {
  const n = d + 1;
  const T = (k: number, x: number) => Math.cos(k * Math.acos(Math.max(-1, Math.min(1, x))));
  const M = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (let i = 0; i < t.length; i++) {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) M[r]![c]! += w[i]! * T(r, t[i]!) * T(c, t[i]!);
      M[r]![n]! += w[i]! * T(r, t[i]!) * y[i]!;
    }
  }
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let r = k + 1; r < n; r++) if (Math.abs(M[r]![k]!) > Math.abs(M[p]![k]!)) p = r;
    [M[k], M[p]] = [M[p]!, M[k]!];
    for (let r = k + 1; r < n; r++) {
      const f = M[r]![k]! / M[k]![k]!;
      for (let c = k; c <= n; c++) M[r]![c]! -= f * M[k]![c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = M[k]![n]!;
    for (let c = k + 1; c < n; c++) s -= M[k]![c]! * x[c]!;
    x[k] = s / M[k]![k]!;
  }
  return x;
}

describe("weighted least squares (QR in the Chebyshev basis)", () => {
  it("agrees with the normal equations on small random instances", () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 20; trial++) {
      const m = 30, d = 1 + (trial % 5);
      const t = Array.from({ length: m }, () => 2 * rnd() - 1);
      const y = t.map((x) => Math.max(0, x) + 0.1 * rnd());
      const w = t.map(() => 0.1 + rnd());
      const qr = weightedChebyshevLeastSquares(Float64Array.from(t), Float64Array.from(y), Float64Array.from(w), d);
      const ne = normalEquations(t, y, w, d);
      for (let k = 0; k <= d; k++) expect(qr[k]).toBeCloseTo(ne[k]!, 9);
    }
  });
  it("recovers a polynomial of the fitted degree exactly, even at degree 40", () => {
    const truth = new ChebyshevPoly(Array.from({ length: 41 }, (_, k) => Math.sin(k + 1) / (k + 1)), -3, 5);
    const dist: SiteDistribution = { min: -3, max: 5, samples: Float64Array.from({ length: 2000 }, (_, i) => -3 + (8 * (i + 0.5)) / 2000) };
    const fit = fitWls((x) => truth.evaluate(x), dist, 40, [-3, 5]);
    for (let k = 0; k <= 40; k++) expect(fit.series.coeffs[k]).toBeCloseTo(truth.coeffs[k]!, 9);
    expect(fit.weightedRmse).toBeLessThan(1e-10);
  });
  it("puts its accuracy where the distribution is: a narrow distribution is fitted better there than a uniform fit", () => {
    const samples = Float64Array.from({ length: 4000 }, (_, i) => 0.3 * Math.sqrt(-2 * Math.log((i + 0.5) / 4000)) * Math.cos(i)); // N(0, 0.3^2)-like
    const narrow: SiteDistribution = { min: -6, max: 6, samples };
    const uniform: SiteDistribution = { min: -6, max: 6, samples: Float64Array.from({ length: 4000 }, (_, i) => -6 + (12 * (i + 0.5)) / 4000) };
    const a = fitWls((x) => Math.max(0, x), narrow, 8, [-6, 6]);
    const b = fitWls((x) => Math.max(0, x), uniform, 8, [-6, 6]);
    let ea = 0, eb = 0;
    for (const x of samples) {
      ea += (a.series.evaluate(x) - Math.max(0, x)) ** 2;
      eb += (b.series.evaluate(x) - Math.max(0, x)) ** 2;
    }
    expect(ea).toBeLessThan(eb / 4);
  });
  it("erf and GELU match reference values", () => {
    // erf values from high-precision tables (A&S Table 7.1 / mpmath)
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(-2)).toBeCloseTo(-0.9953222650189527, 14);
    expect(erf(3.5)).toBeCloseTo(0.9999992569016276, 10);
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 13);
    expect(gelu(-1)).toBeCloseTo(-0.15865525393145707, 13);
  });
});

describe("candidates", () => {
  it("fit interval widens the profiled range by the margin", () => {
    expect(fitInterval({ min: -2, max: 8 }, 0.1)).toEqual([-3, 9]);
  });
  it("cost-efficient degrees keep the highest degree of each (depth, non-scalar) class", () => {
    const d = costEfficientDegrees([2, 3, 4, 5, 6, 7, 8, 15, 16, 31]);
    expect(d).toContain(31);
    expect(d).toContain(15);
    expect(d).toContain(7);
    expect(d.length).toBeLessThanOrEqual(10);
    expect([...d].sort((x, y) => x - y)).toEqual(d);
  });
  it("fits ReLU candidates on a synthetic profile, error decreasing with degree, programs matching the series", async () => {
    const samples = Float64Array.from({ length: 4096 }, (_, i) => 2 * Math.sqrt(-2 * Math.log((i + 0.5) / 4096)) * Math.cos(2.4 * i));
    const dist: SiteDistribution = { min: Math.min(...samples), max: Math.max(...samples), samples };
    const cands = fitCandidates("relu", dist, [3, 7, 15, 31], 0.1, fallbackWlsFitter);
    const rmse = cands.map((c) => c.fit!.weightedRmse!);
    for (let i = 1; i < rmse.length; i++) expect(rmse[i]).toBeLessThan(rmse[i - 1]!);
    const { runProgram } = await import("@ola/poly");
    for (const c of cands) {
      expect(c.spec.family).toBe("chebyshev");
      if (c.spec.family !== "chebyshev") continue;
      const s = new ChebyshevPoly(c.spec.coefficients, c.spec.interval[0], c.spec.interval[1]);
      const xs = Float64Array.from({ length: 101 }, (_, i) => c.spec.interval[0] + ((c.spec.interval[1] - c.spec.interval[0]) * i) / 100);
      const viaProgram = runProgram(c.program, xs);
      const direct = s.evaluateMany(xs);
      for (let i = 0; i < xs.length; i++) expect(viaProgram[i]).toBeCloseTo(direct[i]!, 9);
      expect(c.cost.depth).toBe(c.program.cost.depth);
    }
  });
});
