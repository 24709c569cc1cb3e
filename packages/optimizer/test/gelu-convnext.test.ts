// GELU sites through the optimiser's generic pieces, on the ConvNeXt reference export (any
// ConvNeXt-style graph: the assertions are derived from the graph, not from this file's layout):
// level-aware structure, GELU candidates, the plan format and applying a plan in plaintext.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listSites, type LevelStage } from "@ola/dp";
import { OnnxRunner, findActivationSites, loadModel, normalizeImages, openDataset, selectIndices } from "@ola/models";
import { ChebyshevPoly, gelu, wlsFit } from "@ola/poly";
import { fitCandidates, type SiteDistribution, type WlsFitter } from "../src/candidates.js";
import { PLAN_VERSION, readPlan, writePlan, type Plan } from "../src/plan.js";
import { planSiteFor } from "../src/candidates.js";
import { planPrograms } from "../src/plan-programs.js";
import { networkStages } from "../src/structure.js";
import { applyPlan } from "../src/validate.js";

const count = (stages: LevelStage[], kind: string): number =>
  stages.reduce((n, s) => n + (s.kind === kind ? 1 : 0) + (s.kind === "residual" ? count(s.main, kind) + count(s.skip, kind) : 0), 0);

/** WLS of the exact activation under the histogram (@ola/poly). */
const fitter: WlsFitter = (kind, dist, degree, interval) => {
  const h = dist.histogram!;
  const n = h.counts.length;
  const edges = Float64Array.from({ length: n + 1 }, (_, i) => h.lo + ((h.hi - h.lo) * i) / n);
  const fit = wlsFit({ target: kind, degree, interval, distribution: { kind: "histogram", edges, counts: h.counts }, floorWeight: 1e-3 });
  return { series: fit.poly, weightedRmse: fit.weightedRmse, maxError: fit.maxError };
};

/** A flat histogram on [-R, R]. */
const flat = (R: number): SiteDistribution => ({ min: -R, max: R, histogram: { lo: -R, hi: R, counts: new Float64Array(512).fill(1) } });

describe("GELU sites (convnext-cifar10)", () => {
  it("the level-aware structure: every GELU a site inside a residual block's main branch, linear ops counted", async () => {
    const m = await loadModel("convnext-cifar10");
    const sites = findActivationSites(m.graph);
    expect(sites.length).toBeGreaterThan(0);
    expect(sites.every((s) => s.kind === "gelu")).toBe(true);
    const stages = networkStages(m.graph, sites, (id) => ({ kind: "site", name: id, options: [{ depth: 3, weight: 0, cost: 0 }] }));
    expect(listSites(stages).map((s) => s.name)).toEqual(sites.map((s) => s.id));
    const levelOps = m.graph.nodes.filter((n) => n.opType === "Conv" || n.opType === "MatMul" || n.opType === "Gemm").length;
    expect(count(stages, "linear")).toBe(levelOps);
    const residuals = stages.filter((s): s is Extract<LevelStage, { kind: "residual" }> => s.kind === "residual");
    expect(residuals.length).toBe(sites.length);
    for (const r of residuals) {
      expect(count(r.main, "site")).toBe(1);
      expect(count(r.skip, "site") + count(r.skip, "linear")).toBe(0);
      // the inverted bottleneck: a linear step before and after the GELU
      const i = r.main.findIndex((s) => s.kind === "site");
      expect(r.main.slice(0, i).some((s) => s.kind === "linear")).toBe(true);
      expect(r.main.slice(i + 1).some((s) => s.kind === "linear")).toBe(true);
    }
  });

  it("GELU candidates become Chebyshev plan sites; the plan round-trips and, applied, matches the exact model", async () => {
    const m = await loadModel("convnext-cifar10");
    const sites = findActivationSites(m.graph);
    const [c3] = fitCandidates("gelu", { min: -4, max: 4, samples: [], histogram: flat(4).histogram! }, [3], 0.05, fitter);
    expect(c3!.spec).toMatchObject({ family: "chebyshev", degree: 3 });
    expect(c3!.cost.depth).toBe(3);
    // an accurate polynomial on a range covering the profiled inputs: the plan must reproduce the exact logits
    const [accurate] = fitCandidates("gelu", flat(16), [63], 0, fitter);
    if (accurate!.spec.family !== "chebyshev") throw new Error("expected a Chebyshev candidate");
    const series = new ChebyshevPoly(accurate!.spec.coefficients, -16, 16);
    let fitErr = 0;
    for (let i = 0; i <= 320; i++) fitErr = Math.max(fitErr, Math.abs(series.evaluate(-16 + 0.1 * i) - gelu(-16 + 0.1 * i)));
    expect(fitErr).toBeLessThan(1e-3);
    const plan: Plan = {
      version: PLAN_VERSION,
      model: { name: m.name, sha256: m.sha256 },
      sites: sites.map((s) => planSiteFor(s, accurate!)),
    };
    expect(plan.sites.every((s) => "basis" in s && s.basis === "chebyshev" && s.kind === "gelu" && s.interval[0] === -16 && s.interval[1] === 16)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "ola-gelu-"));
    try {
      writePlan(join(dir, "plan.json"), plan);
      const back = readPlan(join(dir, "plan.json"));
      expect(back.sites).toEqual(plan.sites);
      expect(planPrograms(back).map((p) => p.program.cost.depth)).toEqual(sites.map(() => accurate!.cost.depth));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // apply and compare logits on a few test images with the exact model
    const ds = openDataset("cifar10-test-lossless");
    const b = ds.read(selectIndices(ds.count, { limit: 16 }));
    ds.close();
    const input = { data: normalizeImages(b.images, m.normalization), dims: [16, 3, 32, 32] };
    const exact = await OnnxRunner.create(m.bytes, { threads: 1 });
    const approx = await OnnxRunner.create(applyPlan(m, plan), { threads: 1 });
    try {
      const name = exact.inputNames[0]!;
      const e = (await exact.run({ [name]: input })) as Record<string, { data: Float32Array }>;
      const a = (await approx.run({ [name]: input })) as Record<string, { data: Float32Array }>;
      const out = Object.keys(e)[0]!;
      let maxDiff = 0;
      for (let i = 0; i < e[out]!.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(e[out]!.data[i]! - a[out]!.data[i]!));
      expect(maxDiff).toBeLessThan(1e-2);
    } finally {
      await exact.release();
      await approx.release();
    }
  }, 60_000);
});
