// Unit tests of the ConvNeXt reproduction's pieces against closed forms and brute force.
import { describe, expect, it } from "vitest";
import { ChebyshevPoly, chebyshevEvalCost, wlsFit, type FitDistribution } from "@ola/poly";
import type { SiteDistribution, WlsFitter } from "@ola/optimizer";
import { coveringRange, flatDistribution, uniformLeastSquares, uniformMinimax } from "../src/convnext/uniform.js";
import { niceTicks, rebin, siteFigureSvg } from "../src/convnext/svg.js";
import { addCosts, inverseSqrtOptions, logGrid, newtonCost, normalisedSize, VarianceStats, findLayerNorms } from "../src/convnext/layernorm.js";
import { distributionError } from "../src/convnext/reproduce.js";

const quartic = (x: number) => x ** 4;

/** A fitter of x^4 (whatever the kind) by @ola/poly's WLS under the given histogram. */
const quarticFitter: WlsFitter = (_kind, dist: SiteDistribution, degree, interval) => {
  const h = dist.histogram!;
  const n = h.counts.length;
  const distribution: FitDistribution = {
    kind: "histogram",
    edges: Float64Array.from({ length: n + 1 }, (_, i) => h.lo + ((h.hi - h.lo) * i) / n),
    counts: h.counts,
  };
  const fit = wlsFit({ target: quartic, degree, interval, distribution });
  return { series: fit.poly, weightedRmse: fit.weightedRmse, maxError: fit.maxError };
};

describe("uniform fits on [-R, R]", () => {
  it("coveringRange is the smallest integer covering every site range", () => {
    expect(coveringRange([{ min: -4.7, max: 4.2 }, { min: -15.72, max: 12.46 }])).toBe(16);
    expect(coveringRange([{ min: -0.2, max: 0.3 }])).toBe(1);
    expect(() => coveringRange([])).toThrow(/no site ranges/);
    expect(() => coveringRange([{ min: NaN, max: 1 }])).toThrow(/non-finite/);
  });

  it("least squares with uniform weight is the Legendre projection (x^4 -> 6/7 x^2 - 3/35 on [-1, 1])", () => {
    const p = uniformLeastSquares(quarticFitter, "gelu", 3, 1);
    for (const x of [-1, -0.6, -0.1, 0, 0.35, 0.8, 1]) expect(p.evaluate(x)).toBeCloseTo((6 / 7) * x * x - 3 / 35, 8);
    // scaled: on [-2, 2] the projection of x^4 is 16 (6/7 (x/2)^2 - 3/35)
    const q = uniformLeastSquares(quarticFitter, "gelu", 3, 2);
    for (const x of [-2, -0.5, 1.3]) expect(q.evaluate(x)).toBeCloseTo(16 * ((6 / 7) * (x / 2) ** 2 - 3 / 35), 7);
    expect(flatDistribution(3).histogram!.counts.length).toBe(4096);
    expect(() => flatDistribution(0)).toThrow(/positive/);
  });

  it("minimax of x^4 by degree 3 on [-1, 1] is x^4 - T_4/8 with error 1/8", () => {
    const r = uniformMinimax(quartic, 3, 1);
    expect(r.converged).toBe(true);
    expect(r.maxError).toBeCloseTo(1 / 8, 8);
    for (const x of [-0.9, -0.3, 0, 0.5, 1]) {
      const t4 = 8 * x ** 4 - 8 * x ** 2 + 1;
      expect(r.poly.evaluate(x)).toBeCloseTo(x ** 4 - t4 / 8, 8);
    }
  });
});

describe("distribution-weighted error", () => {
  it("matches a brute-force weighted sum over the histogram cells", () => {
    const counts = [0, 3, 1, 0, 5, 2];
    const dist: SiteDistribution = { min: -3, max: 3, histogram: { lo: -3, hi: 3, counts } };
    const p = (x: number) => x;
    const f = (x: number) => x * x;
    let se = 0;
    let mass = 0;
    let mx = 0;
    counts.forEach((c, i) => {
      const x = -3 + i + 0.5;
      if (c > 0) mx = Math.max(mx, Math.abs(x - x * x));
      se += c * (x - x * x) ** 2;
      mass += c;
    });
    const e = distributionError(p, f, dist);
    expect(e.weightedRmse).toBeCloseTo(Math.sqrt(se / mass), 12);
    expect(e.maxError).toBeCloseTo(mx, 12);
  });
});

describe("SVG figure", () => {
  it("nice ticks are round and cover the range", () => {
    expect(niceTicks(-4.7, 4.26)).toEqual([-4, -2, 0, 2, 4]);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it("rebinning preserves the mass inside the range", () => {
    const counts = Float64Array.from({ length: 1000 }, (_, i) => (i * 7919) % 13);
    const h = { lo: -5, hi: 5, counts };
    const r = rebin(h, -5, 5, 37);
    expect(r.reduce((a, b) => a + b, 0)).toBe(counts.reduce((a, b) => a + b, 0));
    const part = rebin(h, 0, 5, 10);
    const want = Array.from(counts).reduce((s, c, i) => s + (-5 + (i + 0.5) / 100 >= 0 ? c : 0), 0);
    expect(part.reduce((a, b) => a + b, 0)).toBe(want);
  });

  it("draws one panel per site with every curve", () => {
    const cheb = new ChebyshevPoly([0.2, 0.5, 0.3], -3, 3);
    const panels = Array.from({ length: 8 }, (_, i) => ({
      title: `site <${i}>`,
      range: [-3, 3] as [number, number],
      histogram: { lo: -3, hi: 3, counts: Float64Array.from({ length: 100 }, (_, k) => Math.exp(-(((k - 50) / 15) ** 2))) },
      curves: [
        { label: "exact", color: "#000", f: (x: number) => Math.max(0, x) },
        { label: "fit", color: "#00f", dashed: true, f: (x: number) => cheb.evaluate(x) },
      ],
    }));
    const svg = siteFigureSvg(panels, { title: "t & u" });
    expect(svg.startsWith("<?xml")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<polyline /g)!.length).toBe(16);
    expect(svg).toContain("site &lt;3&gt;");
    expect(svg).toContain("t &amp; u");
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(() => siteFigureSvg([], { title: "x" })).toThrow(/no panels/);
  });
});

describe("LayerNorm inverse square root sizing", () => {
  it("VarianceStats equals the brute-force population variance per row (+eps)", () => {
    const x = Float32Array.from({ length: 6 * 8 }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
    const s = new VarianceStats(8, 1e-6);
    s.add(x);
    const want: number[] = [];
    for (let r = 0; r < 6; r++) {
      const row = Array.from(x.subarray(r * 8, r * 8 + 8));
      const m = row.reduce((a, b) => a + b, 0) / 8;
      want.push(row.reduce((a, b) => a + (b - m) ** 2, 0) / 8 + 1e-6);
    }
    expect(s.count).toBe(6);
    expect(s.min).toBeCloseTo(Math.min(...want), 10);
    expect(s.max).toBeCloseTo(Math.max(...want), 10);
    expect(s.quantile(0)).toBeCloseTo(Math.min(...want), 10);
    expect(() => s.add(new Float32Array(5))).toThrow(/multiple/);
  });

  it("Newton steps follow e' = (3e^2 + e^3)/4 and reach the target on the whole range", () => {
    // constant initial guess y0 = 1 on v in [0.5, 1.5]: e0 = 1 - v, worst |e0| = 0.5 (at v = 0.5 or 1.5)
    const target = 1e-6;
    const [o] = inverseSqrtOptions(0.5, 1.5, [0], target);
    // the worst case of the recurrence from e = 0.5 and e = -0.5 (v = 1.5): iterate independently
    let steps = 0;
    let ea = 0.5;
    let eb = -0.5;
    while (Math.max(Math.abs(ea), Math.abs(eb)) > target) {
      ea = (3 * ea * ea + ea ** 3) / 4;
      eb = (3 * eb * eb + eb ** 3) / 4;
      steps++;
    }
    expect(o!.initialError).toBeCloseTo(0.5, 6);
    expect(o!.steps).toBe(steps);
    expect(o!.finalError).toBeLessThanOrEqual(target);
    expect(o!.cost).toEqual(addCosts(chebyshevEvalCost(0), newtonCost(steps)));
    expect(newtonCost(3)).toEqual({ depth: 6, nonScalarMultiplications: 9, scalarMultiplications: 6, additions: 3 });
  });

  it("a higher-degree initial guess needs no more Newton steps on a wide range", () => {
    const opts = inverseSqrtOptions(1e-2, 10, [1, 3, 7, 15, 31], 2 ** -12);
    const steps = opts.map((o) => o.steps ?? Infinity);
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeLessThanOrEqual(steps[i - 1]!);
    for (const o of opts) if (o.steps !== null) expect(o.finalError).toBeLessThanOrEqual(2 ** -12);
    const g = logGrid(1e-2, 10, 5);
    expect(g[0]).toBe(1e-2);
    expect(g[4]).toBe(10);
    expect(g[2]).toBeCloseTo(Math.sqrt(1e-2 * 10), 12);
    expect(() => logGrid(0, 1)).toThrow(/0 < lo < hi/);
  });

  it("finds LayerNormalization nodes and their normalised size", () => {
    const graph = {
      nodes: [
        { name: "ln", opType: "LayerNormalization", inputs: ["x", "g", "b"], attributes: { axis: -1, epsilon: 1e-6 } },
        { name: "ln2", opType: "LayerNormalization", inputs: ["y", "g", "b"], attributes: { axis: 1 } },
        { name: "relu", opType: "Relu", inputs: ["x"], attributes: {} },
      ],
      shapes: new Map([
        ["x", [-1, 4, 4, 32]],
        ["y", [-1, 3, 5]],
      ]),
    };
    const lns = findLayerNorms(graph);
    expect(lns.map((l) => l.node)).toEqual(["ln", "ln2"]);
    expect(lns[1]!.epsilon).toBe(1e-5);
    expect(normalisedSize(lns[0]!)).toBe(32);
    expect(normalisedSize(lns[1]!)).toBe(15);
    expect(() => normalisedSize({ ...lns[0]!, axis: 0 })).toThrow(/axis 0 out of range/);
  });
});
