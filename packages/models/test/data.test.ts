import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  Cifar10Dataset,
  DataCorruptError,
  DataMissingError,
  IMAGENET_NORMALIZATION,
  loadModel,
  loadRegistry,
  normalizeImages,
  openDataset,
  resolveDataDir,
  selectIndices,
} from "@ola/models";

const tmp = mkdtempSync(join(tmpdir(), "ola-models-data-"));
const savedEnv = process.env.OLA_DATA;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.OLA_DATA;
  else process.env.OLA_DATA = savedEnv;
});

describe("data folder and registry", () => {
  it("defaults to ../shared/ola-data from the repo root and honours OLA_DATA", () => {
    delete process.env.OLA_DATA;
    expect(resolveDataDir()).toMatch(/shared[/\\]ola-data$/);
    process.env.OLA_DATA = "/some/where";
    expect(resolveDataDir()).toBe("/some/where");
  });

  it("a missing data folder names the file and how to set OLA_DATA", async () => {
    process.env.OLA_DATA = join(tmp, "nope");
    expect(() => openDataset("cifar10-test")).toThrow(DataMissingError);
    expect(() => openDataset("cifar10-test")).toThrow(/data folder \(needed for cifar10\/test_batch\.bin\) not found: .*nope.*OLA_DATA/s);
    await expect(loadModel("resnet20")).rejects.toThrow(/OLA_DATA/);
  });

  it("a data folder without the file names the file", () => {
    const dir = mkdtempSync(join(tmp, "partial-"));
    writeFileSync(join(dir, "MANIFEST.json"), JSON.stringify({ files: [] }));
    process.env.OLA_DATA = dir;
    expect(() => openDataset("cifar10-test-lossless")).toThrow(/test_lossless_1000\.bin.*OLA_DATA/s);
  });

  it("registry has the models with ImageNet normalisation and reference accuracies", () => {
    const r = loadRegistry();
    for (const name of ["resnet20", "resnet20-fused", "resnet32", "resnet32-fused", "convnext-cifar10"]) {
      const m = r.models.get(name)!;
      expect(m, name).toBeDefined();
      expect(m.normalization).toEqual(IMAGENET_NORMALIZATION);
    }
    expect(r.models.get("resnet20")!.reference).toMatchObject({ "cifar10-test": 0.8103, "cifar10-test-lossless": 0.915 });
    expect(r.models.get("resnet32")!.reference).toMatchObject({ "cifar10-test": 0.8256, "cifar10-test-lossless": 0.928 });
    expect(r.models.get("convnext-cifar10")!.reference).toMatchObject({ "cifar10-test": 0.6378, "cifar10-test-lossless": 0.637 });
    expect(r.models.get("resnet20")!.refLogitsFirst100).toBe("models/resnet20.ref_logits_first100.f32");
    expect(r.datasets.get("cifar10-test")!.records).toBe(10000);
  });

  it("unknown model names list the known ones", async () => {
    await expect(loadModel("resnet99")).rejects.toThrow(/unknown model 'resnet99'.*resnet20/);
  });
});

describe("CIFAR-10 reader", () => {
  it("reads records exactly as laid out on disk", () => {
    const ds = openDataset("cifar10-test-lossless");
    expect(ds.count).toBe(1000);
    const raw = readFileSync(ds.path);
    for (const i of [0, 1, 517, 999]) {
      expect(ds.label(i)).toBe(raw[i * 3073]);
      expect(Buffer.from(ds.image(i)).equals(raw.subarray(i * 3073 + 1, (i + 1) * 3073))).toBe(true);
    }
    // README: first labels 3, 8, 8, 0, 6, 6, 1, 6, 3, 1; image 0 starts with R = 158, 159, 165.
    expect(Array.from(ds.labels().subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect(Array.from(ds.image(0).subarray(0, 3))).toEqual([158, 159, 165]);
    const batches = [...ds.batches(64, { offset: 10, limit: 130 })];
    expect(batches.map((b) => b.labels.length)).toEqual([64, 64, 2]);
    expect(batches[1]!.indices[0]).toBe(74);
    expect(Buffer.from(batches[1]!.images.subarray(3072, 6144)).equals(Buffer.from(ds.image(75)))).toBe(true);
    ds.close();
  });

  it("the JPEG test file is class-balanced round robin (record r has label r % 10)", () => {
    const ds = openDataset("cifar10-test");
    expect(ds.count).toBe(10000);
    const labels = ds.labels();
    for (let r = 0; r < 10000; r += 997) expect(labels[r]).toBe(r % 10);
    ds.close();
  });

  it("deterministic subsets", () => {
    expect(Array.from(selectIndices(10, { offset: 3, limit: 4 }))).toEqual([3, 4, 5, 6]);
    const a = selectIndices(10000, { limit: 50, seed: 7 });
    const b = selectIndices(10000, { limit: 50, seed: 7 });
    const c = selectIndices(10000, { limit: 50, seed: 8 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(new Set(a).size).toBe(50);
    expect(Array.from(a)).toEqual(Array.from(a).sort((x, y) => x - y));
    expect(() => selectIndices(10, { offset: 11 })).toThrow(/offset/);
  });

  it("rejects a file whose size is not k*3073, naming the file", () => {
    const p = join(tmp, "short.bin");
    writeFileSync(p, new Uint8Array(3073 * 2 - 5));
    expect(() => Cifar10Dataset.open(p)).toThrow(DataCorruptError);
    expect(() => Cifar10Dataset.open(p)).toThrow(/short\.bin.*6141 bytes.*3073/);
  });

  it("rejects a label >= 10, naming the file and the record", () => {
    const p = join(tmp, "badlabel.bin");
    const buf = new Uint8Array(3073 * 3);
    buf[3073 * 2] = 12;
    writeFileSync(p, buf);
    expect(() => openDataset(p)).toThrow(/badlabel\.bin: record 2 .*label 12/);
  });

  it("a missing dataset file names it", () => {
    expect(() => openDataset(join(tmp, "absent.bin"))).toThrow(/absent\.bin/);
  });
});

describe("normalizeImages", () => {
  it("computes (p/255 - mean)/std per channel in NCHW", () => {
    const img = new Uint8Array(3072 * 2);
    img[0] = 255; // image 0, R, pixel 0
    img[1024 + 5] = 128; // image 0, G, pixel 5
    img[3072 + 2048 + 1023] = 0; // image 1, B, last pixel
    const x = normalizeImages(img, IMAGENET_NORMALIZATION);
    expect(x.length).toBe(3072 * 2);
    expect(x[0]).toBeCloseTo((1 - 0.485) / 0.229, 6);
    expect(x[1024 + 5]).toBeCloseTo((128 / 255 - 0.456) / 0.224, 6);
    expect(x[3072 + 2048 + 1023]).toBeCloseTo((0 - 0.406) / 0.225, 6);
    expect(() => normalizeImages(new Uint8Array(100), IMAGENET_NORMALIZATION)).toThrow(/3072/);
  });
});
