import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  OnnxRunner,
  exposeTensors,
  findActivationSites,
  loadModel,
  normalizeImages,
  openDataset,
  selectIndices,
  type LoadedModel,
} from "@ola/models";
import { ProfileError, loadProfile, profileModel, quantile, saveProfile, type Profile } from "../src/index.js";

const N = 64;

describe("profileModel on ResNet-20 (64 calibration images)", () => {
  let model: LoadedModel;
  let profile: Profile;
  let progress: [number, number][] = [];
  const dir = mkdtempSync(join(tmpdir(), "ola-profile-test-"));

  beforeAll(async () => {
    model = await loadModel("resnet20");
    profile = await profileModel(model, { images: N, batchSize: 16, seed: 5, onProgress: (d, t) => progress.push([d, t]) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("profiles every activation site in topological order with progress reports", () => {
    const sites = findActivationSites(model.graph);
    expect(sites.length).toBe(19);
    expect(profile.sites.map((s) => s.id)).toEqual(sites.map((s) => s.id));
    expect(progress[0]).toEqual([0, N]);
    expect(progress[progress.length - 1]).toEqual([N, N]);
    expect(progress.length).toBe(1 + N / 16);
    expect(profile.model).toEqual({ name: "resnet20", sha256: model.sha256 });
    expect(profile.calibration).toMatchObject({ dataset: "cifar10-train", images: N, seed: 5, available: 10000 });
  });

  it("matches an independent single-batch onnxruntime run: count and min/max exactly, mean, quantiles, reservoir ⊂ data", async () => {
    const sites = findActivationSites(model.graph);
    const tensors = sites.map((s) => s.inputTensor);
    const runner = await OnnxRunner.create(exposeTensors(model.bytes, tensors));
    const ds = openDataset("cifar10-train");
    try {
      const batch = ds.read(selectIndices(ds.count, { limit: N, seed: 5 }));
      const out = await runner.run({ [runner.inputNames[0]!]: { data: normalizeImages(batch.images, model.normalization), dims: [N, 3, 32, 32] } }, tensors);
      sites.forEach((site, i) => {
        const data = out[site.inputTensor]!.data;
        const st = profile.sites[i]!.stats;
        const per = site.shape.slice(1).reduce((a, b) => a * b, 1);
        expect(st.count).toBe(N * per);
        expect(data.length).toBe(N * per);
        let mn = Infinity, mx = -Infinity, s = 0;
        for (const v of data) {
          if (v < mn) mn = v;
          if (v > mx) mx = v;
          s += v;
        }
        // Batches of 16 (profiler) and one batch of 64 (here) give bit-identical activations on this
        // onnxruntime build, so min/max must agree exactly; the mean only to summation rounding.
        const scale = Math.max(1, Math.abs(mn), Math.abs(mx));
        expect(st.min).toBe(mn);
        expect(st.max).toBe(mx);
        expect(Math.abs(st.mean - s / data.length)).toBeLessThanOrEqual(1e-5 * scale);
        const sorted = Float64Array.from(data).sort();
        for (const p of [0.01, 0.5, 0.99]) {
          const exact = sorted[Math.floor(p * (sorted.length - 1))]!;
          expect(Math.abs(quantile(st, p) - exact)).toBeLessThanOrEqual(st.histogram.width + 1e-5 * scale);
        }
        // Reservoir: every sampled value occurs in the data (to float32 rounding across batchings).
        let lo = 0;
        for (const v of Float64Array.from(st.reservoir).sort()) {
          while (lo < sorted.length && sorted[lo]! < v - 1e-5 * scale) lo++;
          expect(lo).toBeLessThan(sorted.length);
          expect(Math.abs(sorted[lo]! - v)).toBeLessThanOrEqual(1e-5 * scale);
        }
        expect(st.reservoir.length).toBe(Math.min(4096, N * per));
      });
    } finally {
      ds.close();
      await runner.release();
    }
  });

  it("saves atomically and loads back identical statistics", () => {
    const path = join(dir, "profile.json");
    saveProfile(path, profile);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
    const back = loadProfile(path, { expectedSha256: model.sha256 });
    expect(back.sites.length).toBe(profile.sites.length);
    for (let i = 0; i < back.sites.length; i++) {
      const a = profile.sites[i]!.stats, b = back.sites[i]!.stats;
      expect([b.count, b.min, b.max, b.mean, b.std]).toEqual([a.count, a.min, a.max, a.mean, a.std]);
      expect(Array.from(b.histogram.counts)).toEqual(Array.from(a.histogram.counts));
      expect([b.histogram.lo, b.histogram.width, b.histogram.offset]).toEqual([a.histogram.lo, a.histogram.width, a.histogram.offset]);
      expect(Array.from(b.reservoir)).toEqual(Array.from(a.reservoir));
      expect(b.tails).toEqual(a.tails);
    }
    // The file is compact: base64 histograms and reservoirs.
    expect(readFileSync(path).length).toBeLessThan(2_000_000);
  });

  it("refuses a stale profile, naming the file and both hashes, and a wrong version", () => {
    const path = join(dir, "stale.json");
    saveProfile(path, profile);
    const other = "0".repeat(64);
    let err: unknown;
    try {
      loadProfile(path, { expectedSha256: other });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProfileError);
    const msg = (err as Error).message;
    expect(msg).toContain(path);
    expect(msg).toContain(model.sha256);
    expect(msg).toContain(other);
    expect(msg).toMatch(/stale/);
    const doc = JSON.parse(readFileSync(path, "utf8"));
    doc.version = 2;
    const v2 = join(dir, "v2.json");
    writeFileSync(v2, JSON.stringify(doc));
    expect(() => loadProfile(v2)).toThrow(/v2\.json has format version 2; .* reads version 1/);
    const corrupt = JSON.parse(readFileSync(path, "utf8"));
    corrupt.sites[3].stats.count += 1;
    writeFileSync(v2, JSON.stringify(corrupt));
    expect(() => loadProfile(v2)).toThrow(/sites\[3\] \(03:[^)]*\)\.stats\.histogram holds \d+ values but count is \d+/);
    writeFileSync(v2, "{not json");
    expect(() => loadProfile(v2)).toThrow(/is not valid JSON/);
    expect(() => loadProfile(join(dir, "missing.json"))).toThrow(/does not exist/);
    expect(existsSync(join(dir, "missing.json"))).toBe(false);
  });
});
