import { describe, expect, it } from "vitest";
import { ChebyshevPoly, chebyshevEvalCost, gelu, runProgram } from "@ola/poly";
import { costEfficientDegrees, defaultComposite, defaultFitter, fitCandidates, fitInterval, compositeCandidate, type SiteDistribution } from "../src/index.js";

// A deterministic N(0, 2^2)-like sample (Box-Muller on a fixed grid).
const samples = Float64Array.from({ length: 4096 }, (_, i) => 2 * Math.sqrt(-2 * Math.log((i + 0.5) / 4096)) * Math.cos(2.4 * i));
const min = samples.reduce((a, b) => Math.min(a, b)), max = samples.reduce((a, b) => Math.max(a, b));
function histogram(lo: number, hi: number, bins: number): SiteDistribution["histogram"] {
  const counts = new Float64Array(bins);
  for (const x of samples) counts[Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins))]! += 1;
  return { lo, hi, counts };
}

describe("candidates", () => {
  it("fit interval widens the profiled range by the margin", () => {
    expect(fitInterval({ min: -2, max: 8 }, 0.1)).toEqual([-3, 9]);
    expect(() => fitInterval({ min: NaN, max: 1 }, 0.1)).toThrow(/non-finite/);
  });

  it("cost-efficient degrees keep the highest degree of each (depth, non-scalar) class", () => {
    const all = [2, 3, 4, 5, 6, 7, 8, 12, 15, 16, 31];
    const d = costEfficientDegrees(all);
    expect(d).toEqual(expect.arrayContaining([7, 15, 31]));
    const cls = (k: number) => { const c = chebyshevEvalCost(k); return `${c.depth}/${c.nonScalarMultiplications}`; };
    expect(new Set(d.map(cls)).size).toBe(d.length);
    for (const k of all) if (!d.includes(k)) expect(d.some((j) => j > k && cls(j) === cls(k))).toBe(true);
  });

  it("fits ReLU by WLS under a synthetic histogram: error decreases with degree, program = series", () => {
    const dist: SiteDistribution = { min, max, histogram: histogram(min, max, 512) };
    const cands = fitCandidates("relu", dist, [3, 7, 15, 31], 0.1, defaultFitter);
    const rmse = cands.map((c) => c.fit!.weightedRmse!);
    for (let i = 1; i < rmse.length; i++) expect(rmse[i]).toBeLessThan(rmse[i - 1]!);
    for (const c of cands) {
      if (c.spec.family !== "chebyshev") throw new Error("expected chebyshev");
      expect(c.spec.interval[0]).toBeCloseTo(min - 0.1 * (max - min), 12);
      const s = new ChebyshevPoly(c.spec.coefficients, c.spec.interval[0], c.spec.interval[1]);
      const xs = Float64Array.from({ length: 101 }, (_, i) => c.spec.interval[0] + ((c.spec.interval[1] - c.spec.interval[0]) * i) / 100);
      const viaProgram = runProgram(c.program, xs);
      const direct = s.evaluateMany(xs);
      for (let i = 0; i < xs.length; i++) expect(viaProgram[i]).toBeCloseTo(direct[i]!, 8);
      expect(c.cost).toEqual(c.program.cost);
    }
    // the fit is weighted: its error where the mass is (|x| < 1) is smaller than near the ends
    const p = cands[2]!;
    if (p.spec.family !== "chebyshev") throw new Error();
    const s = new ChebyshevPoly(p.spec.coefficients, p.spec.interval[0], p.spec.interval[1]);
    const err = (x: number) => Math.abs(s.evaluate(x) - Math.max(0, x));
    const inner = Math.max(...[-0.9, -0.5, 0.5, 0.9].map(err));
    expect(inner).toBeLessThan(0.2);
  });

  it("composite candidates reproduce the composite ReLU x(1+p(x/B))/2 to 2^-alpha * B", () => {
    const alpha = 4, B = 10;
    const c = compositeCandidate(alpha, B, defaultComposite(alpha));
    const xs = Float64Array.from({ length: 2001 }, (_, i) => -B + (2 * B * i) / 2000);
    const y = runProgram(c.program, xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(y[i]! - Math.max(0, xs[i]!)));
    expect(worst).toBeLessThanOrEqual(B * 2 ** -alpha * 1.05);
    expect(c.cost.depth).toBe(c.program.cost.depth);
  });
});

describe("fit-interval margins as a candidate dimension", () => {
  const dist = (): SiteDistribution => ({ min, max, histogram: histogram(min, max, 512) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const meanSq = (c: any, f: (x: number) => number) => {
    const s = new ChebyshevPoly(c.spec.coefficients, c.spec.interval[0], c.spec.interval[1]);
    const y = s.evaluateMany(samples);
    let e = 0;
    for (let i = 0; i < samples.length; i++) e += (y[i]! - f(samples[i]!)) ** 2;
    return e / samples.length;
  };

  it("fits every degree at every distinct margin, degree-major, labelled with the margin", () => {
    const cands = fitCandidates("gelu", dist(), [3, 7], [0, 0.1, 0, 0.5], defaultFitter);
    expect(cands.map((c) => c.label)).toEqual(["deg 3 m0", "deg 3 m0.1", "deg 3 m0.5", "deg 7 m0", "deg 7 m0.1", "deg 7 m0.5"]);
    for (const c of cands) {
      if (c.spec.family !== "chebyshev") throw new Error("expected chebyshev");
      expect(c.spec.interval).toEqual(fitInterval(dist(), c.margin!));
    }
    expect(fitCandidates("gelu", dist(), [3], [0.1], defaultFitter).map((c) => c.label)).toEqual(["deg 3"]);
    expect(() => fitCandidates("gelu", dist(), [3], [-0.1], defaultFitter)).toThrow(/margin -0.1/);
    expect(() => fitCandidates("gelu", dist(), [3], [], defaultFitter)).toThrow(/no fit-interval margin/);
  });

  it("no margin is best for every activation: a cubic GELU wants the data range, a degree-31 ReLU needs room outside it", () => {
    const [g0, g5] = fitCandidates("gelu", dist(), [3], [0, 0.5], defaultFitter);
    // on the data itself, the wide interval's floor weight pulls the cubic towards inputs that do not
    // occur: larger mean squared error on the samples (1.25x here, for a Gaussian site)
    expect(meanSq(g5, gelu)).toBeGreaterThan(1.1 * meanSq(g0, gelu));
    const [r0, r5] = fitCandidates("relu", dist(), [31], [0, 0.5], defaultFitter);
    // just outside the profiled range (5% of its width), the tight degree-31 ReLU fit is far off while
    // the wide one is still accurate (ReLU's kink makes a high-degree fit oscillate and grow like x^31 outside)
    const w = max - min;
    const outside = Float64Array.of(min - 0.05 * w, max + 0.05 * w);
    const err = (c: any) => {
      const s = new ChebyshevPoly(c.spec.coefficients, c.spec.interval[0], c.spec.interval[1]);
      const y = s.evaluateMany(outside);
      return Math.max(...Array.from(outside, (x, i) => Math.abs(y[i]! - Math.max(0, x))));
    };
    expect(err(r0)).toBeGreaterThan(10 * err(r5));
  });
});
