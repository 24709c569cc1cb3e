import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chebyshevInterpolant, compileChebyshev, compileCompositeRelu, compositeSign, programCost, runProgram } from "@ola/poly";
import { evaluateProgram, LevelError, planProgram, precisionBits, TEST_PARAMETERS, totalCounts } from "../src/index.js";
import { makeFixture, uniform, type Fixture } from "./helpers.js";

// Chebyshev programs (depth <= 7) run on a 9-level chain (ops cost ~L^2, so a quarter of the 20-level
// test preset's); the composite needs the full test preset.
const SHORT = { ...TEST_PARAMETERS, name: "test-9", coeffModulusBits: [60, ...Array<number>(9).fill(40), 60] };
let f: Fixture;
let fShort: Fixture;
let fLong: Fixture;
beforeAll(async () => {
  fShort = await makeFixture(SHORT);
  fLong = await makeFixture(TEST_PARAMETERS);
  f = fShort;
});
afterAll(() => {
  fShort?.dispose();
  fLong?.dispose();
});

const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

function runEncrypted(program: Parameters<typeof evaluateProgram>[1], a: number, b: number, seed: number) {
  const xs = uniform(f.ctx.slots, a, b, seed);
  using ct = f.client.encrypt(xs);
  const before = { ...f.ev.counts };
  const { result, report } = evaluateProgram(f.ev, program, ct);
  // The cost model's replay of the schedule must match what the evaluator really did, op for op.
  const planned = totalCounts(planProgram(program, ct.level, { canonicalScales: f.ctx.levels.map((l) => l.canonicalScale) }));
  const done = Object.fromEntries(Object.entries(f.ev.counts).map(([k, v]) => [k, v - before[k as keyof typeof before]]));
  expect(done).toEqual(planned);
  using r = result;
  const got = f.client.decrypt(r);
  const want = runProgram(program as never, xs);
  const bits = precisionBits(got, want);
  console.log(`degree/program depth ${program.cost.depth}: ${bits.toFixed(1)} bits, ${report.seconds.toFixed(2)} s`);
  return { report, bits, level: r.level };
}

describe("Chebyshev programs on ciphertexts", () => {
  // General series on a non-symmetric interval (affine map costs a level).
  for (const degree of [3, 4, 7, 12, 15, 27, 31, 63]) {
    it(`general degree ${degree}: levels and multiplications equal the program's cost`, () => {
      const series = chebyshevInterpolant(gelu, degree, -6, 4);
      const program = compileChebyshev(series);
      const { report, bits } = runEncrypted(program, -6, 4, degree);
      expect(report.levelsUsed).toBe(program.cost.depth);
      expect(report.nonScalarMultiplications).toBe(program.cost.nonScalarMultiplications);
      expect(report.scalarMultiplications).toBe(program.cost.scalarMultiplications);
      expect(bits).toBeGreaterThan(20);
    });
  }
  for (const degree of [3, 7, 15, 31, 63]) {
    it(`odd degree ${degree}`, () => {
      const series = chebyshevInterpolant((x) => Math.tanh(1.5 * x), degree, -3, 3);
      const program = compileChebyshev(series, { odd: true });
      const { report, bits } = runEncrypted(program, -3, 3, 100 + degree);
      expect(report.levelsUsed).toBe(program.cost.depth);
      expect(report.nonScalarMultiplications).toBe(program.cost.nonScalarMultiplications);
      expect(report.scalarMultiplications).toBe(program.cost.scalarMultiplications);
      expect(bits).toBeGreaterThan(20);
    });
  }
});

describe("composite ReLU", () => {
  beforeAll(() => {
    f = fLong;
  });
  it("alpha = 13 composite (15, 15, 27) on [-40, 40]: levels, counts and precision", () => {
    // The baseline's own polynomial: the composite minimax sign of precision alpha = 13 with the
    // published degrees (15, 15, 27) (Lee, Lee, No, Kim, IEEE TDSC; MPCNN, ICML 2022), built by @ola/poly.
    const sign = compositeSign(13, { degrees: [15, 15, 27] });
    const comps = sign.components;
    const program = compileCompositeRelu(comps, 40, { odd: true });
    const { report, bits, level } = runEncrypted(program, -40, 40, 7);
    expect(report.levelsUsed).toBe(program.cost.depth);
    expect(level).toBe(TEST_PARAMETERS.coeffModulusBits.length - 2 - program.cost.depth);
    expect(report.nonScalarMultiplications).toBe(program.cost.nonScalarMultiplications);
    expect(report.scalarMultiplications).toBe(program.cost.scalarMultiplications);
    expect(bits).toBeGreaterThan(14);
  });

  it("refuses a program deeper than the levels left, before computing", () => {
    const program = compileChebyshev(chebyshevInterpolant(gelu, 63, -6, 4));
    using ct = f.client.encrypt([1, 2, 3], { level: program.cost.depth - 1 });
    expect(() => evaluateProgram(f.ev, program, ct)).toThrow(LevelError);
    expect(() => evaluateProgram(f.ev, program, ct)).toThrow(/needs \d+ levels but the ciphertext is at level/);
  });
});

describe("hand-written programs", () => {
  it("counts integer mulConst and integer linear coefficients as INTERFACES §1 does", () => {
    f = fShort;
    const program = {
      version: 1 as const,
      ops: [
        { op: "mulConst" as const, a: 0, c: 2 }, // r1 = 2x (a scalar multiplication, one level)
        { op: "mul" as const, a: 0, b: 1 }, // r2 = 2x^2
        { op: "linear" as const, terms: [[2, 6], [1, 0.25], [0, -1]] as [number, number][], c: 0.5 }, // 12x^2 - 0.5x + 0.5
      ],
      output: 3,
      cost: { depth: 3, nonScalarMultiplications: 1, scalarMultiplications: 2, additions: 3 },
    };
    expect(programCost(program.ops, program.output)).toEqual(program.cost);
    const { report, bits } = runEncrypted(program, -1, 1, 77);
    expect(report.levelsUsed).toBe(3);
    expect(report.scalarMultiplications).toBe(2);
    expect(report.integerScaleMultiplications).toBe(2);
    expect(bits).toBeGreaterThan(20);
  });
});
