import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("ola models inspect", () => {
  it("prints exactly the issue's JSON for ResNet-20", async () => {
    const r = await runCli(["models", "inspect", "resnet20", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(["operators", "parameters", "activationSites"]);
    expect(doc.operators).toEqual({ Conv: 19, BatchNormalization: 19, Relu: 19, Add: 9, Slice: 4, Pad: 2, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
    expect(doc.parameters).toBe(269722);
    expect(doc.activationSites).toHaveLength(19);
    expect(doc.activationSites[0]).toEqual({ id: "00:/Relu", kind: "relu", shape: [-1, 16, 32, 32] });
    expect(doc.activationSites[18]).toEqual({ id: "18:/layer3/layer3.2/Relu_1", kind: "relu", shape: [-1, 64, 8, 8] });
  });

  it("lists the 8 GELU sites of the ConvNeXt in human mode", async () => {
    const r = await runCli(["models", "inspect", "convnext-cifar10"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/parameters\s+1,624,810/);
    expect(r.stdout).toMatch(/8 activation sites/);
    expect(r.stdout.split("\n").filter((l) => /^0\d:\S+\s+gelu\s+\[N,/.test(l))).toHaveLength(8);
    expect(r.stdout).toMatch(/LayerNormalization\s+13/);
  });

  it("unknown models and missing files fail with exit 1 and a message naming them", async () => {
    const r = await runCli(["models", "inspect", "resnet99"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown model 'resnet99'.*known models are .*resnet20/);
    const f = await runCli(["models", "inspect", "/tmp/definitely-missing.onnx", "--json"]);
    expect(f.code).toBe(1);
    expect(f.stdout).toBe("");
    expect(f.stderr).toMatch(/definitely-missing\.onnx/);
  });

  it("models list shows the registry with both reference accuracies", async () => {
    const r = await runCli(["models", "list", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const r20 = doc.models.find((m: { name: string }) => m.name === "resnet20");
    expect(r20.reference).toMatchObject({ "cifar10-test-lossless": 0.915, "cifar10-test": 0.8103 });
    expect(doc.datasets.map((d: { name: string }) => d.name)).toContain("cifar10-test-lossless");
    const h = await runCli(["models", "list"]);
    expect(h.stdout).toMatch(/resnet32\s+models\/resnet32\.onnx\s+13\s+92\.80%\s+82\.56%/);
  });
});
