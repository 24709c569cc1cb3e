import { describe, expect, it } from "vitest";
import { estimateLweSecurity } from "@ola/ckks-runtime";
import { runCli } from "./run-cli.js";

describe("ola he security", () => {
  it("estimates the dense N = 2^15, log QP = 881 key at about 128 bits as one JSON document", async () => {
    const r = await runCli(["he", "security", "--n", "32768", "--logq", "881", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({ n: 32768, logQ: 881, sigma: 3.19, secret: { kind: "uniform-ternary" }, dropped: 0 });
    expect(d.bits).toBeGreaterThan(127);
    expect(d.bits).toBeLessThan(130);
    expect(d.attacks.map((a: { attack: string }) => a.attack)).toEqual(["primal-usvp", "dual", "mitm-key-search"]);
    expect(d.costModel).toMatch(/0\.292\*beta \+ 16\.4/);
  });

  it("reports the library's numbers for a sparse secret (h = 32, log q = 100), with the per-attack table in text mode", async () => {
    const want = estimateLweSecurity({ n: 32768, logQ: 100, secret: { kind: "sparse-ternary", hammingWeight: 32 } });
    const j = await runCli(["he", "security", "--n", "32768", "--logq", "100", "--hamming", "32", "--json"]);
    expect(j.code, j.stderr).toBe(0);
    const d = JSON.parse(j.stdout);
    expect(d.bits).toBeCloseTo(want.bits, 9);
    expect(d.attack).toBe(want.attack);
    expect(d.dropped).toBe(want.dropped);

    const t = await runCli(["he", "security", "--n", "32768", "--logq", "100", "--hamming", "32", "--sigma", "3.19"]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain(`${want.bits.toFixed(1)} bits`);
    expect(t.stdout).toMatch(/primal-usvp\+drop/);
    expect(t.stdout).toMatch(/not modelled: hybrid/);
  });

  it("--target reports the largest modulus that keeps the target (the HE standard row for a dense N = 2^13 key)", async () => {
    const r = await runCli(["he", "security", "--n", "8192", "--logq", "200", "--target", "128", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.target).toBe(128);
    expect(Math.abs(d.maxLogQ - 218)).toBeLessThan(3);
    expect(d.bits).toBeGreaterThan(128);
  });

  it("rejects bad arguments with exit code 2, naming the argument", async () => {
    const cases: [string[], RegExp][] = [
      [["--n", "abc", "--logq", "100"], /--n must be an integer in \[80, 1048576\], got 'abc'/],
      [["--n", "32768", "--logq", "-5"], /--logq must be a number in \[2, 10000\], got '-5'/],
      [["--n", "32768", "--logq", "100", "--hamming", "40000"], /--hamming must be an integer in \[1, 32768\], got '40000'/],
      [["--n", "32768", "--logq", "100", "--sigma", "0"], /--sigma must be a number/],
      [["--n", "32768", "--logq", "10", "--sigma", "1000"], /--sigma 1000 must be below q\/2/],
      [["--n", "32768", "--logq", "100", "--target", "x"], /--target must be a number in \[1, 1000\], got 'x'/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(["he", "security", ...args, "--json"]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe("");
    }
  });
});
