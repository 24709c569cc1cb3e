// ONNX import: shape inference checked against onnxruntime's actual output shapes, pattern recognition, and one
// clear error per kind of bad input.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  NonPolynomialOperatorError,
  OnnxInvalidError,
  OnnxMalformedError,
  OnnxRunner,
  ShapeError,
  UnsupportedOperatorError,
  countParameters,
  exposeTensors,
  findActivationSites,
  importOnnx,
  loadModel,
  operatorCounts,
  replaceActivations,
} from "@ola/models";
import { buildModel, gelu, identityProgram, type NodeSpec } from "./helpers.js";

const SQRT2 = Math.SQRT2;

/** A model exercising every supported operator and both patterns (opset 17). */
function zooModel(): Uint8Array {
  const nodes: NodeSpec[] = [
    { op: "Conv", inputs: ["x", "wdw"], outputs: ["dw"], name: "dwconv", attrs: { group: 4, strides: [2, 2], pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
    { op: "Conv", inputs: ["dw", "w2", "b2"], outputs: ["c2"], name: "conv2", attrs: { pads: [0, 1, 1, 0] } },
    { op: "BatchNormalization", inputs: ["c2", "g", "be", "mu", "va"], outputs: ["bn"], attrs: { epsilon: 1e-5 } },
    { op: "Relu", inputs: ["bn"], outputs: ["r"], name: "relu" },
    { op: "AveragePool", inputs: ["r"], outputs: ["ap"], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
    { op: "GlobalAveragePool", inputs: ["ap"], outputs: ["gap"] },
    { op: "Slice", inputs: ["r", "s_starts", "s_ends", "s_axes", "s_steps"], outputs: ["sl"] },
    { op: "Pad", inputs: ["sl", "pads"], outputs: ["pd"], attrs: { mode: "constant" } },
    { op: "Concat", inputs: ["r", "pd"], outputs: ["cat"], attrs: { axis: 1 } },
    { op: "Transpose", inputs: ["cat"], outputs: ["tr"], attrs: { perm: [0, 2, 3, 1] } },
    { op: "LayerNormalization", inputs: ["tr", "lng", "lnb"], outputs: ["ln"], attrs: { axis: -1, epsilon: 1e-5 } },
    { op: "MatMul", inputs: ["ln", "wm"], outputs: ["mm"] },
    // GELU, erf form, as torch exports it
    { op: "Constant", inputs: [], outputs: ["k_sqrt2"], attrs: {} },
    { op: "Div", inputs: ["mm", "k_sqrt2"], outputs: ["g_div"] },
    { op: "Erf", inputs: ["g_div"], outputs: ["g_erf"] },
    { op: "Add", inputs: ["g_erf", "one"], outputs: ["g_add"] },
    { op: "Mul", inputs: ["mm", "g_add"], outputs: ["g_mul"] },
    { op: "Mul", inputs: ["g_mul", "half"], outputs: ["gl"], name: "gelu_out" },
    { op: "ReduceMean", inputs: ["gl"], outputs: ["rm"], attrs: { axes: [1, 2], keepdims: 0 } },
    // decomposed LayerNorm
    { op: "ReduceMean", inputs: ["rm"], outputs: ["d_mean"], attrs: { axes: [-1] } },
    { op: "Sub", inputs: ["rm", "d_mean"], outputs: ["d_c"] },
    { op: "Pow", inputs: ["d_c", "two"], outputs: ["d_sq"] },
    { op: "ReduceMean", inputs: ["d_sq"], outputs: ["d_var"], attrs: { axes: [-1] } },
    { op: "Add", inputs: ["d_var", "eps"], outputs: ["d_ve"] },
    { op: "Sqrt", inputs: ["d_ve"], outputs: ["d_std"] },
    { op: "Div", inputs: ["d_c", "d_std"], outputs: ["dln"] },
    { op: "Flatten", inputs: ["gap"], outputs: ["fl"], attrs: { axis: 1 } },
    { op: "Concat", inputs: ["fl", "dln"], outputs: ["cat2"], attrs: { axis: 1 } },
    { op: "Gemm", inputs: ["cat2", "wg", "bg"], outputs: ["gm"], attrs: { transB: 1 } },
    { op: "Reshape", inputs: ["gm", "rshape"], outputs: ["rs"] },
    { op: "Identity", inputs: ["rs"], outputs: ["y"] },
  ];
  const bytes = buildModel({
    opset: 17,
    inputs: [["x", ["N", 4, 8, 8]]],
    outputs: [["y", ["N", 5, 1]]],
    nodes,
    initializers: [
      ["wdw", [4, 1, 3, 3], Array.from({ length: 36 }, (_, i) => Math.sin(i))],
      ["w2", [6, 4, 2, 2], Array.from({ length: 96 }, (_, i) => Math.cos(i) / 4)],
      ["b2", [6], [0.1, -0.1, 0.2, 0, 0.3, -0.2]],
      ["g", [6], [1, 1.1, 0.9, 1, 1.2, 0.8]],
      ["be", [6], [0, 0.1, 0, -0.1, 0, 0.05]],
      ["mu", [6], [0, 0.01, 0, 0, -0.02, 0]],
      ["va", [6], [1, 1, 0.5, 2, 1, 1]],
      ["s_starts", [1], [1], "int64"],
      ["s_ends", [1], [100], "int64"],
      ["s_axes", [1], [1], "int64"],
      ["s_steps", [1], [2], "int64"],
      ["pads", [8], [0, 1, 0, 0, 0, 1, 0, 0], "int64"],
      ["lng", [11], Array(11).fill(1)],
      ["lnb", [11], Array(11).fill(0)],
      ["wm", [11, 7], Array.from({ length: 77 }, (_, i) => Math.sin(3 * i))],
      ["one", [], [1]],
      ["half", [], [0.5]],
      ["two", [], [2]],
      ["eps", [], [1e-5]],
      ["wg", [5, 13], Array.from({ length: 65 }, (_, i) => Math.cos(5 * i))],
      ["bg", [5], [0, 1, 2, 3, 4]],
      ["rshape", [3], [0, 5, 1], "int64"],
    ],
  });
  // The Constant node's value (sqrt 2) is a tensor attribute; patch it in (buildModel writes scalar attrs only).
  return withConstant(bytes, "k_sqrt2", SQRT2);
}

import onnxProto from "onnx-proto";
const onnx = onnxProto.onnx;
function withConstant(bytes: Uint8Array, output: string, value: number): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const n = m.graph!.node.find((x) => x.output[0] === output)!;
  n.attribute = [onnx.AttributeProto.create({ name: "value", type: 4, t: { dims: [], dataType: 1, floatData: [value] } })];
  return onnx.ModelProto.encode(m).finish();
}

describe("importOnnx shape inference", () => {
  it("matches onnxruntime's shapes for every tensor of a model using all supported operators", async () => {
    const bytes = zooModel();
    const g = importOnnx(bytes, "zoo");
    expect(g.opset).toBe(17);
    expect(g.shapes.get("dw")).toEqual([-1, 4, 4, 4]);
    expect(g.shapes.get("sl")).toEqual([-1, 3, 4, 4]);
    expect(g.shapes.get("cat")).toEqual([-1, 11, 4, 4]);
    expect(g.shapes.get("y")).toEqual([-1, 5, 1]);
    const tensors = g.nodes.flatMap((n) => n.outputs).filter((t) => t !== "y" && t !== "k_sqrt2");
    const runner = await OnnxRunner.create(exposeTensors(bytes, tensors));
    const n = 3;
    const x = Float32Array.from({ length: n * 4 * 64 }, (_, i) => Math.sin(i * 0.37));
    const out = await runner.run({ x: { data: x, dims: [n, 4, 8, 8] } });
    await runner.release();
    for (const t of [...tensors, "y"]) {
      const inferred = g.shapes.get(t)!.map((d) => (d < 0 ? n : d));
      expect(out[t]!.dims, t).toEqual(inferred);
    }
    // Patterns: one GELU site (erf form) after the ReLU site; the LayerNorm decomposition is accepted.
    const sites = findActivationSites(g);
    expect(sites.map((s) => [s.id, s.kind, s.inputTensor, s.outputTensor])).toEqual([
      ["00:relu", "relu", "bn", "r"],
      ["01:gelu_out", "gelu", "mm", "gl"],
    ]);
    expect(sites[1]!.shape).toEqual([-1, 4, 4, 7]);
    expect(sites[1]!.nodes).toHaveLength(5);
  });

  it("opset-specific forms (Slice/Pad attributes at opset 9, ReduceMean/Pad axes inputs at opset 18) match onnxruntime", async () => {
    const old = buildModel({
      opset: 9,
      irVersion: 4,
      inputs: [["x", ["N", 4, 6, 6]]],
      outputs: [["y", undefined]],
      nodes: [
        { op: "Slice", inputs: ["x"], outputs: ["s"], attrs: { starts: [1, -4], ends: [3, 1000], axes: [1, 3] } },
        { op: "Pad", inputs: ["s"], outputs: ["p"], attrs: { pads: [0, 0, 1, 2, 0, 0, 3, 0], mode: "constant" } },
        { op: "AveragePool", inputs: ["p"], outputs: ["a"], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
        { op: "Flatten", inputs: ["a"], outputs: ["y"], attrs: { axis: 2 } },
      ],
    });
    const recent = buildModel({
      opset: 18,
      inputs: [["x", ["N", 4, 6, 6]]],
      outputs: [["y", undefined]],
      nodes: [
        { op: "ReduceMean", inputs: ["x", "axes"], outputs: ["m"], attrs: { keepdims: 1 } },
        { op: "Pad", inputs: ["m", "pads", "", "padAxes"], outputs: ["p"] },
        { op: "Reshape", inputs: ["p", "shape"], outputs: ["y"] },
      ],
      initializers: [
        ["axes", [1], [2], "int64"],
        ["pads", [4], [1, 0, 2, 3], "int64"],
        ["padAxes", [2], [1, 3], "int64"],
        ["shape", [2], [0, -1], "int64"],
      ],
    });
    for (const bytes of [old, recent]) {
      const g = importOnnx(bytes);
      const tensors = g.nodes.flatMap((n) => n.outputs).filter((t) => t !== "y");
      const runner = await OnnxRunner.create(exposeTensors(bytes, tensors));
      const out = await runner.run({ x: { data: new Float32Array(2 * 144).fill(1), dims: [2, 4, 6, 6] } });
      await runner.release();
      // -1 is "unknown" (a symbolic dim, or a product involving it): it matches whatever onnxruntime produced.
      for (const t of [...tensors, "y"]) {
        const actual = out[t]!.dims;
        expect(actual, `opset ${g.opset}: ${t}`).toEqual(g.shapes.get(t)!.map((d, i) => (d < 0 ? actual[i] : d)));
      }
    }
    expect(importOnnx(old).shapes.get("y")).toEqual([-1, 15]); // Flatten(axis=2) of [N,2,3,5]: N*2 is unknown
  });

  it("recognises the three GELU association orders and x*(1/sqrt2); replacement by identity removes the whole pattern", async () => {
    const variants: NodeSpec[][] = [
      [
        { op: "Mul", inputs: ["x", "isqrt2"], outputs: ["d"] },
        { op: "Erf", inputs: ["d"], outputs: ["e"] },
        { op: "Add", inputs: ["one", "e"], outputs: ["a"] },
        { op: "Mul", inputs: ["x", "half"], outputs: ["h"] },
        { op: "Mul", inputs: ["h", "a"], outputs: ["y"], name: "last" },
      ],
      [
        { op: "Div", inputs: ["x", "sqrt2"], outputs: ["d"] },
        { op: "Erf", inputs: ["d"], outputs: ["e"] },
        { op: "Add", inputs: ["e", "one"], outputs: ["a"] },
        { op: "Mul", inputs: ["a", "half"], outputs: ["h"] },
        { op: "Mul", inputs: ["x", "h"], outputs: ["y"], name: "last" },
      ],
    ];
    for (const nodes of variants) {
      const bytes = buildModel({
        inputs: [["x", ["N", 8]]],
        outputs: [["y", ["N", 8]]],
        nodes,
        initializers: [
          ["isqrt2", [], [Math.SQRT1_2]],
          ["sqrt2", [], [SQRT2]],
          ["one", [], [1]],
          ["half", [], [0.5]],
        ],
      });
      const g = importOnnx(bytes);
      const sites = findActivationSites(g);
      expect(sites).toHaveLength(1);
      expect(sites[0]).toMatchObject({ id: "00:last", kind: "gelu", inputTensor: "x", outputTensor: "y", shape: [-1, 8] });
      const r = await OnnxRunner.create(bytes);
      const xs = Float32Array.from([-3, -1, -0.5, 0, 0.25, 1, 2, 4]);
      const y = (await r.run({ x: { data: xs, dims: [1, 8] } })).y!.data;
      await r.release();
      xs.forEach((v, i) => expect(y[i]).toBeCloseTo(gelu(v), 5));
      const withInfo = onnx.ModelProto.decode(bytes);
      withInfo.graph!.valueInfo = ["d", "e", "a"].map((t) => onnx.ValueInfoProto.create({ name: t, type: { tensorType: { elemType: 1 } } }));
      const out = replaceActivations(onnx.ModelProto.encode(withInfo).finish(), [{ siteId: "00:last", program: identityProgram() }]);
      expect(importOnnx(out).nodes.map((n) => n.opType)).toEqual(["Identity"]);
      expect(onnx.ModelProto.decode(out).graph!.valueInfo).toHaveLength(0);
      const ri = await OnnxRunner.create(out);
      expect(Array.from((await ri.run({ x: { data: xs, dims: [1, 8] } })).y!.data)).toEqual(Array.from(xs));
      await ri.release();
    }
  });

  it("recognises the tanh-form GELU (x^3 as Pow or as Mul(Mul(x,x),x)); a lone Tanh stays non-polynomial", async () => {
    const k = Math.sqrt(2 / Math.PI);
    const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x ** 3)));
    const cubes: NodeSpec[][] = [
      [{ op: "Pow", inputs: ["x", "three"], outputs: ["c3"] }],
      [
        { op: "Mul", inputs: ["x", "x"], outputs: ["sq"] },
        { op: "Mul", inputs: ["sq", "x"], outputs: ["c3"] },
      ],
    ];
    for (const cube of cubes) {
      const bytes = buildModel({
        inputs: [["x", ["N", 8]]],
        outputs: [["y", ["N", 8]]],
        nodes: [
          ...cube,
          { op: "Mul", inputs: ["c3", "c044"], outputs: ["m"] },
          { op: "Add", inputs: ["x", "m"], outputs: ["s"] },
          { op: "Mul", inputs: ["s", "k"], outputs: ["ks"] },
          { op: "Tanh", inputs: ["ks"], outputs: ["t"] },
          { op: "Add", inputs: ["t", "one"], outputs: ["a"] },
          { op: "Mul", inputs: ["x", "a"], outputs: ["xa"] },
          { op: "Mul", inputs: ["xa", "half"], outputs: ["y"], name: "gelu_tanh" },
        ],
        initializers: [
          ["three", [], [3]],
          ["c044", [], [0.044715]],
          ["k", [], [k]],
          ["one", [], [1]],
          ["half", [], [0.5]],
        ],
      });
      const sites = findActivationSites(importOnnx(bytes));
      expect(sites).toHaveLength(1);
      expect(sites[0]).toMatchObject({ id: "00:gelu_tanh", kind: "gelu", inputTensor: "x", outputTensor: "y" });
      expect(sites[0]!.nodes).toHaveLength(cube.length + 7);
      const r = await OnnxRunner.create(bytes);
      const xs = Float32Array.from([-3, -1, -0.5, 0, 0.25, 1, 2, 4]);
      const y = (await r.run({ x: { data: xs, dims: [1, 8] } })).y!.data;
      await r.release();
      xs.forEach((v, i) => expect(y[i]).toBeCloseTo(geluTanh(v), 5));
      const replaced = importOnnx(replaceActivations(bytes, [{ siteId: sites[0]!.id, program: identityProgram() }]));
      expect(replaced.nodes.map((n) => n.opType)).toEqual(["Identity"]);
    }
    const lone = buildModel({ inputs: [["x", ["N", 4]]], outputs: [["y", ["N", 4]]], nodes: [{ op: "Tanh", inputs: ["x"], outputs: ["y"], name: "th" }] });
    expect(() => importOnnx(lone)).toThrow(/Tanh \(node 'th'\) is non-polynomial.*tanh-form GELU/);
  });

  it("accepts the opset-20 Gelu operator as a GELU site", async () => {
    const bytes = buildModel({
      opset: 20,
      irVersion: 9,
      inputs: [["x", ["N", 4]]],
      outputs: [["y", ["N", 4]]],
      nodes: [{ op: "Gelu", inputs: ["x"], outputs: ["y"], name: "act" }],
    });
    const sites = findActivationSites(importOnnx(bytes));
    expect(sites).toEqual([{ id: "00:act", kind: "gelu", node: "act", inputTensor: "x", outputTensor: "y", shape: [-1, 4], nodes: ["act"] }]);
    const r = await OnnxRunner.create(bytes);
    const y = (await r.run({ x: { data: Float32Array.of(-1, 0, 1, 2), dims: [1, 4] } })).y!.data;
    await r.release();
    expect(y[2]).toBeCloseTo(gelu(1), 5);
  });

  it("reference models: operator counts, parameters and sites as documented in models/README.md", async () => {
    const r20 = await loadModel("resnet20");
    expect(operatorCounts(r20.graph)).toEqual({ Conv: 19, BatchNormalization: 19, Relu: 19, Add: 9, Slice: 4, Pad: 2, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
    expect(countParameters(r20.graph)).toBe(269722);
    const r32 = await loadModel("resnet32");
    expect(countParameters(r32.graph)).toBe(464154);
    expect(findActivationSites(r32.graph)).toHaveLength(31);
    const cx = await loadModel("convnext-cifar10");
    expect(countParameters(cx.graph)).toBe(1624810);
    expect(operatorCounts(cx.graph)).toMatchObject({ Conv: 12, Transpose: 24, LayerNormalization: 13, MatMul: 16, Erf: 8 });
    const sites = findActivationSites(r20.graph);
    expect(sites[0]).toEqual({
      id: "00:/Relu",
      kind: "relu",
      node: "/Relu",
      inputTensor: "/bn1/BatchNormalization_output_0",
      outputTensor: "/Relu_output_0",
      shape: [-1, 16, 32, 32],
      nodes: ["/Relu"],
    });
    expect(sites.map((s) => s.shape[1])).toEqual([16, 16, 16, 16, 16, 16, 16, 32, 32, 32, 32, 32, 32, 64, 64, 64, 64, 64, 64]);
    // Stable: a second import gives the same ids.
    expect(findActivationSites(importOnnx(r20.bytes)).map((s) => s.id)).toEqual(sites.map((s) => s.id));
  });
});

describe("importOnnx errors", () => {
  it("malformed bytes", () => {
    const junk = new TextEncoder().encode("this is certainly not a protobuf model \u00ff\u00fe");
    expect(() => importOnnx(junk, "junk.onnx")).toThrow(OnnxMalformedError);
    expect(() => importOnnx(junk, "junk.onnx")).toThrow(/junk\.onnx/);
    expect(() => importOnnx(new Uint8Array(0), "empty.onnx")).toThrow(/empty\.onnx: empty file/);
  });

  it("a truncated file", async () => {
    const r20 = await loadModel("resnet20");
    for (const cut of [0.5, 0.9, 0.999]) {
      const truncated = r20.bytes.subarray(0, Math.floor(r20.bytes.length * cut));
      let err: unknown;
      try {
        importOnnx(truncated, "resnet20-cut.onnx");
      } catch (e) {
        err = e;
      }
      expect(err, `cut ${cut}`).toBeInstanceOf(OnnxMalformedError);
      expect((err as Error).message).toMatch(/resnet20-cut\.onnx.*truncated/);
    }
  });

  it("an unsupported operator names the op type, the node and the supported list", () => {
    const bytes = buildModel({
      inputs: [["x", ["N", 4]]],
      outputs: [["y", ["N", 4]]],
      nodes: [{ op: "Sin", inputs: ["x"], outputs: ["y"], name: "my_sin" }],
    });
    expect(() => importOnnx(bytes)).toThrow(UnsupportedOperatorError);
    expect(() => importOnnx(bytes)).toThrow(/unsupported operator Sin \(node 'my_sin'\); supported: Conv, BatchNormalization, Relu/);
  });

  it("MaxPool and a lone Erf are reported as non-polynomial", () => {
    const mp = buildModel({
      inputs: [["x", ["N", 3, 8, 8]]],
      outputs: [["y", undefined]],
      nodes: [{ op: "MaxPool", inputs: ["x"], outputs: ["y"], name: "pool1", attrs: { kernel_shape: [2, 2] } }],
    });
    expect(() => importOnnx(mp)).toThrow(NonPolynomialOperatorError);
    expect(() => importOnnx(mp)).toThrow(/MaxPool \(node 'pool1'\) is non-polynomial/);
    const erf = buildModel({ inputs: [["x", ["N", 4]]], outputs: [["y", ["N", 4]]], nodes: [{ op: "Erf", inputs: ["x"], outputs: ["y"], name: "e" }] });
    expect(() => importOnnx(erf)).toThrow(/Erf \(node 'e'\) is non-polynomial.*GELU pattern/);
    const sqrt = buildModel({ inputs: [["x", ["N", 4]]], outputs: [["y", ["N", 4]]], nodes: [{ op: "Sqrt", inputs: ["x"], outputs: ["y"], name: "s" }] });
    expect(() => importOnnx(sqrt)).toThrow(/Sqrt \(node 's'\) is supported only as part of the decomposed LayerNormalization/);
  });

  it("a shape mismatch names the node and the shapes", () => {
    const conv = buildModel({
      inputs: [["x", ["N", 3, 8, 8]]],
      outputs: [["y", undefined]],
      nodes: [{ op: "Conv", inputs: ["x", "w"], outputs: ["y"], name: "bad_conv" }],
      initializers: [["w", [4, 5, 3, 3], new Float32Array(180)]],
    });
    expect(() => importOnnx(conv)).toThrow(ShapeError);
    expect(() => importOnnx(conv)).toThrow(/Conv node 'bad_conv': input has 3 channels but weight \[4,5,3,3\]/);
    const mm = buildModel({
      inputs: [["x", ["N", 6]]],
      outputs: [["y", undefined]],
      nodes: [{ op: "MatMul", inputs: ["x", "w"], outputs: ["y"], name: "fc" }],
      initializers: [["w", [5, 2], new Float32Array(10)]],
    });
    expect(() => importOnnx(mm)).toThrow(/MatMul node 'fc': inner dimensions differ: \[N,6\] x \[5,2\]/);
    const add = buildModel({
      inputs: [["a", ["N", 6]], ["b", ["N", 4]]],
      outputs: [["y", undefined]],
      nodes: [{ op: "Add", inputs: ["a", "b"], outputs: ["y"], name: "plus" }],
    });
    expect(() => importOnnx(add)).toThrow(/Add node 'plus': shapes \[N,6\] and \[N,4\] cannot be broadcast/);
  });

  it("a tensor nobody produces", () => {
    const bytes = buildModel({ inputs: [["x", ["N", 4]]], outputs: [["y", undefined]], nodes: [{ op: "Add", inputs: ["x", "ghost"], outputs: ["y"], name: "add" }] });
    expect(() => importOnnx(bytes)).toThrow(OnnxInvalidError);
    expect(() => importOnnx(bytes)).toThrow(/node 'add' \(Add\) reads tensor 'ghost'/);
  });

  it("loadModel of a missing or corrupt file", async () => {
    await expect(loadModel("/nonexistent/model.onnx")).rejects.toThrow(/model file not found: \/nonexistent\/model\.onnx/);
    const r20 = await loadModel("resnet20");
    expect(readFileSync(r20.path).length).toBe(r20.bytes.length);
  });
});
