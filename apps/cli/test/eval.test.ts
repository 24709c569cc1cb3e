import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveDataDir } from "@ola/models";
import { runCli } from "./run-cli.js";

describe("ola eval", () => {
  it("ResNet-20 on the lossless file gives the reference 91.50% as one JSON document", async () => {
    const r = await runCli(["eval", "--model", "resnet20", "--threads", "2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ model: "resnet20", images: 1000, top1: 0.915, correct: 915, dataset: "cifar10-test-lossless", reference: 0.915, threads: 2 });
    expect(doc.imagesPerSecond).toBeGreaterThan(0);
  });

  it("--data, --limit and a file path; human output with both references", async () => {
    const file = join(resolveDataDir(), "models", "resnet20-fused.onnx");
    const r = await runCli(["eval", "--model", file, "--data", "cifar10-test", "--limit", "200", "--no-progress"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model\s+resnet20-fused\n/); // a path with a manifest hash inherits the registry entry
    expect(r.stdout).toMatch(/dataset\s+cifar10-test \(200 images\)/);
    expect(r.stdout).toMatch(/top-1\s+\d+\.\d\d% \(\d+\/200\)/);
    expect(r.stdout).toMatch(/reference\s+.*91\.50% on cifar10-test-lossless/);
    expect(r.stdout).toMatch(/81\.03% on cifar10-test/);
  });

  it("bad arguments exit 2 naming the argument; a missing dataset exits 1 naming the file", async () => {
    const a = await runCli(["eval", "--model", "resnet20", "--threads", "0"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--threads must be an integer in \[1, 64\], got '0'/);
    const b = await runCli(["eval", "--model", "resnet20", "--limit", "x"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--limit/);
    const c = await runCli(["eval", "--model", "resnet20", "--data", "/tmp/no-such-cifar.bin", "--json"]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/no-such-cifar\.bin/);
  });
});
