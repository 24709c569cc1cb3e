// Sparse-slot bootstraps rest on one fact: a value whose layout has copies > 1 is exactly `period`-periodic in
// the slots wherever the program bootstraps it. This checks it on the compiled programs' float64 slot
// simulation (simulateHeProgramValues: every value): every value valuePeriods assigns a period
// to, including the inputs of every bootstrap and of every activation with inner bootstraps, repeats with
// that period bit for bit. Tiny residual CNN (2048 slots) and ResNet-20 (16384 slots).
import { describe, expect, it } from "vitest";
import { findActivationSites, importOnnx, loadModel } from "@ola/models";
import { ChebyshevPoly, chebyshevInterpolant, compileCompositeRelu } from "@ola/poly";
import { bootstrapSites, compileHeProgram, simulateHeProgramValues, valuePeriods, type HeProgram } from "../src/compiler/index.js";
import { randomImage, relu, tinyResidualCnn } from "./compiler-helpers.js";



/** Largest |v[i] - v[i mod T]| (0 = exactly T-periodic). */
function periodicityDefect(v: Float64Array, T: number): number {
  let d = 0;
  for (let i = T; i < v.length; i++) d = Math.max(d, Math.abs(v[i]! - v[i % T]!));
  return d;
}

function checkProgram(p: HeProgram, image: ArrayLike<number>): { periods: number[]; sparse: number } {
  const vals = simulateHeProgramValues(p, image);
  const per = valuePeriods(p);
  let checked = 0;
  for (const [id, T] of per) {
    if (T === undefined) continue;
    const v = vals.get(id)!;
    // a value that is not exactly periodic would make a sparse bootstrap wrong: require bit equality
    expect(periodicityDefect(v, T), `value ${id} (period ${T})`).toBe(0);
    // the period is not vacuous: the first copy holds the tensor (some non-zero slot)
    expect(v.subarray(0, T).some((x) => x !== 0), `value ${id} is all zero`).toBe(true);
    checked++;
  }
  const sites = bootstrapSites(p);
  for (const s of sites) {
    expect(s.period, `bootstrap at step ${s.step}`).toBeDefined();
    const st = p.steps[s.step]!;
    const input = st.kind === "bootstrap" || st.kind === "activation" ? st.input : -1;
    expect(periodicityDefect(vals.get(input)!, s.period!)).toBe(0);
    // the period derived in the executor is the layout's period of the refreshed value
    const layoutPeriod = st.kind === "activation" ? st.layout.period : undefined;
    if (layoutPeriod !== undefined) expect(s.period).toBe(layoutPeriod);
  }
  expect(checked).toBeGreaterThan(0);
  return { periods: sites.map((s) => s.period!), sparse: sites.filter((s) => s.period! < p.slots).length };
}

describe("values are exactly period-periodic where the program bootstraps", () => {
  it("tiny residual CNN at 2048 slots (copies 8 and 16), with inner bootstraps", () => {
    const bytes = tinyResidualCnn();
    const graph = importOnnx(bytes);
    const sites = findActivationSites(graph);
    const degrees = [3, 7, 5, 15, 3];
    const programs = new Map(sites.map((s, i) => [s.id, relu(degrees[i]!, 4)]));
    const p = compileHeProgram(graph, sites, programs, { slots: 2048, levelsAfterBootstrap: 3 });
    expect(p.summary.innerBootstraps).toBeGreaterThan(0);
    const r = checkProgram(p, randomImage(2 * 64, 5));
    expect(r.sparse).toBe(r.periods.length);
    expect(new Set(r.periods).size).toBeGreaterThan(1); // both stages' periods occur
  });

  it("ResNet-20 at 16384 slots: an alpha=13-shaped composite plan (bootstraps before and inside activations)", { timeout: 120_000 }, async () => {
    const model = await loadModel("resnet20-fused");
    const sites = findActivationSites(model.graph);
    const image = randomImage(3 * 32 * 32, 11);
    const comps = [15, 15, 27].map((d, i) => chebyshevInterpolant((x) => Math.tanh((i + 2) * x), d));
    const odd = comps.map((c) => new ChebyshevPoly(c.coeffs.map((v: number, k: number) => (k % 2 ? v : 0)), -1, 1));
    const deep = compileCompositeRelu(odd, 40);
    const comp = compileHeProgram(model.graph, sites, new Map(sites.map((s) => [s.id, deep])), { slots: 1 << 14, levelsAfterBootstrap: 7 });
    expect(comp.summary.innerBootstraps).toBeGreaterThan(0);
    const r = checkProgram(comp, image);
    // stages 1..3 have periods 16384, 8192, 4096
    expect([...new Set(r.periods)].sort((a, b) => a - b)).toEqual([4096, 8192, 16384]);
    // before activations and inside them (the composite is deeper than a refresh), and before the classifier
    console.log(`ResNet-20 (alpha=13-shaped composite, L = 7) bootstraps by period: ${JSON.stringify(count(r.periods))}`);
  });
});

function count(xs: number[]): Record<number, number> {
  const c: Record<number, number> = {};
  for (const x of xs) c[x] = (c[x] ?? 0) + 1;
  return c;
}
