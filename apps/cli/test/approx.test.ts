import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const cheb = (c: number[], a: number, b: number, x: number) => {
  const t = (2 * x - a - b) / (b - a);
  let b1 = 0;
  let b2 = 0;
  for (let k = c.length - 1; k >= 1; k--) [b1, b2] = [c[k]! + 2 * t * b1 - b2, b1];
  return c[0]! + t * b1 - b2;
};
const horner = (c: number[], x: number) => c.reduceRight((s, v) => s * x + v, 0);

describe("ola approx composite", () => {
  it("--json prints one document whose power-basis components give ReLU error <= 2^-alpha", async () => {
    const r = await runCli(["approx", "composite", "--alpha", "6", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(["alpha", "components", "degrees", "depth", "maxError", "nonScalarMultiplications"].sort());
    expect(doc.alpha).toBe(6);
    expect(doc.components.length).toBe(doc.degrees.length);
    doc.components.forEach((c: number[], i: number) => expect(c.length).toBe(doc.degrees[i] + 1));
    expect(doc.maxError).toBeLessThanOrEqual(2 ** -6);
    let m = 0;
    for (let i = 0; i <= 40000; i++) {
      const x = -1 + i / 20000;
      const p = doc.components.reduce((y: number, c: number[]) => horner(c, y), x);
      m = Math.max(m, Math.abs((x * (1 + p)) / 2 - Math.max(0, x)));
    }
    expect(m).toBeLessThanOrEqual(2 ** -6 * 1.0001);
    expect(r.stderr).toContain("alpha=6");
  });

  it("alpha 13 gives the published degrees 15, 15, 27", async () => {
    const r = await runCli(["approx", "composite", "--alpha", "13", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.degrees).toEqual([15, 15, 27]);
    expect(doc.depth).toBe(13);
    expect(doc.maxError).toBeLessThanOrEqual(2 ** -13);
  });

  it("rejects an alpha out of range with exit code 2", async () => {
    const r = await runCli(["approx", "composite", "--alpha", "40"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--alpha must be an integer in \[4, 16\]/);
  });
});

describe("ola approx fit", () => {
  it("gaussian density: JSON shape, coefficients evaluate to a good GELU fit", async () => {
    const r = await runCli(["approx", "fit", "--fn", "gelu", "--degree", "8", "--interval", "-4,4", "--samples", "gaussian:0,1", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(
      ["basis", "coefficients", "degree", "depth", "fn", "interval", "maxError", "nonScalarMultiplications", "weightedRmse"].sort(),
    );
    expect(doc).toMatchObject({ fn: "gelu", degree: 8, interval: [-4, 4], basis: "chebyshev", depth: 5 });
    expect(doc.coefficients.length).toBe(9);
    expect(doc.weightedRmse).toBeLessThan(1e-2);
    // GELU(1) = 0.8413447460685429
    expect(Math.abs(cheb(doc.coefficients, -4, 4, 1) - 0.8413447460685429)).toBeLessThan(2e-2);
  });

  it("reads .f32, .json and text sample files identically", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ola-approx-"));
    const vals = Array.from({ length: 200 }, (_, i) => Math.fround(Math.sin(i * 1.7) * 3));
    writeFileSync(join(dir, "s.f32"), Buffer.from(new Float32Array(vals).buffer));
    writeFileSync(join(dir, "s.json"), JSON.stringify(vals));
    writeFileSync(join(dir, "s.txt"), vals.join("\n"));
    const outs = [];
    for (const f of ["s.f32", "s.json", "s.txt"]) {
      const r = await runCli(["approx", "fit", "--fn", "relu", "--degree", "5", "--interval", "-3,3", "--samples", join(dir, f), "--json"]);
      expect(r.code).toBe(0);
      outs.push(JSON.parse(r.stdout));
    }
    expect(outs[1].coefficients).toEqual(outs[0].coefficients);
    expect(outs[2].coefficients).toEqual(outs[0].coefficients);
    writeFileSync(join(dir, "bad.txt"), "1 2 x 4");
    const bad = await runCli(["approx", "fit", "--fn", "relu", "--degree", "2", "--interval", "-3,3", "--samples", join(dir, "bad.txt")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.txt: token 3/);
  });

  it("bad arguments exit 2 and name the argument and the allowed range", async () => {
    const base = ["approx", "fit", "--fn", "relu", "--degree", "3", "--interval", "-1,1", "--samples", "gaussian:0,1"];
    const cases: [string[], RegExp][] = [
      [["--fn", "tanh"], /--fn must be one of relu, gelu, silu/],
      [["--degree", "64"], /--degree must be an integer in \[1, 63\]/],
      [["--interval", "2,1"], /--interval must be 'A,B' with A < B/],
      [["--samples", "gaussian:0,-1"], /SIGMA must be a number > 0/],
      [["--samples", "/no/such/file"], /--samples must be an existing file or gaussian:MU,SIGMA/],
    ];
    for (const [override, re] of cases) {
      const argv = [...base];
      argv[argv.indexOf(override[0]!) + 1] = override[1]!;
      const r = await runCli(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
    }
  });
});
