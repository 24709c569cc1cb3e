import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "@ola/models";
import { loadProfile } from "@ola/profile";
import { runCli } from "./run-cli.js";

describe("ola profile", () => {
  const dir = mkdtempSync(join(tmpdir(), "ola-cli-profile-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("profiles ResNet-20 on 16 images, writes a loadable profile and prints one JSON document", async () => {
    const out = join(dir, "profile.json");
    const r = await runCli(["profile", "--model", "resnet20", "--calib", "16", "--batch-size", "8", "--out", out, "--json", "--no-progress"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.sites).toHaveLength(19);
    expect(doc.calibration).toMatchObject({ dataset: "cifar10-train", images: 16, seed: 0 });
    expect(doc.out).toBe(out);
    const model = await loadModel("resnet20");
    const p = loadProfile(out, { expectedSha256: model.sha256 });
    expect(p.sites.map((s) => s.stats.min)).toEqual(doc.sites.map((s: { min: number }) => s.min));
    expect(p.sites[0]!.stats.count).toBe(16 * 16 * 32 * 32);
  });

  it("prints a table and a progress bar in human mode", async () => {
    const r = await runCli(["profile", "--model", "resnet20", "--calib", "4", "--seed", "none"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^site\s+kind\s+min/);
    expect(r.stdout.split("\n").filter((l) => /^\d\d:/.test(l))).toHaveLength(19);
    expect(r.stderr).toMatch(/profile resnet20/);
    expect(r.stderr).toMatch(/19 sites, 4 images/);
  });

  it("rejects bad arguments with exit code 2 naming the argument, and unknown models with 1", async () => {
    const bad = await runCli(["profile", "--model", "resnet20", "--calib", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--calib must be an integer in \[1, 1000000\], got '0'/);
    const unknown = await runCli(["profile", "--model", "no-such-model", "--calib", "4", "--out", join(dir, "x.json")]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown model 'no-such-model'/);
    expect(existsSync(join(dir, "x.json"))).toBe(false);
  });
});
