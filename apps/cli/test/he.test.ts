import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("ola he params", () => {
  it("describes n15 as one JSON document", async () => {
    const r = await runCli(["he", "params", "--preset", "n15", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({ preset: "n15", N: 32768, logQP: 880, levels: 19, logScale: 40, secure128: true, insecure: false });
    expect(d.securityBits).toBeGreaterThanOrEqual(128);
    expect(d.primes).toHaveLength(21);
    expect(d.keySwitchingKeyBytes).toBe(20 * 2 * 21 * 32768 * 8);
  });

  it("flags the test preset as insecure and prints a human table", async () => {
    const r = await runCli(["he", "params", "--preset", "test"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/BELOW 128 bits: insecure/);
    expect(r.stderr).toMatch(/insecure/);
  });

  it("rejects an unknown preset with exit code 2", async () => {
    const r = await runCli(["he", "params", "--preset", "n99", "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--preset must be one of test, n15, n16, got 'n99'/);
    expect(r.stdout).toBe("");
  });
});

describe("ola he poly", () => {
  it("refuses the insecure test preset without --allow-insecure", async () => {
    const prev = process.env.OLA_ALLOW_INSECURE;
    delete process.env.OLA_ALLOW_INSECURE;
    try {
      const r = await runCli(["he", "poly", "--preset", "test", "--fn", "relu", "--degree", "7", "--interval", "-4,4", "--json"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/preset 'test' is insecure .*--allow-insecure/);
    } finally {
      if (prev !== undefined) process.env.OLA_ALLOW_INSECURE = prev;
    }
  });

  it("validates --degree and --interval", async () => {
    let r = await runCli(["he", "poly", "--preset", "test", "--fn", "relu", "--degree", "0", "--interval", "-4,4", "--allow-insecure"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--degree must be an integer in \[1, 255\]/);
    r = await runCli(["he", "poly", "--preset", "test", "--fn", "tanh", "--degree", "7", "--interval", "-4,4", "--allow-insecure"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fn must be one of relu, gelu/);
    r = await runCli(["he", "poly", "--preset", "test", "--fn", "relu", "--degree", "7", "--interval", "4,-4", "--allow-insecure"]);
    expect(r.code).toBe(2);
  });

  it("evaluates a degree-15 ReLU fit encrypted and reports precision, levels, time and prediction", async () => {
    const r = await runCli(["he", "poly", "--preset", "test", "--fn", "relu", "--degree", "15", "--interval", "-8,8", "--allow-insecure", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.precisionBits).toBeGreaterThan(18);
    expect(d.levelsUsed).toBe(d.programDepth);
    expect(d.levelsUsed).toBe(5);
    expect(d.seconds).toBeGreaterThan(0);
    expect(d.predictedSeconds).toBeGreaterThan(0);
    expect(d.costsSource).toBe("calibrated now");
  });
});

describe("ola he calibrate", () => {
  const dir = mkdtempSync(join(tmpdir(), "ola-cli-he-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("measures every level into a cost table, writes it atomically, and he poly reuses it", async () => {
    const out = join(dir, "costs.json");
    const r = await runCli(["he", "calibrate", "--preset", "test", "--allow-insecure", "--repeats", "1", "--clock", "cpu", "--out", out, "--json", "--no-progress"]);
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t).toMatchObject({ version: 1, preset: "test", N: 8192, logScale: 40 });
    expect(t.levels).toHaveLength(17);
    expect(t.measured).toMatchObject({ repeats: 1, clock: "cpu" });
    expect(t.levels.map((l: { level: number }) => l.level)).toEqual([...Array(17).keys()]);
    for (const l of t.levels) {
      expect(l.primes).toBe(l.level + 1);
      expect(l.seconds.mulRelin).toBeGreaterThan(0);
      expect(l.seconds.add).toBeGreaterThan(0);
    }
    // Key switching is superlinear in the number of primes.
    expect(t.levels[16].seconds.mulRelin).toBeGreaterThan(t.levels[1].seconds.mulRelin);
    expect(existsSync(out)).toBe(true);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(t);
    const p = await runCli(["he", "poly", "--preset", "test", "--fn", "gelu", "--degree", "3", "--interval", "-4,4", "--allow-insecure", "--costs", out, "--clock", "cpu", "--json"]);
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ costsSource: out, clock: "cpu" });
    expect(p.stderr).not.toMatch(/warning/);
  });

  it("rejects a cost table of another preset", async () => {
    const out = join(dir, "other.json");
    const fake = { version: 1, preset: "n15", N: 32768, logScale: 40, levels: [] };
    await import("node:fs").then((fs) => fs.writeFileSync(out, JSON.stringify(fake)));
    const r = await runCli(["he", "poly", "--preset", "test", "--fn", "gelu", "--degree", "7", "--interval", "-4,4", "--allow-insecure", "--costs", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/measured for preset 'n15'/);
  });
});
