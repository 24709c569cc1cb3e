// The real ResNet-20 layers (BatchNorm folded) against onnxruntime on a CIFAR-10 test image.
import { beforeAll, describe, expect, it } from "vitest";
import { exposeTensors, loadModel, normalizeImages, openDataset, OnnxRunner, type LoadedModel } from "@ola/models";
import { compileGraphLayer, listLinearLayers, type GraphLinearLayer } from "../src/linear/graph-layers.js";
import { runLayer } from "../src/linear/layer-run.js";
import { simulateSlotProgram } from "../src/linear/simulator.js";
import { maxAbsDiff, SMALL } from "./helpers.js";

let model: LoadedModel;
let layers: GraphLinearLayer[];
const tensors = new Map<string, Float32Array>();

beforeAll(async () => {
  model = await loadModel("resnet20-fused");
  layers = listLinearLayers(model.graph);
  const inputName = model.graph.inputs[0]!.name;
  const names = [...new Set(layers.flatMap((l) => [l.inputTensor, l.outputTensor]))].filter((n) => n !== inputName);
  const runner = await OnnxRunner.create(exposeTensors(model.bytes, names), { threads: 1 });
  const image = openDataset("cifar10-test-lossless").image(0);
  const x = normalizeImages(image, model.normalization);
  const out = await runner.run({ [inputName]: { data: x, dims: [1, 3, 32, 32] } });
  await runner.release();
  tensors.set(inputName, x);
  for (const [k, v] of Object.entries(out)) tensors.set(k, v.data);
});

const byId = (id: string) => layers.find((l) => l.id === id)!;

describe("ResNet-20 linear layers from the ONNX graph", () => {
  it("finds 19 convolutions, 2 option-A shortcuts and the pooled classifier", () => {
    const kinds = layers.map((l) => l.kind);
    expect(kinds.filter((k) => k === "conv").length).toBe(19);
    expect(kinds.filter((k) => k === "shortcutA").length).toBe(2);
    expect(kinds.filter((k) => k === "avgpoolFc").length).toBe(1);
    expect(byId("/layer2/layer2.0/shortcut/Pad").outputShape).toEqual([32, 16, 16]);
  });

  it.each([
    "/conv1/Conv",
    "/layer1/layer1.0/conv1/Conv",
    "/layer2/layer2.0/conv1/Conv",
    "/layer2/layer2.0/shortcut/Pad",
    "/layer3/layer3.0/conv1/Conv",
    "/layer3/layer3.0/shortcut/Pad",
    "/layer3/layer3.2/conv2/Conv",
    "/linear/Gemm",
  ])("slot simulator at N = 2^15 matches onnxruntime: %s", (id) => {
    const layer = byId(id);
    const plan = compileGraphLayer(model.graph, layer, 16384);
    expect(plan.program.counts.levels).toBe(1);
    const y = simulateSlotProgram(plan.program, plan.input.pack(tensors.get(layer.inputTensor)!));
    const ref = tensors.get(layer.outputTensor)!;
    const got = plan.output ? plan.output.unpack(y) : Float64Array.from(plan.outputSlots!, (s) => y[s]!);
    // float32 (onnxruntime) against float64 accumulation
    expect(maxAbsDiff(got, ref, ref.length)).toBeLessThan(1e-4);
    if (plan.output) expect(maxAbsDiff(y, plan.output.pack(ref))).toBeLessThan(1e-4); // zeros and copies too
  });

  it("encrypted at N = 2^13 (stage 3 fills 4096 slots): layer3.1.conv1 and the classifier vs onnxruntime", async () => {
    for (const id of ["/layer3/layer3.1/conv1/Conv", "/linear/Gemm"]) {
      const layer = byId(id);
      const plan = compileGraphLayer(model.graph, layer, SMALL.N / 2);
      const r = await runLayer({ params: SMALL, allowInsecure: true, plan, input: tensors.get(layer.inputTensor)!, level: 2 });
      const ref = tensors.get(layer.outputTensor)!;
      expect(r.levelOut).toBe(1);
      expect(r.maxAbsErrorVsSimulator).toBeLessThan(1e-5);
      expect(maxAbsDiff(r.output, ref, ref.length)).toBeLessThan(1e-4);
    }
  });

  it("names the choices for an unknown layer and refuses layers that do not fit", () => {
    expect(() => compileGraphLayer(model.graph, byId("/layer1/layer1.0/conv1/Conv"), 4096)).toThrow(/needs 16384 slots, only 4096/);
  });
});
