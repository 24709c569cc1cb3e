import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPlan } from "@ola/optimizer";
import { runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "ola-optimize-"));

describe("ola optimize", () => {
  it("rejects bad arguments with exit code 2, naming the argument", async () => {
    const r = await runCli(["optimize", "--model", "resnet20", "--max-drop", "abc"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-drop/);
    const a = await runCli(["optimize", "--model", "resnet20", "--uniform-alpha", "20"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--uniform-alpha must be an integer in \[4, 14\]/);
    const d = await runCli(["optimize", "--model", "resnet20", "--degrees", "3..x"]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--degrees/);
    const m = await runCli(["optimize", "--model", "resnet20", "--margins", "0,x"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--margins/);
    const both = await runCli(["optimize", "--model", "resnet20", "--margin", "0.1", "--margins", "0,0.5"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --margin or --margins/);
  });

  it("--uniform-alpha 13 --range 40 writes the baseline plan (every ReLU the composite) and eval --plan runs it", async () => {
    const out = join(dir, "baseline.json");
    const r = await runCli(["optimize", "--model", "resnet20", "--uniform-alpha", "13", "--range", "40", "--no-validate", "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const plan = readPlan(out);
    expect(doc.plan).toEqual(plan);
    expect(plan.sites).toHaveLength(19);
    for (const s of plan.sites) {
      expect("composite" in s && s.composite.alpha === 13 && s.composite.B === 40).toBe(true);
      expect(s.depth).toBe(plan.sites[0]!.depth);
    }
    expect(plan.predicted!.bootstraps).toBeGreaterThan(19);
    const exact = await runCli(["eval", "--model", "resnet20", "--limit", "100", "--json", "--threads", "2"]);
    const withPlan = await runCli(["eval", "--model", "resnet20", "--plan", out, "--limit", "100", "--json", "--threads", "2"]);
    expect(withPlan.code, withPlan.stderr).toBe(0);
    const e = JSON.parse(exact.stdout), p = JSON.parse(withPlan.stdout);
    // alpha=13 on [-40, 40]: max error 40 * 2^-13 per ReLU; the top-1 stays within 2 images of 100
    expect(Math.abs(p.top1 - e.top1)).toBeLessThanOrEqual(0.02);
    expect(p.reference).toBeNull();
    // a plan for another model is refused
    const other = await runCli(["eval", "--model", "resnet32", "--plan", out, "--limit", "10"]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/plan is for model resnet20/);
  });

  it("runs the whole pipeline on ResNet-20 with a small calibration/impact set and two degrees", async () => {
    const out = join(dir, "plan.json");
    const report = join(dir, "report.md");
    const r = await runCli([
      "optimize", "--model", "resnet20", "--calib", "64", "--impact", "40", "--degrees", "7,15", "--margins", "0,0.5", "--alphas", "none",
      "--validation-limit", "100", "--screen", "100", "--max-drop", "100", "--out", out, "--report", report, "--json", "--no-progress",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const plan = readPlan(out);
    expect(plan.sites).toHaveLength(19);
    for (const s of plan.sites) {
      expect("degree" in s && [7, 15].includes(s.degree)).toBe(true);
      expect(s.impact).toBeGreaterThanOrEqual(0);
    }
    expect(plan.validated!.images).toEqual({ "cifar10-test-lossless": 100, "cifar10-test": 100 });
    expect(doc.report.meetsMaxDrop).toBe(true);
    expect(doc.report.frontier.length).toBeGreaterThan(0);
    expect(doc.report.dp.form).toBe("level-aware");
    expect(doc.report.additivity.predictedKl).toBeCloseTo(plan.predicted!.impact, 12);
    // with --max-drop 100 every point passes: the fastest frontier point is chosen
    expect(doc.report.chosenFrontierIndex).toBe(doc.report.frontier.length - 1);
    const md = readFileSync(report, "utf8");
    expect(md).toMatch(/## Pareto frontier/);
    // the command as the user typed it, once
    expect(md).toMatch(/^ola optimize --model resnet20 --calib 64 /m);
    expect(md).not.toMatch(/optimize optimize/);
    // every degree at both margins; per (site, degree) the margin screen (first 32 of the 40 impact
    // images) keeps one for the DP, measured on all 40
    for (const s of doc.report.sites) {
      expect(s.candidates.map((c: { label: string }) => c.label)).toEqual(["deg 7 m0", "deg 7 m0.5", "deg 15 m0", "deg 15 m0.5"]);
      for (const deg of [7, 15]) {
        const pair = s.candidates.filter((c: { degree: number }) => c.degree === deg);
        const measured = pair.filter((c: { kl: number | null }) => c.kl !== null && Number.isFinite(c.kl));
        expect(measured.length).toBeLessThanOrEqual(1);
        if (measured.length === 1) {
          // the kept one had the smaller screened KL
          expect(measured[0].screenKl).toBe(Math.min(...pair.map((c: { screenKl: number }) => c.screenKl)));
        }
      }
      expect([0, 0.5]).toContain(s.chosen.margin);
    }
  });
});
