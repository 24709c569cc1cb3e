import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";
import { writeTinyModelAndPlan } from "./tiny-he-model.js";

describe("ola compile", () => {
  const f = writeTinyModelAndPlan(2);
  afterAll(() => rmSync(f.dir, { recursive: true, force: true }));

  it("prints levels, bootstraps and rotations as JSON (3 levels per refresh)", async () => {
    const r = await runCli(["compile", "--model", f.model, "--plan", f.plan, "--preset", "test", "--levels", "3", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.levelsAfterBootstrap).toBe(3);
    // encrypt at 2 -> conv -> 1; the depth-d activation needs a refresh first (d = 2 for degree 3 with its affine map,
    // or deeper); afterwards the classifier needs one more level
    const steps = doc.program.steps;
    expect(steps.map((s: { kind: string }) => s.kind)[0]).toBe("encrypt");
    const act = steps.find((s: { kind: string }) => s.kind === "activation");
    expect(act.depth).toBe(f.depth);
    // hand count for depth 3 (degree 2 and the affine map): encrypt at 3, conv -> 2; refresh before the
    // activation (2 < 3 levels), activation 3 -> 0, refresh before the classifier (needs 1)
    expect(f.depth).toBe(3);
    expect(doc.bootstraps).toBe(2);
    expect(doc.rotations).toBeGreaterThan(0);
    expect(doc.predictedSeconds).toBeGreaterThan(0);
  });

  it("prints a table and names a missing plan site / bad preset", async () => {
    const r = await runCli(["compile", "--model", f.model, "--plan", f.plan, "--preset", "test"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bootstraps: \d+/);
    expect(r.stdout).toMatch(/conv/);
    const bad = await runCli(["compile", "--model", f.model, "--plan", f.plan, "--preset", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--preset must be one of/);
  });
});
