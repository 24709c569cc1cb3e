import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
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

  it("--checkpoint: a run stopped after a step resumes in a new invocation with the same result", { timeout: 240_000 }, async () => {
    const ck = join(f.dir, "ckpt");
    const base = ["infer", "--model", f.model, "--plan", f.plan, "--images", "3", "--preset", "test", "--encrypted", "--allow-insecure", "--json", "--no-progress", "--checkpoint", ck];
    const first = await runCli([...base, "--stop-after-step", "1"]);
    expect(first.code, first.stderr).toBe(0);
    const d1 = JSON.parse(first.stdout);
    expect(d1.stopped).toEqual({ image: 3, afterStep: 1 });
    expect(d1.images).toHaveLength(0);
    expect(first.stderr).toMatch(/stopped after step 1/);
    expect(readdirSync(ck)).toContain("client-secret-key.bin");
    expect(existsSync(join(ck, "image-3", "checkpoint.json"))).toBe(true);
    const second = await runCli(base);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/secret key restored/);
    expect(second.stderr).toMatch(/image 3: resuming from .* at step 2\//);
    const d2 = JSON.parse(second.stdout);
    expect(d2.stopped).toBeNull();
    const im = d2.images[0];
    expect(im.resumes).toBe(1);
    expect(im.logits).toHaveLength(10);
    expect(im.maxAbsError).toBeLessThan(1e-3);
    expect(im.argmaxAgrees).toBe(true);
    expect(im.seconds).toBeGreaterThan(0);
    expect(im.cpuSeconds).toBeGreaterThan(0);
    // another plan on the same checkpoint: refused, naming what differs
    const other = writeTinyModelAndPlan(5);
    try {
      const bad = await runCli(["infer", "--model", other.model, "--plan", other.plan, "--images", "3", "--preset", "test", "--encrypted", "--allow-insecure", "--no-progress", "--checkpoint", ck]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/belongs to another run: the program differs/);
      expect(bad.stderr).not.toMatch(/generating evaluation keys/); // refused before the key generation
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
    // usage: stopping without a checkpoint would lose the run
    const usage = await runCli(["infer", "--model", f.model, "--plan", f.plan, "--images", "3", "--preset", "test", "--encrypted", "--allow-insecure", "--stop-after-step", "1"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--stop-after-step\/--stop-after-seconds need --checkpoint/);
  });

  it("--sparse-bootstraps needs --encrypted", async () => {
    const r = await runCli(["infer", "--model", f.model, "--plan", f.plan, "--images", "0", "--sparse-bootstraps"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sparse-bootstraps needs --encrypted/);
  });

  it("--bootstrap-threads is 1 or 2; it and --bootstrap-diagonals need --encrypted", async () => {
    const a = await runCli(["infer", "--model", f.model, "--plan", f.plan, "--images", "0", "--bootstrap-threads", "2"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--bootstrap-threads needs --encrypted/);
    const b = await runCli(["infer", "--model", f.model, "--plan", f.plan, "--images", "0", "--encrypted", "--preset", "test", "--allow-insecure", "--bootstrap-threads", "4"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--bootstrap-threads must be an integer in \[1, 2\], got '4'/);
    const c = await runCli(["infer", "--model", f.model, "--plan", f.plan, "--images", "0", "--bootstrap-diagonals", "3"]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--bootstrap-diagonals needs --encrypted/);
  });
});
