import { describe, expect, it } from "vitest";
import {
  compileComposite,
  compileCompositeRelu,
  compositeCost,
  compositeSign,
  compositeSignFromDegrees,
  chebyshevEvalCost,
  mpcnnCompositeCost,
  mpcnnOddPolyCost,
  optimalCompositeDegrees,
  runProgram,
  type ChebyshevPoly,
} from "../src/index.js";

/** Independent ReLU error check: through the compiled program, on a grid different from the DP's. */
function programReluError(components: ChebyshevPoly[], B: number): number {
  const prog = compileCompositeRelu(components, B);
  const n = 200001;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = -1 + (2 * i) / (n - 1);
    // cubic spacing concentrates points around 0, where the error peaks
    xs[i] = B * u * u * u;
  }
  const y = runProgram(prog, xs);
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(y[i]! - Math.max(0, xs[i]!)) / B);
  return m;
}

describe("Lee et al.'s odd baby-step giant-step count (mpcnnOddPolyCost)", () => {
  it("matches hand counts and differs from our Chebyshev program only where it should", () => {
    // d = 3: x^2, x^3 = x·x^2 (2). d = 5: Horner in x^2, ((c5 x)·x^2 + c3 x)·x^2 + c1 x (3, depth 3).
    // d = 7: x^2, x^4, x^3, then (c7 x^3 + c5 x)·x^4 + (c3 x^3 + c1 x) (4 + 1 = 5, depth 3).
    expect([3, 5, 7].map((d) => mpcnnOddPolyCost(d).nonScalarMultiplications)).toEqual([2, 3, 5]);
    for (let d = 3; d <= 63; d += 2) {
      const c = mpcnnOddPolyCost(d);
      expect(c.depth).toBe(Math.ceil(Math.log2(d + 1)));
      const ours = chebyshevEvalCost(d, { odd: true, interval: [-1, 1] });
      expect(ours.depth).toBe(c.depth);
      // a product at most doubles the degree: at least ceil(log2 d) products
      expect(c.nonScalarMultiplications).toBeGreaterThanOrEqual(Math.ceil(Math.log2(d)));
      if (d <= 31) expect(ours.nonScalarMultiplications - c.nonScalarMultiplications).toBe([5, 9, 17, 19].includes(d) ? 1 : 0);
    }
    expect(mpcnnCompositeCost([15, 15, 27])).toEqual({ depth: 13, nonScalarMultiplications: 26 });
    expect(() => mpcnnOddPolyCost(4)).toThrow(/odd integer/);
  });
});

describe("composite sign / ReLU (Lee et al.)", () => {
  it("the DP picks least depth then least multiplications (Lee et al. count) for alpha = 4..8, and the result meets the bound", () => {
    let prevDepth = 0;
    for (let alpha = 4; alpha <= 8; alpha++) {
      const choice = optimalCompositeDegrees(alpha);
      expect(choice.depth).toBe(compositeCost(choice.degrees).depth);
      expect(choice.nonScalarMultiplications).toBe(compositeCost(choice.degrees).nonScalarMultiplications);
      expect(choice.selectionCost.nonScalarMultiplications).toBe(mpcnnCompositeCost(choice.degrees).nonScalarMultiplications);
      expect(choice.depth).toBeGreaterThanOrEqual(prevDepth);
      prevDepth = choice.depth;
      const comp = compositeSign(alpha, { degrees: choice.degrees });
      expect(comp.signError).toBeLessThanOrEqual(2 ** (1 - alpha));
      // ReLU(x) = B x' (1 + p(x'))/2 with x' = x/B: the error scales with B
      expect(programReluError(comp.components, 1)).toBeLessThanOrEqual(2 ** -alpha * (1 + 1e-6));
      // the DP's own build at its least eps, through the compiled program on an independent grid
      const atLeastEps = compositeSignFromDegrees(choice.degrees, choice.epsilon, alpha);
      expect(atLeastEps.signError).toBeLessThanOrEqual(2 ** (1 - alpha));
      expect(programReluError(atLeastEps.components, 1)).toBeLessThanOrEqual(2 ** -alpha * (1 + 1e-6));
    }
  });

  it("the DP, ranking by Lee et al.'s multiplication count, reproduces the published table for alpha = 10..14", () => {
    // Lee, Lee, No, Kim (IEEE TDSC) degrees as used in Lee et al. (ICML 2022 MPCNN), p_1 first
    const published: Record<number, number[]> = { 10: [7, 7, 13], 11: [7, 7, 27], 12: [7, 15, 27], 13: [15, 15, 27], 14: [15, 27, 29] };
    for (const alpha of [10, 11, 12, 13, 14]) {
      const choice = optimalCompositeDegrees(alpha); // computed by the DP, not looked up
      expect(choice.degrees).toEqual(published[alpha]);
      expect(choice.selectionCost).toEqual({ costModel: "mpcnn", ...mpcnnCompositeCost(choice.degrees) });
      expect(choice.selectionCost.depth).toBe(alpha);
      // what OLA executes: same depth; its own multiplication count is reported next to the published one
      expect(choice.depth).toBe(compositeCost(choice.degrees).depth);
      expect(choice.nonScalarMultiplications).toBe(compositeCost(choice.degrees).nonScalarMultiplications);
      expect(choice.reluError).toBeLessThanOrEqual(2 ** -alpha);
      // the tie-break is real: other sequences of the same cost passed, each needing a larger eps
      expect(choice.ties.length).toBeGreaterThan(0);
      for (const t of choice.ties) expect(t.epsilon).toBeGreaterThan(choice.epsilon);
    }
  });

  it("the published alpha = 11..14 degree triples reach 2^-alpha at depth alpha in the published order", () => {
    for (const [alpha, degrees] of [
      [11, [7, 7, 27]],
      [12, [7, 15, 27]],
      [13, [15, 15, 27]],
      [14, [15, 27, 29]],
    ] as [number, number[]][]) {
      const comp = compositeSign(alpha, { degrees });
      expect(comp.cost.depth).toBe(alpha);
      expect(compileComposite(comp.components).cost).toEqual(comp.cost);
      const err = programReluError(comp.components, 40);
      expect(err).toBeLessThanOrEqual(2 ** -alpha);
      expect(err).toBeGreaterThan(2 ** (-alpha - 1)); // not vacuous: the bound is nearly tight
      // every component is odd and the sign error bound holds on a dense grid of [eps, 1]
      for (const p of comp.components) expect(p.parity()).toBe("odd");
      let m = 0;
      for (let i = 0; i <= 20000; i++) {
        const x = comp.epsilon + ((1 - comp.epsilon) * i) / 20000;
        const v = comp.components.reduce((y, p) => p.evaluate(y), x);
        m = Math.max(m, Math.abs(v - 1));
      }
      expect(m).toBeLessThanOrEqual(comp.signError * (1 + 1e-6));
    }
  });
});
