import { describe, expect, it } from "vitest";
import { estimateProgramSeconds, parseCostTable, planProgram, totalCounts, type CostTable, type PolyProgram } from "../src/index.js";

// A table where every primitive at level l costs a distinct, recognisable amount.
function table(levels: number): CostTable {
  return {
    version: 1,
    preset: "synthetic",
    N: 8192,
    logScale: 40,
    levels: Array.from({ length: levels + 1 }, (_, l) => ({
      level: l,
      primes: l + 1,
      seconds: { mulRelin: 100 * (l + 1), square: 90 * (l + 1), rescale: 10 * (l + 1), mulPlain: 3, mulConst: 5, add: 1, rotate: 1000, modSwitch: 0.5, addConst: 2 },
    })),
  };
}

describe("cost estimator", () => {
  it("prices a hand-checked program: x^2 + 0.5 x, then + 3", () => {
    const p: PolyProgram = {
      version: 1,
      ops: [
        { op: "mul", a: 0, b: 0 }, // r1 = x^2: square at level 5, rescale at 5
        { op: "mulConst", a: 0, c: 0.5 }, // r2 = 0.5 x: mulConst at 5, rescale at 5
        { op: "add", a: 1, b: 2 }, // both at level 4: add at 4
        { op: "addConst", a: 3, c: 3 }, // addConst at 4
      ],
      output: 4,
      cost: { depth: 1, nonScalarMultiplications: 1, scalarMultiplications: 1, additions: 2 },
    };
    const plan = planProgram(p, 5);
    expect(totalCounts(plan)).toMatchObject({ square: 1, mulRelin: 0, mulConst: 1, rescale: 2, add: 1, addConst: 1, scaleAdjust: 0 });
    const expected = 90 * 6 + 10 * 6 + 5 + 10 * 6 + 1 + 2;
    expect(estimateProgramSeconds(p, 5, table(5))).toBeCloseTo(expected, 9);
  });

  it("prices the alignment of operands at different depths (multiply by 1 + rescale + mod switch)", () => {
    const p: PolyProgram = {
      version: 1,
      ops: [
        { op: "mul", a: 0, b: 0 }, // r1 level 4
        { op: "mul", a: 1, b: 1 }, // r2 level 3
        { op: "add", a: 2, b: 0 }, // x (level 5) adjusted to level 3: scaleAdjust@5, rescale@5, modSwitch@4
      ],
      output: 3,
      cost: { depth: 2, nonScalarMultiplications: 2, scalarMultiplications: 0, additions: 1 },
    };
    const plan = planProgram(p, 5);
    expect(plan.get(5)).toMatchObject({ square: 1, rescale: 2, scaleAdjust: 1 });
    expect(plan.get(4)).toMatchObject({ square: 1, rescale: 1, modSwitch: 1 });
    expect(plan.get(3)).toMatchObject({ add: 1 });
    // With equal canonical scales at levels 5 and 3 the alignment is a plain mod switch.
    const same = planProgram(p, 5, { canonicalScales: [1, 1, 1, 2, 3, 2] });
    expect(same.get(5)).toMatchObject({ scaleAdjust: 0, modSwitch: 1, rescale: 1 });
  });

  it("rejects malformed tables and levels missing from a table", () => {
    expect(() => parseCostTable({ version: 2 }, "x.json")).toThrow(/x.json: not a version-1 CostTable/);
    const bad = table(2);
    (bad.levels[1]!.seconds as { add: number }).add = -1;
    expect(() => parseCostTable(bad, "y.json")).toThrow(/y.json: level 1: seconds.add must be a non-negative number/);
    const p: PolyProgram = { version: 1, ops: [{ op: "mul", a: 0, b: 0 }], output: 1, cost: { depth: 1, nonScalarMultiplications: 1, scalarMultiplications: 0, additions: 0 } };
    expect(() => estimateProgramSeconds(p, 9, table(2))).toThrow(/no entry for level 9/);
  });
});
