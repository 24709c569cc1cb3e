import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("ola he bootstrap", () => {
  it("rejects an unknown preset and partial slots with exit code 2", async () => {
    const a = await runCli(["he", "bootstrap", "--preset", "nope"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("--preset must be one of");
    const b = await runCli(["he", "bootstrap", "--preset", "boot-test-n12", "--slots", "100", "--allow-insecure"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("--slots must be a power of two");
    const b2 = await runCli(["he", "bootstrap", "--preset", "boot-test-n12", "--slots", "4096", "--allow-insecure"]);
    expect(b2.code).toBe(2);
    const c = await runCli(["he", "bootstrap", "--preset", "boot-test-n12", "--slots", "abc"]);
    expect(c.code).toBe(2);
  });

  it("refuses the insecure preset without --allow-insecure", async () => {
    const prev = process.env.OLA_ALLOW_INSECURE;
    delete process.env.OLA_ALLOW_INSECURE;
    try {
      const r = await runCli(["he", "bootstrap", "--preset", "boot-test-n12"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--allow-insecure");
    } finally {
      if (prev !== undefined) process.env.OLA_ALLOW_INSECURE = prev;
    }
  });

  it("bootstraps at N=2^12 (sparse, 512 slots) and prints one JSON document", async () => {
    const r = await runCli(["he", "bootstrap", "--preset", "boot-test-n12", "--slots", "512", "--allow-insecure", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    for (const k of ["preset", "slots", "minPrecisionBits", "meanPrecisionBits", "levelsLeft", "seconds", "peakRssBytes"]) expect(doc).toHaveProperty(k);
    expect(doc.preset).toBe("boot-test-n12");
    expect(doc.slots).toBe(512);
    expect(doc.meanPrecisionBits).toBeGreaterThanOrEqual(12);
    expect(doc.minPrecisionBits).toBeGreaterThan(8);
    expect(doc.levelsLeft).toBe(2);
    expect(doc.peakRssBytes).toBeGreaterThan(0);
    expect(r.stderr).toContain("bootstrap 1/1");
  });
});
