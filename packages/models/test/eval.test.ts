// Plaintext evaluation against the data folder's reference numbers (MANIFEST.json, models/README.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateModel, loadModel, loadRegistry, openDataset, OnnxRunner, normalizeImages, top1 } from "@ola/models";

function refLogits(name: string): Float32Array {
  const r = loadRegistry();
  const buf = readFileSync(join(r.dataDir, r.models.get(name)!.refLogitsFirst100!));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

describe("plaintext evaluation", () => {
  for (const [name, lossless, jpeg] of [
    ["resnet20", 0.915, 0.8103],
    ["resnet32", 0.928, 0.8256],
  ] as const) {
    it(`${name}: reference top-1 on both test files and torch logits within 1e-4`, async () => {
      const m = await loadModel(name);
      const runner = await OnnxRunner.create(m.bytes, { threads: 1 });
      try {
        const dl = openDataset("cifar10-test-lossless");
        const rl = await evaluateModel(undefined, dl, { normalization: m.normalization, runner });
        expect(rl.images).toBe(1000);
        expect(rl.correct).toBe(Math.round(lossless * 1000));
        dl.close();
        const dj = openDataset("cifar10-test");
        const rj = await evaluateModel(undefined, dj, { normalization: m.normalization, runner, batchSize: 250, keepLogits: true });
        expect(rj.images).toBe(10000);
        expect(rj.correct).toBe(Math.round(jpeg * 10000));
        expect(rj.top1).toBe(jpeg);
        const ref = refLogits(name);
        let maxDiff = 0;
        for (let i = 0; i < 1000; i++) maxDiff = Math.max(maxDiff, Math.abs(rj.logits![i]! - ref[i]!));
        expect(maxDiff).toBeLessThan(1e-4);
        dj.close();
      } finally {
        await runner.release();
      }
    });
  }

  it("BN-kept and fused ResNet-20 give identical predictions", async () => {
    const [a, b] = await Promise.all([loadModel("resnet20"), loadModel("resnet20-fused")]);
    for (const ds of ["cifar10-test-lossless", "cifar10-test"]) {
      const d = openDataset(ds);
      const opts = { normalization: a.normalization, limit: 1000, threads: 1 };
      const ra = await evaluateModel(a.bytes, d, opts);
      const rb = await evaluateModel(b.bytes, d, opts);
      expect(Array.from(rb.predictions)).toEqual(Array.from(ra.predictions));
      d.close();
    }
  });

  it("OnnxRunner runs any batch size through one session and top1 counts argmax hits", async () => {
    const m = await loadModel("resnet20-fused");
    const runner = await OnnxRunner.create(m.bytes, { threads: 1 });
    const d = openDataset("cifar10-test-lossless");
    const batch = d.read([0, 1, 2]);
    const x = normalizeImages(batch.images, m.normalization);
    const all = await runner.runBatch(x, [3, 3, 32, 32]);
    const one = await runner.runBatch(x.subarray(3072, 6144), [1, 3, 32, 32]);
    expect(all.dims).toEqual([3, 10]);
    for (let k = 0; k < 10; k++) expect(one.data[k]).toBeCloseTo(all.data[10 + k]!, 5);
    expect(top1(Float32Array.of(0, 1, 5, 2), [1, 0], 2)).toBe(2);
    expect(top1(Float32Array.of(0, 1, 5, 2), [0, 1], 2)).toBe(0);
    await runner.release();
    await expect(runner.run({})).rejects.toThrow(/release/);
    d.close();
  });

  it("convnext-cifar10: reference top-1 on both test files and torch logits within 1e-4", async () => {
    const m = await loadModel("convnext-cifar10");
    const dl = openDataset("cifar10-test-lossless");
    const rl = await evaluateModel(m.bytes, dl, { normalization: m.normalization, threads: 1 });
    expect(rl.correct).toBe(637);
    dl.close();
    const dj = openDataset("cifar10-test");
    const rj = await evaluateModel(m.bytes, dj, { normalization: m.normalization, threads: 1, batchSize: 250, keepLogits: true });
    expect(rj.correct).toBe(6378);
    const ref = refLogits("convnext-cifar10");
    let maxDiff = 0;
    for (let i = 0; i < 1000; i++) maxDiff = Math.max(maxDiff, Math.abs(rj.logits![i]! - ref[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
    dj.close();
  });
});
