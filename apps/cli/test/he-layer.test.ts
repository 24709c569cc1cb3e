import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("ola he layer", () => {
  // The pooled classifier is the cheapest real layer at the test preset (the stage-3 convolutions are
  // covered encrypted in packages/ckks-runtime/test/linear-resnet.test.ts).
  it("runs ResNet-20's avgpool+FC encrypted at the test preset and matches onnxruntime", async () => {
    const r = await runCli(["he", "layer", "--model", "resnet20", "--layer", "/linear/Gemm", "--preset", "test", "--allow-insecure", "--level", "1", "--json", "--no-progress"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ model: "resnet20", kind: "avgpoolFc", preset: "test", N: 8192, levelIn: 1, levelOut: 0, levels: 1 });
    expect(doc.maxAbsError).toBeLessThan(1e-3);
    expect(doc.maxAbsReference).toBeGreaterThan(0.1);
    expect(doc.seconds).toBeGreaterThan(0);
  });

  it("lists the layers", async () => {
    const r = await runCli(["he", "layer", "--model", "resnet20", "--layer", "list", "--preset", "test", "--allow-insecure", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).layers.length).toBe(22);
  });

  it("usage errors: unknown layer, layer too large for the preset, insecure preset without the flag", async () => {
    const a = await runCli(["he", "layer", "--model", "resnet20", "--layer", "/nope", "--preset", "test", "--allow-insecure"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--layer: no linear layer '\/nope'.*layers: 0=\/conv1\/Conv/);
    const b = await runCli(["he", "layer", "--model", "resnet20", "--layer", "/conv1/Conv", "--preset", "test", "--allow-insecure"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/needs 16384 slots, only 4096/);
    const c = await runCli(["he", "layer", "--model", "resnet20", "--layer", "0", "--preset", "test"]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/insecure/);
  });
});
