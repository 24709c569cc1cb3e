// The ConvNeXt reproduction end to end on small image counts (the full run is `pnpm bench
// reproduce-convnext`): the real model and data, every configuration evaluated, against an
// independent evaluation of the original model.
import { describe, expect, it } from "vitest";
import { evaluateModel, loadModel, openDataset } from "@ola/models";
import { analyticCostModel } from "@ola/optimizer";
import { gelu, relu } from "@ola/poly";
import { histogramWlsFitter as fitter } from "../src/convnext/fitter.js";
import { reproduceConvnext } from "../src/convnext/reproduce.js";
import { reproduceMarkdown, reproduceSvg } from "../src/convnext/report.js";

describe("reproduceConvnext (convnext-cifar10, small sets)", () => {
  it("OLA degree-3 keeps the original's accuracy, uniform degree-3 collapses; costs and frontier are consistent", async () => {
    const logs: string[] = [];
    const r = await reproduceConvnext({
      model: "convnext-cifar10",
      calibImages: 64,
      calibDataset: "cifar10-train",
      impactImages: 16,
      impactDataset: "cifar10-train-lossless",
      testSets: [
        { name: "cifar10-test-lossless", limit: 100 },
        { name: "cifar10-test", limit: 100 },
      ],
      fitDegrees: [2, 3],
      dpDegrees: [2, 3],
      highDegree: 5,
      margin: 0.05,
      marginSweep: [0.05, 0.5],
      budgetFactors: [1],
      threads: 2,
      costModel: analyticCostModel(),
      fitter,
      exact: { gelu, relu },
      log: (m) => logs.push(`${(performance.now() / 1000).toFixed(1)} ${m}`),
    });
    expect(r.sites).toHaveLength(8);
    expect(r.sites.every((s) => s.kind === "gelu" && s.min < 0 && s.max > 0)).toBe(true);
    expect(r.uniformRange).toBe(Math.ceil(Math.max(...r.sites.map((s) => Math.max(-s.min, s.max)))));

    // the original row equals an independent evaluation of the unmodified model
    const m = await loadModel("convnext-cifar10");
    const ds = openDataset("cifar10-test-lossless");
    const ref = await evaluateModel(m.bytes, ds, { normalization: m.normalization, threads: 2, limit: 100 });
    ds.close();
    const [orig, ola3, ls3, mm3, lsHi, mmHi] = r.configs;
    expect(orig!.kind).toBe("original");
    expect(orig!.top1["cifar10-test-lossless"]).toBeCloseTo(100 * ref.top1, 10);
    expect(orig!.images).toEqual({ "cifar10-test-lossless": 100, "cifar10-test": 100 });

    expect(ola3!.kind).toBe("ola");
    expect(ola3!.degrees).toEqual(Array(8).fill(3));
    expect(ola3!.maxDepth).toBe(3);
    expect(ola3!.nonScalarMultiplications).toBe(16);
    expect(ls3!.kind).toBe("uniform-ls");
    expect(mm3!.kind).toBe("uniform-minimax");
    expect(lsHi!.degrees).toEqual(Array(8).fill(5));
    expect(mmHi!.kind).toBe("uniform-minimax");
    // same degree everywhere: same depth and bootstraps for OLA and uniform degree 3 (the programs
    // differ only in the affine map's additions: [-R, R] is symmetric)
    expect(ls3!.maxDepth).toBe(3);
    expect(ls3!.predicted!.bootstraps).toBe(ola3!.predicted!.bootstraps);
    expect(Math.abs(ls3!.predicted!.seconds - ola3!.predicted!.seconds)).toBeLessThan(0.01 * ola3!.predicted!.seconds);
    for (const set of ["cifar10-test-lossless", "cifar10-test"]) {
      expect(ola3!.top1[set]!).toBeGreaterThanOrEqual(orig!.top1[set]! - 6);
      expect(ls3!.top1[set]!).toBeLessThan(orig!.top1[set]! - 20);
      expect(mm3!.top1[set]!).toBeLessThan(orig!.top1[set]! - 20);
    }

    // the DP frontier: weight ascending, predicted DP cost descending (Pareto); the budget-1 plan is no costlier than OLA-3
    expect(r.dp.form).toBe("level-aware");
    for (let i = 1; i < r.dp.frontier.length; i++) expect(r.dp.frontier[i]!.kl).toBeGreaterThan(r.dp.frontier[i - 1]!.kl);
    const dp = r.configs.filter((c) => c.kind === "dp");
    expect(dp.length).toBe(1);
    expect(dp[0]!.predictedKl!).toBeLessThanOrEqual(ola3!.predictedKl! * (1 + 1e-12));
    expect(r.impacts).toHaveLength(8 * 2);
    // a wide fit interval wastes the cubic's freedom on inputs that never occur (measured on the training impact set)
    expect(r.marginSweep.map((m) => m.margin)).toEqual([0.05, 0.5]);
    expect(r.marginSweep[0]!.kl).toBeLessThan(r.marginSweep[1]!.kl);
    expect(r.fits.filter((f) => f.fit === "ola-wls")).toHaveLength(8 * 2);
    // WLS under the distribution beats a distribution-free fit of the same degree in weighted RMSE
    for (const s of r.sites) {
      const o = r.fits.find((f) => f.site === s.id && f.fit === "ola-wls" && f.degree === 3)!;
      const u = r.fits.find((f) => f.site === s.id && f.fit === "uniform-ls" && f.degree === 3)!;
      expect(o.weightedRmse).toBeLessThan(u.weightedRmse);
    }

    const md = reproduceMarkdown(r, null, "x.svg");
    expect(md).toContain("| OLA: per-site WLS, degree 3 | 3,3,3,3,3,3,3,3 | 3 | 16 |");
    const svg = reproduceSvg(r, gelu);
    expect(svg.match(/<polyline /g)!.length).toBe(8 * 4);
    expect(logs.some((l) => l.includes("DP (level-aware)"))).toBe(true);
  }, 110_000);
});
