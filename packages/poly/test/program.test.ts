import { describe, expect, it } from "vitest";
import {
  ChebyshevPoly,
  chebyshevEvalCost,
  compileChebyshev,
  compileComposite,
  compileCompositeRelu,
  compositeCost,
  compositeReluCost,
  programCost,
  runProgram,
  type PolyOp,
} from "../src/index.js";
import { rng } from "./rng.js";

const optimalDepth = (d: number) => Math.ceil(Math.log2(d + 1));

function randomSeries(r: () => number, d: number, odd: boolean, a: number, b: number): ChebyshevPoly {
  return new ChebyshevPoly(Array.from({ length: d + 1 }, (_, k) => (odd && k % 2 === 0 ? 0 : r() - 0.5)), a, b);
}

describe("programCost", () => {
  it("applies the level and count rules of INTERFACES.md section 1", () => {
    const ops: PolyOp[] = [
      { op: "linear", terms: [[0, 0.5]], c: 0.1 }, // r1: level 1, 1 scalar, 1 addition
      { op: "mul", a: 1, b: 1 }, // r2: level 2
      { op: "linear", terms: [[2, 2]], c: -1 }, // r3: integer coefficients: level 2, 0 scalar, 1 addition
      { op: "mulInt", a: 3, k: 3 }, // r4: level 2
      { op: "mulConst", a: 0, c: 0.7 }, // r5: level 1
      { op: "add", a: 5, b: 4 }, // r6: level 2
      { op: "addConst", a: 6, c: 1 }, // r7: level 2
      { op: "sub", a: 7, b: 0 }, // r8: level 2
    ];
    expect(programCost(ops, 8)).toEqual({ depth: 2, nonScalarMultiplications: 1, scalarMultiplications: 2, additions: 5 });
    expect(programCost(ops, 5).depth).toBe(1);
    expect(() => programCost([{ op: "mul", a: 0, b: 2 }], 1)).toThrow(/register 2/);
  });
});

describe("compileChebyshev", () => {
  const r = rng(7);
  for (const odd of [false, true]) {
    it(`${odd ? "odd" : "full"} series, degrees 1..63: runProgram = Clenshaw, cost = chebyshevEvalCost, depth optimal`, () => {
      const table: string[] = [];
      for (let d = 1; d <= 63; d++) {
        if (odd && d % 2 === 0) continue;
        for (const [a, b] of [[-1, 1], [-7, 3], [0, 2]] as [number, number][]) {
          const s = randomSeries(r, d, odd, a, b);
          const prog = compileChebyshev(s, { odd });
          expect(prog.cost).toEqual(programCost(prog.ops, prog.output));
          expect(prog.cost).toEqual(chebyshevEvalCost(d, { odd, interval: [a, b] }));
          const xs = Float64Array.from({ length: 64 }, () => a + (b - a) * r());
          const got = runProgram(prog, xs);
          const want = s.evaluateMany(xs);
          let scale = 0;
          for (const v of s.coeffs) scale += Math.abs(v);
          for (let i = 0; i < xs.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-13 * scale);
          // Depth: ceil(log2(d+1)), plus one level for a real (non-small-integer) affine scale when d >= 2.
          const mapLevel = a === -7 && d >= 2 ? 1 : 0;
          expect(prog.cost.depth).toBe(optimalDepth(d) + mapLevel);
          if (a === -1) table.push(`${d}:${prog.cost.depth}/${prog.cost.nonScalarMultiplications}`);
        }
      }
      // Non-scalar multiplications grow like sqrt(d) + d / sqrt(d): far below d.
      expect(chebyshevEvalCost(63, { odd, interval: [-1, 1] }).nonScalarMultiplications).toBeLessThanOrEqual(18);
    });
  }

  it("rejects an odd compile of a series with even terms", () => {
    expect(() => compileChebyshev(new ChebyshevPoly([0.1, 1, 0, 0.3]), { odd: true })).toThrow(/c_0/);
  });

  it("compiles constants and the identity", () => {
    const c = compileChebyshev(new ChebyshevPoly([2.5], 0, 3));
    expect(Array.from(runProgram(c, Float64Array.of(1, 2)))).toEqual([2.5, 2.5]);
    const id = compileChebyshev(new ChebyshevPoly([0, 1]));
    expect(id.cost.depth).toBe(0);
  });
});

describe("composite programs", () => {
  const r = rng(11);
  const comps = [randomSeries(r, 7, true, -1, 1), randomSeries(r, 15, true, -1, 1), randomSeries(r, 27, true, -1, 1)];
  const composite = (x: number) => comps.reduce((v, p) => p.evaluate(v), x);

  it("compileComposite evaluates p3(p2(p1(x))) at the summed optimal depth", () => {
    const prog = compileComposite(comps);
    const xs = Float64Array.from({ length: 50 }, () => 2 * r() - 1);
    const got = runProgram(prog, xs);
    xs.forEach((x, i) => expect(got[i]).toBeCloseTo(composite(x), 8));
    expect(prog.cost.depth).toBe(3 + 4 + 5);
    expect(prog.cost).toEqual(compositeCost([7, 15, 27]));
  });

  it("compileCompositeRelu evaluates x (1 + p(x/B)) / 2 with one map level and one final multiplication", () => {
    const B = 40;
    const prog = compileCompositeRelu({ components: comps }, B);
    const xs = Float64Array.from({ length: 50 }, () => B * (2 * r() - 1));
    const got = runProgram(prog, xs);
    xs.forEach((x, i) => expect(got[i]).toBeCloseTo((x * (1 + composite(x / B))) / 2, 6));
    expect(prog.cost.depth).toBe(1 + 3 + 4 + 5 + 1);
    expect(prog.cost).toEqual(compositeReluCost([7, 15, 27], { B }));
  });
});
