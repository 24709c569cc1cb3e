import { describe, expect, it } from "vitest";
import { findActivationSites, loadModel } from "@ola/models";
import { listSites, type LevelStage } from "@ola/dp";
import { networkStages } from "../src/structure.js";

const count = (stages: LevelStage[], kind: string): number =>
  stages.reduce((n, s) => n + (s.kind === kind ? 1 : 0) + (s.kind === "residual" ? count(s.main, kind) + count(s.skip, kind) : 0), 0);

describe("network structure for the level-aware DP", () => {
  for (const [name, blocks, convs] of [["resnet20", 9, 19], ["resnet32", 15, 31]] as const) {
    it(`${name}: a chain with ${blocks} residual blocks, every ReLU a site in topological order`, async () => {
      const m = await loadModel(name);
      const sites = findActivationSites(m.graph);
      const stages = networkStages(m.graph, sites, (id) => ({ kind: "site", name: id, options: [{ depth: 1, weight: 0, cost: 0 }] }));
      expect(count(stages, "residual")).toBe(blocks);
      expect(count(stages, "site")).toBe(sites.length);
      // 19 (31) convs + the final Gemm consume a level each
      expect(count(stages, "linear")).toBe(convs + 1);
      expect(listSites(stages).map((s) => s.name)).toEqual(sites.map((s) => s.id));
      // identity shortcuts have empty skip branches; option-A shortcuts (slice + pad) consume no level
      for (const s of stages) if (s.kind === "residual") expect(count(s.skip, "site") + count(s.skip, "linear")).toBe(0);
    });
  }
});
