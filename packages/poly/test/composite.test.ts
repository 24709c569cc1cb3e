import { describe, expect, it } from "vitest";
import {
  compileComposite,
  compileCompositeRelu,
  compositeCost,
  compositeSign,
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

describe("composite sign / ReLU (Lee et al.)", () => {
  it("the DP picks least depth then least multiplications for alpha = 4..8, and the result meets the bound", () => {
    let prevDepth = 0;
    for (let alpha = 4; alpha <= 8; alpha++) {
      const choice = optimalCompositeDegrees(alpha);
      expect(choice.depth).toBe(compositeCost(choice.degrees).depth);
      expect(choice.nonScalarMultiplications).toBe(compositeCost(choice.degrees).nonScalarMultiplications);
      expect(choice.depth).toBeGreaterThanOrEqual(prevDepth);
      prevDepth = choice.depth;
      const comp = compositeSign(alpha, { degrees: choice.degrees });
      expect(comp.signError).toBeLessThanOrEqual(2 ** (1 - alpha));
      // ReLU(x) = B x' (1 + p(x'))/2 with x' = x/B: the error scales with B
      expect(programReluError(comp.components, 1)).toBeLessThanOrEqual(2 ** -alpha * (1 + 1e-6));
    }
  });

  it("reproduces the published alpha = 10 choice (7, 7, 13) by the DP", () => {
    const choice = optimalCompositeDegrees(10);
    expect(choice.degrees).toEqual([7, 7, 13]);
    expect(choice.depth).toBe(10);
    expect(choice.reluError).toBeLessThanOrEqual(2 ** -10);
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
