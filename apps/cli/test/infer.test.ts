import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";
import { writeTinyModelAndPlan } from "./tiny-he-model.js";

describe("ola infer", () => {
  const f = writeTinyModelAndPlan(3);
  afterAll(() => rmSync(f.dir, { recursive: true, force: true }));

  it("plaintext simulation only without --encrypted", async () => {
    const r = await runCli(["infer", "--model", f.model, "--plan", f.plan, "--images", "0..1", "--preset", "test", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.images).toHaveLength(2);
    expect(doc.images[0].plainLogits).toHaveLength(10);
    expect(doc.encrypted).toBe(false);
  });

  it("runs one CIFAR-10 image encrypted (leveled test preset, no bootstrap needed) and matches the plaintext simulation", { timeout: 240_000 }, async () => {
    const r = await runCli(["infer", "--model", f.model, "--plan", f.plan, "--images", "3", "--preset", "test", "--encrypted", "--allow-insecure", "--json", "--no-progress"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const im = doc.images[0];
    expect(im.index).toBe(3);
    expect(im.logits).toHaveLength(10);
    expect(im.bootstraps).toBe(0);
    expect(im.maxAbsError).toBeLessThan(1e-3);
    expect(im.argmaxAgrees).toBe(true);
    expect(im.secondsByKind.conv).toBeGreaterThan(0);
    expect(doc.peakRssBytes).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/client: generating evaluation keys/);
  });

  it("refuses a program that needs bootstraps on a leveled preset, and bad ranges", async () => {
    const r = await runCli(["infer", "--model", f.model, "--plan", f.plan, "--images", "0", "--preset", "test", "--levels", "2", "--encrypted", "--allow-insecure"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no bootstrapper/);
    const bad = await runCli(["infer", "--model", f.model, "--plan", f.plan, "--images", "5..2", "--preset", "test"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--images/);
  });
});
