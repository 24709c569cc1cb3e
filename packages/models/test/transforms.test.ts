// Graph rewrites: BN folding against the shipped fused file, polynomial replacement (live and exact), exposed
// tensors, suffix extraction.
import { beforeAll, describe, expect, it } from "vitest";
import {
  OnnxRunner,
  TransformError,
  evaluateModel,
  exposeTensors,
  extractSubgraph,
  findActivationSites,
  foldBatchNorm,
  importOnnx,
  loadModel,
  normalizeImages,
  openDataset,
  replaceActivations,
  type ActivationSite,
  type LoadedModel,
  type PolyProgram,
} from "@ola/models";
import { chebyshevProgram, gelu, identityProgram, relu, reluProgram, runProgram64 } from "./helpers.js";

let resnet: LoadedModel;
let sites: ActivationSite[];
let x100: Float32Array;
let baseline: { correct: number; predictions: Int32Array };

/** Per-site [min, max] of the activation inputs over a whole dataset (from exposed tensors, batch by batch). */
async function siteRanges(model: LoadedModel, ss: ActivationSite[], dataset: string): Promise<[number, number][]> {
  const runner = await OnnxRunner.create(exposeTensors(model.bytes, ss.map((s) => s.inputTensor)), { threads: 1 });
  const ranges: [number, number][] = ss.map(() => [Infinity, -Infinity]);
  const ds = openDataset(dataset);
  for (const b of ds.batches(100)) {
    const x = normalizeImages(b.images, model.normalization);
    const out = await runner.run({ input: { data: x, dims: [b.labels.length, 3, 32, 32] } }, ss.map((s) => s.inputTensor));
    ss.forEach((s, i) => {
      const r = ranges[i]!;
      for (const v of out[s.inputTensor]!.data) {
        if (v < r[0]) r[0] = v;
        if (v > r[1]) r[1] = v;
      }
    });
  }
  ds.close();
  await runner.release();
  return ranges;
}

beforeAll(async () => {
  resnet = await loadModel("resnet20");
  sites = findActivationSites(resnet.graph);
  const ds = openDataset("cifar10-test-lossless");
  x100 = normalizeImages(ds.read(Array.from({ length: 100 }, (_, i) => i)).images, resnet.normalization);
  baseline = await evaluateModel(resnet.bytes, ds, { normalization: resnet.normalization, threads: 1 });
  ds.close();
});

describe("foldBatchNorm", () => {
  it("reproduces the shipped BN-folded ResNet-20 (resnet20-fused.onnx)", async () => {
    const folded = foldBatchNorm(resnet.bytes);
    const g = importOnnx(folded);
    const fused = await loadModel("resnet20-fused");
    expect(g.nodes.map((n) => n.opType)).toEqual(fused.graph.nodes.map((n) => n.opType));
    expect(g.nodes.some((n) => n.opType === "BatchNormalization")).toBe(false);
    const [a, b] = await Promise.all([OnnxRunner.create(folded), OnnxRunner.create(fused.bytes)]);
    const [oa, ob] = await Promise.all([a.runBatch(x100, [100, 3, 32, 32]), b.runBatch(x100, [100, 3, 32, 32])]);
    let maxDiff = 0;
    for (let i = 0; i < oa.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(oa.data[i]! - ob.data[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
    await Promise.all([a.release(), b.release()]);
    // Folded conv weights equal the fused file's, tensor by tensor (same conv order).
    const fusedConvs = fused.graph.nodes.filter((n) => n.opType === "Conv");
    g.nodes
      .filter((n) => n.opType === "Conv")
      .forEach((conv, k) => {
        const w = g.initializers.get(conv.inputs[1]!)!.data as Float32Array;
        const wRef = fused.graph.initializers.get(fusedConvs[k]!.inputs[1]!)!.data as Float32Array;
        let d = 0;
        for (let i = 0; i < w.length; i++) d = Math.max(d, Math.abs(w[i]! - wRef[i]!));
        expect(d).toBeLessThan(1e-5);
      });
  });

  it("leaves a model without BN unchanged in structure", async () => {
    const fused = await loadModel("resnet20-fused");
    expect(importOnnx(foldBatchNorm(fused.bytes)).nodes.length).toBe(fused.graph.nodes.length);
  });
});

describe("replaceActivations", () => {
  it("replacing every ReLU of ResNet-20 by the identity changes top-1 (the rewrite is live)", async () => {
    const bytes = replaceActivations(resnet.bytes, sites.map((s) => ({ siteId: s.id, program: identityProgram() })));
    const g = importOnnx(bytes);
    expect(g.nodes.some((n) => n.opType === "Relu")).toBe(false);
    const ds = openDataset("cifar10-test-lossless");
    const r = await evaluateModel(bytes, ds, { normalization: resnet.normalization, threads: 1 });
    ds.close();
    expect(r.correct).toBeLessThan(baseline.correct - 300);
  });

  it("replacing every ReLU of ResNet-20 by an accurate Chebyshev interpolant keeps top-1 within 0.2 points, and the ONNX nodes compute exactly the program", async () => {
    // Accurate on the actual activation ranges: those of the evaluation images themselves, plus 2%.
    const ranges = await siteRanges(resnet, sites, "cifar10-test-lossless");
    const radius = ranges.map(([lo, hi]) => Math.max(-lo, hi) * 1.02);
    const programs = radius.map((R) => reluProgram(R, 32));
    // The fit itself is accurate on its interval (independent float64 check): max error below 1% of R.
    programs.forEach((p, i) => {
      const R = radius[i]!;
      let err = 0;
      for (let k = 0; k <= 1000; k++) {
        const x = -R + (2 * R * k) / 1000;
        err = Math.max(err, Math.abs(runProgram64(p, x) - relu(x)));
      }
      expect(err / R).toBeLessThan(0.01);
    });
    const bytes = replaceActivations(resnet.bytes, sites.map((s, i) => ({ siteId: s.id, program: programs[i]! })));
    const ds = openDataset("cifar10-test-lossless");
    const r = await evaluateModel(bytes, ds, { normalization: resnet.normalization, threads: 1 });
    ds.close();
    expect(Math.abs(r.top1 - baseline.correct / 1000)).toBeLessThanOrEqual(0.002 + 1e-12);
    // Exactness: in the rewritten model, each site's output equals the float64 program applied to its input.
    const probe = exposeTensors(bytes, sites.flatMap((s) => [s.inputTensor, s.outputTensor]));
    const runner = await OnnxRunner.create(probe, { threads: 1 });
    const out = await runner.run({ input: { data: x100.subarray(0, 3072 * 4), dims: [4, 3, 32, 32] } });
    await runner.release();
    sites.forEach((s, i) => {
      const xin = out[s.inputTensor]!.data;
      const yout = out[s.outputTensor]!.data;
      let worst = 0;
      for (let k = 0; k < xin.length; k += 7) worst = Math.max(worst, Math.abs(yout[k]! - runProgram64(programs[i]!, xin[k]!)));
      expect(worst, s.id).toBeLessThan(1e-4);
    });
  });

  it("every PolyProgram op kind becomes the right ONNX arithmetic", async () => {
    const p: PolyProgram = {
      version: 1,
      ops: [
        { op: "mul", a: 0, b: 0 }, // r1 = x^2
        { op: "mulConst", a: 1, c: 0.375 }, // r2
        { op: "mulInt", a: 0, k: 3 }, // r3
        { op: "add", a: 2, b: 3 }, // r4
        { op: "sub", a: 4, b: 0 }, // r5
        { op: "addConst", a: 5, c: -1.25 }, // r6
        { op: "mul", a: 6, b: 6 }, // r7: dead (output is r8)
        { op: "linear", terms: [[6, 0.5], [1, -2], [0, 1]], c: 0.125 }, // r8
      ],
      output: 8,
      cost: { depth: 2, nonScalarMultiplications: 2, scalarMultiplications: 2, additions: 5 },
    };
    const site = sites[4]!;
    const bytes = replaceActivations(resnet.bytes, [{ outputTensor: site.outputTensor, program: p }]);
    const g = importOnnx(bytes);
    const polyNodes = g.nodes.filter((n) => n.name.startsWith(`ola_poly/${site.id}/`));
    expect(polyNodes.map((n) => n.opType).sort()).toEqual(["Add", "Add", "Add", "Add", "Add", "Mul", "Mul", "Mul", "Mul", "Mul", "Sub"].sort());
    const runner = await OnnxRunner.create(exposeTensors(bytes, [site.inputTensor, site.outputTensor]));
    const out = await runner.run({ input: { data: x100.subarray(0, 3072), dims: [1, 3, 32, 32] } });
    await runner.release();
    const xin = out[site.inputTensor]!.data;
    const yout = out[site.outputTensor]!.data;
    for (let k = 0; k < xin.length; k += 3) {
      const want = runProgram64(p, xin[k]!);
      expect(Math.abs(yout[k]! - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
    }
  });

  it("unknown site ids and invalid programs are clear errors", () => {
    expect(() => replaceActivations(resnet.bytes, [{ siteId: "99:/nope", program: identityProgram() }])).toThrow(/no activation site with site id '99:\/nope'.*00:\/Relu/);
    const bad = { version: 1, ops: [{ op: "mul", a: 0, b: 5 }], output: 1, cost: identityProgram().cost } as PolyProgram;
    expect(() => replaceActivations(resnet.bytes, [{ siteId: sites[0]!.id, program: bad }])).toThrow(/operand b=5/);
    expect(() =>
      replaceActivations(resnet.bytes, [
        { siteId: sites[0]!.id, program: identityProgram() },
        { outputTensor: sites[0]!.outputTensor, program: identityProgram() },
      ]),
    ).toThrow(TransformError);
  });

  it("ConvNeXt: GELU erf patterns replaced by accurate polynomials keep top-1; the identity changes it", async () => {
    const cx = await loadModel("convnext-cifar10");
    const cs = findActivationSites(cx.graph);
    expect(cs).toHaveLength(8);
    const ds = openDataset("cifar10-test-lossless");
    const ranges = await siteRanges(cx, cs, "cifar10-test-lossless");
    const programs = ranges.map(([lo, hi]) => {
      const a = lo - 0.05 * (hi - lo);
      const b = hi + 0.05 * (hi - lo);
      const p = chebyshevProgram(gelu, a, b, 48);
      let err = 0;
      for (let k = 0; k <= 1000; k++) {
        const x = a + ((b - a) * k) / 1000;
        err = Math.max(err, Math.abs(runProgram64(p, x) - gelu(x)));
      }
      expect(err).toBeLessThan(1e-3 * (b - a));
      return p;
    });
    const approx = replaceActivations(cx.bytes, cs.map((s, i) => ({ siteId: s.id, program: programs[i]! })));
    const g = importOnnx(approx);
    expect(g.nodes.some((n) => n.opType === "Erf")).toBe(false);
    expect(findActivationSites(g)).toHaveLength(0);
    // 300 images keep the test fast; the baseline on the same images is the reference.
    const subset = { normalization: cx.normalization, threads: 1, limit: 300 };
    const baseCorrect = (await evaluateModel(cx.bytes, ds, subset)).correct;
    const ra = await evaluateModel(approx, ds, subset);
    expect(Math.abs(ra.correct - baseCorrect)).toBeLessThanOrEqual(1);
    const ident = replaceActivations(cx.bytes, cs.map((s) => ({ siteId: s.id, program: identityProgram() })));
    const ri = await evaluateModel(ident, ds, subset);
    expect(Math.abs(ri.correct - baseCorrect)).toBeGreaterThan(10);
    ds.close();
  });
});

describe("exposeTensors and extractSubgraph", () => {
  it("exposed tensors have the inferred shapes and values consistent with the model", async () => {
    const names = sites.map((s) => s.inputTensor);
    const bytes = exposeTensors(resnet.bytes, names);
    const runner = await OnnxRunner.create(bytes);
    expect(runner.outputNames).toEqual(["logits", ...names]);
    const out = await runner.run({ input: { data: x100.subarray(0, 2 * 3072), dims: [2, 3, 32, 32] } });
    await runner.release();
    sites.forEach((s) => expect(out[s.inputTensor]!.dims).toEqual([2, ...s.shape.slice(1)]));
    expect(() => exposeTensors(resnet.bytes, ["no/such/tensor"])).toThrow(/no\/such\/tensor/);
  });

  it("the suffix after a site reproduces the logits from that site's tensors", async () => {
    const site = sites[12]!; // a ReLU inside layer3's first block region
    const fullRunner = await OnnxRunner.create(resnet.bytes);
    const full = await fullRunner.runBatch(x100.subarray(0, 5 * 3072), [5, 3, 32, 32]);
    await fullRunner.release();
    // Which tensors does the suffix need? Try the site output alone; the error names the missing residual input.
    let inputs = [site.outputTensor];
    try {
      extractSubgraph(resnet.bytes, inputs, ["logits"]);
    } catch (e) {
      expect((e as Error).message).toMatch(/depend on graph input 'input'/);
      const residual = sites[11]!.outputTensor;
      inputs = [site.outputTensor, residual];
    }
    const suffix = extractSubgraph(resnet.bytes, inputs, ["logits"]);
    const sg = importOnnx(suffix);
    expect(sg.inputs.map((i) => i.name)).toEqual(inputs);
    expect(sg.nodes.length).toBeLessThan(resnet.graph.nodes.length / 2);
    const exposed = await OnnxRunner.create(exposeTensors(resnet.bytes, inputs));
    const mid = await exposed.run({ input: { data: x100.subarray(0, 5 * 3072), dims: [5, 3, 32, 32] } });
    await exposed.release();
    const sr = await OnnxRunner.create(suffix);
    const feeds = Object.fromEntries(inputs.map((t) => [t, mid[t]!]));
    const out = await sr.run(feeds);
    await sr.release();
    for (let i = 0; i < 50; i++) expect(out.logits!.data[i]).toBeCloseTo(full.data[i]!, 4);
    expect(() => extractSubgraph(resnet.bytes, ["nope"], ["logits"])).toThrow(/'nope' does not exist/);
  });
});
