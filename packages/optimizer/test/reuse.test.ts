// The optimiser's work-saving paths against the plain computation they replace: margin screening on
// a prefix of the impact set (= a fresh engine on only those images) and a full validation that
// continues a screening pass (= one pass over all images).
import { describe, expect, it } from "vitest";
import { exposeTensors, findActivationSites, loadModel, normalizeImages, openDataset, replaceActivations, selectIndices } from "@ola/models";
import { ChebyshevPoly } from "@ola/poly";
import { ImpactEngine } from "../src/impact.js";
import { modelsBackend } from "../src/optimize.js";
import { chebyshevProgram } from "../src/plan-programs.js";
import { mergeValidations, validateOnDataset, type DatasetValidation } from "../src/validate.js";

describe("work reuse", () => {
  it("impact on the first k images equals a fresh engine's impact on exactly those k images", async () => {
    const m = await loadModel("resnet20");
    const site = findActivationSites(m.graph)[3]!;
    const ds = openDataset("cifar10-train-lossless");
    const batch = ds.read(selectIndices(ds.count, { limit: 12 }));
    ds.close();
    const images = normalizeImages(batch.images, m.normalization);
    const io = { inputName: m.graph.inputs[0]!.name, outputName: m.graph.outputs[0]!.name };
    const fn = (x: Float64Array) => x.map((v) => (v > 0 ? v : 0.1 * v)); // a leaky "approximation"
    const measureOn = async (count: number, k?: number) => {
      const e = new ImpactEngine(modelsBackend(1), m.bytes, m.graph, { ...io, images: images.subarray(0, count * 3 * 32 * 32), count });
      await e.cacheSites([site]);
      const p = await e.prepare(site);
      try {
        return await e.measure(p, fn, k);
      } finally {
        await e.release(p);
      }
    };
    const prefix = await measureOn(12, 5);
    const fresh = await measureOn(5);
    expect(prefix.kl).toBeGreaterThan(0);
    expect(prefix.kl).toBeCloseTo(fresh.kl, 9);
    expect(prefix.top1Change).toBe(fresh.top1Change);
    const whole = await measureOn(12);
    expect(whole.kl).not.toBeCloseTo(prefix.kl, 9);
  });

  it("validating images [0, 10) then [10, 30) and merging equals validating [0, 30)", async () => {
    const m = await loadModel("resnet20");
    const sites = findActivationSites(m.graph);
    // a cubic on a narrow interval at every site: some inputs fall outside, predictions change
    const reps = sites.map((s) => ({ siteId: s.id, program: chebyshevProgram(new ChebyshevPoly(Float64Array.of(0.5, 0.5, 0.1, 0), -1, 1)) }));
    const bytes = exposeTensors(replaceActivations(m.bytes, reps), [...new Set(sites.map((s) => s.inputTensor))]);
    const intervals = sites.map((s) => ({ id: s.id, inputTensor: s.inputTensor, interval: [-1, 1] as [number, number] }));
    const d = openDataset("cifar10-test");
    const common = { normalization: m.normalization, inputName: m.graph.inputs[0]!.name, outputName: m.graph.outputs[0]!.name, threads: 1, batchSize: 8 };
    let all: DatasetValidation, head: DatasetValidation, tail: DatasetValidation;
    try {
      all = await validateOnDataset(bytes, d, intervals, { ...common, limit: 30 });
      head = await validateOnDataset(bytes, d, intervals, { ...common, limit: 10 });
      tail = await validateOnDataset(bytes, d, intervals, { ...common, limit: 30, start: 10 });
    } finally {
      d.close();
    }
    expect(head.images).toBe(10);
    expect(tail.images).toBe(20);
    const merged = mergeValidations(head, tail);
    expect(merged.images).toBe(30);
    expect(Array.from(merged.predictions)).toEqual(Array.from(all.predictions));
    expect(merged.top1).toBeCloseTo(all.top1, 12);
    expect(merged.outOfRange).toEqual(all.outOfRange);
    expect(merged.imagesOutOfRange).toEqual(all.imagesOutOfRange);
    expect(Object.values(all.outOfRange).some((v) => v > 0)).toBe(true);
    expect(() => mergeValidations(head, { ...tail, dataset: "other" })).toThrow(/cannot merge/);
  });
});
