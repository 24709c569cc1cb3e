import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Plan } from "@ola/optimizer";
import {
  activationDifference,
  bestValidatedAt,
  findStored,
  readLevelsState,
  statePath,
  withStored,
  writeLevelsState,
  levelRow,
  levelsMarkdown,
  memAvailableGb,
  parseLevelsList,
  parseLevelsOptions,
  planChoices,
  planModelSide,
  profileOnce,
  type CompiledSide,
  type OlaSide,
} from "../src/suites/levels.js";

const cli = { model: "resnet20", levels: "7,10,13,16,20", maxDrop: "0.5", bootstrapSeconds: "130", threads: "1", preset: "boot-n15-cnn", waitForMemory: "0", phase: "all" };

describe("levels suite: options", () => {
  it("parses the defaults", () => {
    expect(parseLevelsOptions(cli)).toEqual({ model: "resnet20", levels: [7, 10, 13, 16, 20], maxDrop: 0.5, bootstrapSeconds: 130, threads: 1, preset: "boot-n15-cnn", waitForMemoryGb: 0, phase: "all" });
  });
  it("sorts and de-duplicates the level list", () => {
    expect(parseLevelsList(" 16,7 ,16,10")).toEqual([7, 10, 16]);
  });
  it("names the argument and the allowed range on bad input", () => {
    expect(() => parseLevelsList("7,1")).toThrow(/--levels: '1' is not an integer in \[2, 60\]/);
    expect(() => parseLevelsList("7,,9")).toThrow(/--levels/);
    expect(() => parseLevelsList("7.5")).toThrow(/--levels: '7.5'/);
    expect(() => parseLevelsOptions({ ...cli, model: "vgg" })).toThrow(/--model must be one of resnet20, resnet32, got 'vgg'/);
    expect(() => parseLevelsOptions({ ...cli, maxDrop: "-1" })).toThrow(/--max-drop/);
    expect(() => parseLevelsOptions({ ...cli, maxDrop: "" })).toThrow(/--max-drop/);
    expect(() => parseLevelsOptions({ ...cli, bootstrapSeconds: "0" })).toThrow(/--bootstrap-seconds must be a positive number, got '0'/);
    expect(() => parseLevelsOptions({ ...cli, threads: "2.5" })).toThrow(/--threads/);
    expect(() => parseLevelsOptions({ ...cli, preset: "nope" })).toThrow(/--preset must be one of .*got 'nope'/);
    expect(() => parseLevelsOptions({ ...cli, waitForMemory: "-1" })).toThrow(/--wait-for-memory must be a number of GiB in \[0, 1024\], got '-1'/);
    expect(parseLevelsOptions({ ...cli, waitForMemory: "3.5" }).waitForMemoryGb).toBe(3.5);
    expect(parseLevelsOptions({ ...cli, phase: "compile" }).phase).toBe("compile");
    expect(parseLevelsOptions({ ...cli, note: "n" }).note).toBe("n");
    expect(parseLevelsOptions({ ...cli, phase: "model" }).phase).toBe("model");
    expect(() => parseLevelsOptions({ ...cli, phase: "both" })).toThrow(/--phase must be one of all, optimize, compile, model, got 'both'/);
  });
  it("reads MemAvailable from /proc/meminfo text", () => {
    expect(memAvailableGb("MemTotal:       24683520 kB\nMemFree:         1363968 kB\nMemAvailable:    3145728 kB\n")).toBe(3);
    expect(memAvailableGb("MemTotal: 1 kB\n")).toBeUndefined();
  });
});

const side = (bootstraps: number, predictedSeconds: number, planSeconds: number): CompiledSide => ({
  bootstraps,
  predictedSeconds,
  byKind: { linear: 10, activation: predictedSeconds - 10 - bootstraps * 130, bootstrap: bootstraps * 130 },
  planSeconds,
  planBootstraps: bootstraps,
});
const ola = (bootstraps: number, predictedSeconds: number, planSeconds: number, meets = true): OlaSide => ({
  ...side(bootstraps, predictedSeconds, planSeconds),
  top1: { "cifar10-test-lossless": 91.7, "cifar10-test": 81.56 },
  baselineTop1: { "cifar10-test-lossless": 92.0, "cifar10-test": 81.9 },
  meetsMaxDrop: meets,
  choices: { "Chebyshev d=7 (depth 3)": 15, "composite alpha=5 (depth 6)": 4 },
  optimizeSeconds: 101.4,
});

describe("levels suite: rows and report", () => {
  it("computes the ratios from the compiled and the optimiser's predictions", () => {
    const r = levelRow(7, side(57, 7600, 7400), ola(18, 2500, 2400));
    expect(r.ratio).toBeCloseTo(7600 / 2500, 12);
    expect(r.bootstrapRatio).toBeCloseTo(57 / 18, 12);
    expect(r.planRatio).toBeCloseTo(7400 / 2400, 12);
  });
  it("reports an infinite bootstrap ratio when OLA needs no bootstrap, and refuses a non-positive OLA time", () => {
    expect(levelRow(20, side(19, 3000, 2900), ola(0, 100, 90)).bootstrapRatio).toBe(Infinity);
    expect(() => levelRow(7, side(57, 7600, 7400), ola(18, 0, 2400))).toThrow(/L=7: the OLA plan's predicted time must be positive/);
  });
  it("renders one table row per L with the ratio, the top-1 drops and the explanation", () => {
    const rows = [levelRow(7, side(57, 7600, 7400), ola(18, 2500, 2400)), levelRow(16, side(19, 3000, 2900), ola(9, 1500, 1400, false))];
    const md = levelsMarkdown("resnet20", rows, { maxDrop: 0.5, bootstrapSeconds: 130, costModel: "analytic-n15", uniformStored: "built in memory" });
    const lines = md.split("\n");
    const row7 = lines.find((l) => l.startsWith("| 7 | 57 | 18 |"));
    expect(row7).toBeDefined();
    expect(row7).toContain("lossless 91.70% (0.30); JPEG 81.56% (0.34)");
    expect(row7).toContain(`**${(7600 / 2500).toFixed(2)}x**`);
    expect(lines.find((l) => l.startsWith("| 16 | 19 | 9 |"))).toContain("**no**");
    expect(md).toMatch(/L=7 is what our N=2\^15 bootstrapper/);
    expect(md).toMatch(/L >= 16/);
    expect(md).toContain("Chebyshev d=7 (depth 3) x15, composite alpha=5 (depth 6) x4");
    expect(md).not.toContain("Note:");
    expect(md).toContain("compiled at L by the ckks-runtime compiler");
    const modelOnly = levelsMarkdown("resnet20", [levelRow(7, { ...side(57, 7600, 7600), byKind: null }, { ...ola(18, 2500, 2500), byKind: null })], {
      maxDrop: 0.5, bootstrapSeconds: 130, costModel: "c", uniformStored: "u", source: "optimiser",
    });
    expect(modelOnly).toContain("**Not compiled in this report**");
    expect(modelOnly).not.toContain("compiled at L by the ckks-runtime compiler");
    expect(modelOnly.split("\n").find((l) => l.startsWith("| 7 | — | — |"))).toBeDefined();
    expect(levelsMarkdown("resnet20", rows, { maxDrop: 0.5, bootstrapSeconds: 130, costModel: "c", uniformStored: "u", note: "shared machine" })).toMatch(/\nNote: shared machine\n$/);
  });
});

const chebSite = (id: string, coefficients: number[]) => ({ id, kind: "relu" as const, depth: 2, interval: [-1, 1] as [number, number], basis: "chebyshev" as const, coefficients, degree: coefficients.length - 1 });
const compSite = (id: string, alpha: number) => ({ id, kind: "relu" as const, depth: 6, composite: { alpha, B: 40, components: [[0, 1.5, 0, -0.5]] } });
const plan = (sites: Plan["sites"]): Plan => ({ version: 1, model: { name: "m", sha256: "00" }, sites });

describe("levels suite: plan helpers", () => {
  it("finds the first site whose polynomial differs, ignoring predicted seconds", () => {
    const a = plan([chebSite("r0", [0.1, 0.5, 0.2]), compSite("r1", 5)]);
    const b = plan([{ ...chebSite("r0", [0.1, 0.5, 0.2]), seconds: 3 }, compSite("r1", 5)]);
    expect(activationDifference(a, b)).toBeUndefined();
    expect(activationDifference(a, plan([chebSite("r0", [0.1, 0.5, 0.25]), compSite("r1", 5)]))).toBe("sites[0] (r0): different polynomial");
    expect(activationDifference(a, plan([chebSite("r0", [0.1, 0.5, 0.2]), compSite("r1", 6)]))).toBe("sites[1] (r1): different polynomial");
    expect(activationDifference(a, plan([chebSite("r0", [0.1, 0.5, 0.2])]))).toBe("2 vs 1 sites");
  });
  it("takes a plan's side from its own prediction, and refuses a plan without one", () => {
    const p = { ...plan([compSite("r0", 13)]), predicted: { impact: 0, timeSeconds: 2500, bootstraps: 19 } };
    expect(planModelSide(p)).toEqual({ bootstraps: 19, predictedSeconds: 2500, byKind: null, planSeconds: 2500, planBootstraps: 19 });
    expect(() => planModelSide(plan([compSite("r0", 13)]))).toThrow(/has no predicted cost/);
  });
  it("counts the sites per chosen polynomial", () => {
    expect(planChoices(plan([chebSite("a", [0, 1, 1]), compSite("b", 5), chebSite("c", [1, 0, 2])]))).toEqual({
      "Chebyshev d=2 (depth 2)": 2,
      "composite alpha=5 (depth 6)": 1,
    });
  });
});

describe("levels suite: cheapest validated plan of any L", () => {
  it("picks the cheapest plan that met the max-drop, under the given cost", () => {
    const a = plan([compSite("r0", 13)]);
    const b = plan([chebSite("r0", [0, 1, 1])]);
    const c = plan([chebSite("r0", [0, 1])]);
    const cost = new Map<Plan, { seconds: number; bootstraps: number }>([
      [a, { seconds: 2400, bootstraps: 18 }],
      [b, { seconds: 1200, bootstraps: 9 }],
      [c, { seconds: 500, bootstraps: 3 }],
    ]);
    const best = bestValidatedAt(
      [
        { levels: 16, meetsMaxDrop: true, plan: a },
        { levels: 7, meetsMaxDrop: true, plan: b },
        { levels: 10, meetsMaxDrop: false, plan: c }, // cheapest, but outside the max-drop
      ],
      (p) => cost.get(p)!,
      2400,
    );
    expect(best).toEqual({ fromLevels: 7, bootstraps: 9, seconds: 1200, ratio: 2 });
    expect(bestValidatedAt([{ levels: 10, meetsMaxDrop: false, plan: c }], (p) => cost.get(p)!, 2400)).toBeUndefined();
  });
});

describe("levels suite: profile once", () => {
  it("profiles a model once across L and retries after a failure", async () => {
    let calls = 0;
    const model = { sha256: "abc" } as Parameters<ReturnType<typeof profileOnce>>[0];
    const sites = [{ id: "r0" }, { id: "r1" }] as Parameters<ReturnType<typeof profileOnce>>[1];
    const p = profileOnce(async () => {
      calls++;
      if (calls === 1) throw new Error("disk");
      return new Map([["r0", { min: -1, max: 1 }]]);
    });
    await expect(p(model, sites, 512)).rejects.toThrow("disk");
    const a = await p(model, sites, 512);
    const b = await p(model, sites, 512);
    expect(a).toBe(b);
    expect(calls).toBe(2);
    expect(p.calls()).toBe(2);
    await p(model, sites, 256); // another calibration size is another profile
    expect(calls).toBe(3);
  });
});

describe("levels suite: stored optimisations", () => {
  const run = (levels: number, maxDrop = 0.5) => ({
    levels,
    modelSha256: "abc",
    maxDrop,
    bootstrapSeconds: 130,
    planFile: `levels/resnet20-ola-L${levels}.plan.json`,
    meetsMaxDrop: true,
    optimizeSeconds: 100,
    date: "2026-11-26T10:00:00Z",
  });
  it("reuses a run only for the same L, model bytes, max-drop and bootstrap seconds", () => {
    const state = withStored(withStored({ model: "resnet20", runs: [] }, run(10)), run(7));
    expect(state.runs.map((r) => r.levels)).toEqual([7, 10]);
    const key = { modelSha256: "abc", maxDrop: 0.5, bootstrapSeconds: 130 };
    expect(findStored(state, 7, key)?.levels).toBe(7);
    expect(findStored(state, 13, key)).toBeUndefined();
    expect(findStored(state, 7, { ...key, maxDrop: 1 })).toBeUndefined();
    expect(findStored(state, 7, { ...key, bootstrapSeconds: 60 })).toBeUndefined();
    expect(findStored(state, 7, { ...key, modelSha256: "other" })).toBeUndefined();
    // a new run of the same L replaces the old one (one plan file per L)
    const again = withStored(state, run(7, 1));
    expect(again.runs).toHaveLength(2);
    expect(findStored(again, 7, key)).toBeUndefined();
    expect(findStored(again, 7, { ...key, maxDrop: 1 })?.maxDrop).toBe(1);
  });
  it("round-trips the state file and refuses another model's", () => {
    const dir = mkdtempSync(join(tmpdir(), "levels-state-"));
    try {
      expect(readLevelsState("resnet20", dir)).toEqual({ model: "resnet20", runs: [] });
      const state = withStored({ model: "resnet20", runs: [] }, run(16));
      writeLevelsState(state, dir);
      expect(readLevelsState("resnet20", dir)).toEqual(state);
      writeFileSync(statePath("resnet20", dir), JSON.stringify({ ...state, model: "resnet32" }));
      expect(() => readLevelsState("resnet20", dir)).toThrow(/resnet20-state.json: not a levels state file of model resnet20/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
