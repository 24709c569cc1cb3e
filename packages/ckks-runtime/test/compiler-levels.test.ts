// Level simulation of PolyPrograms with refreshes (no encryption): the rules of INTERFACES §1, refreshes at cuts
// between composite components, lazy refreshes inside a component deeper than one refresh.
import { describe, expect, it } from "vitest";
import { ChebyshevPoly, chebyshevInterpolant, compileChebyshev, compileCompositeRelu } from "@ola/poly";
import { cutSegments, simulatePolyLevels } from "../src/compiler/level-sim.js";
import { registerDepths } from "../src/program.js";

const odd = (d: number, k: number) => {
  const c = chebyshevInterpolant((x) => Math.tanh(k * x), d);
  return new ChebyshevPoly(c.coeffs.map((v: number, i: number) => (i % 2 ? v : 0)), -1, 1);
};

describe("simulatePolyLevels", () => {
  it("a program that fits: output level = input level - depth, no refresh; counts match the program", () => {
    const p = compileChebyshev(chebyshevInterpolant((x) => Math.max(0, x), 15, -8, 8));
    const s = simulatePolyLevels(p, 10, 10);
    expect(s.innerBootstraps).toHaveLength(0);
    expect(s.outLevel).toBe(10 - p.cost.depth);
    expect(s.ops.mulRelin).toBe(p.cost.nonScalarMultiplications);
    // every register's level = start - its depth
    expect(Math.min(...Array.from(registerDepths(p)))).toBe(0);
  });

  it("composite ReLU deeper than a refresh: one refresh per component boundary when components fit", () => {
    const comps = [odd(7, 2), odd(7, 3), odd(7, 4)];
    const p = compileCompositeRelu(comps, 10);
    const per = compileChebyshev(comps[1]!, { odd: true }).cost.depth;
    const L = per + 2;
    expect(p.cost.depth).toBeGreaterThan(L);
    const s = simulatePolyLevels(p, L, L);
    // the cuts are the component outputs; refreshing there costs one bootstrap per boundary that does not fit
    const cuts = cutSegments(p);
    expect(cuts.size).toBeGreaterThanOrEqual(2);
    expect(s.innerBootstraps.length).toBeLessThanOrEqual(comps.length - 1);
    expect(s.innerBootstraps.length).toBeGreaterThanOrEqual(Math.ceil(p.cost.depth / L) - 1);
    expect(s.outLevel).toBeGreaterThanOrEqual(0);
    for (const b of s.innerBootstraps) expect(cuts.get(b.beforeOp)?.register ?? b.register).toBe(b.register);
  });

  it("with one level per refresh every multiplication needs its operands refreshed (lazy), never below 0", () => {
    const p = compileChebyshev(chebyshevInterpolant((x) => Math.max(0, x), 7, -4, 4));
    const s = simulatePolyLevels(p, 1, 1);
    expect(s.outLevel).toBe(0);
    expect(s.innerBootstraps.length).toBeGreaterThan(0);
    for (const b of s.innerBootstraps) expect(b.fromLevel).toBeLessThan(1);
  });
});
