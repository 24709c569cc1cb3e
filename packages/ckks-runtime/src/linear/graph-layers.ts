// The linear layers of a CNN graph (@ola/models IR, BatchNorm folded) as packed-layer plans:
// Conv (3×3 and other odd square kernels, stride 1/2, symmetric padding, bias), the option-A shortcut
// (Slice(::2) → Slice(::2) → Pad channels, as exported from akamaster's ResNet), and
// GlobalAveragePool → Flatten → Gemm. The layout of a tensor with spatial size H keeps the network's input
// grid: gap = grid / H (shared/notes/packed-convolution.md §5.1).
import type { Graph, GraphNode, Tensor } from "@ola/models";
import { MultiplexedLayout } from "./layout.js";
import { compileAvgPoolFc, compileConv2d, compileShortcutA, type CompileOptions, type LayerPlan } from "./layers.js";

export type GraphLayerKind = "conv" | "shortcutA" | "avgpoolFc";

export interface GraphLinearLayer {
  /** Name of the node that produces the layer's output (Conv, Pad, Gemm): the id used on the CLI. */
  id: string;
  /** Position in the list of linear layers (topological). */
  index: number;
  kind: GraphLayerKind;
  /** Graph nodes the layer covers. */
  nodes: string[];
  inputTensor: string;
  outputTensor: string;
  /** [C, H, W] of the input. */
  inputShape: [number, number, number];
  /** [C, H, W] of the output, or [outputs] for avgpoolFc. */
  outputShape: number[];
}

const fail = (where: string, msg: string): never => {
  throw new Error(`${where}: ${msg}`);
};

function constant(graph: Graph, name: string, where: string): Tensor {
  return graph.constants.get(name) ?? graph.initializers.get(name) ?? fail(where, `input '${name}' is not a constant tensor`);
}

function numbers(t: Tensor): number[] {
  return t.data instanceof BigInt64Array ? Array.from(t.data, (v) => Number(v)) : Array.from(t.data as ArrayLike<number>);
}

function chw(graph: Graph, tensor: string, where: string): [number, number, number] {
  const s = graph.shapes.get(tensor) ?? fail(where, `no static shape for tensor '${tensor}'`);
  if (s.length !== 4) fail(where, `tensor '${tensor}' has shape [${s.join(",")}], expected [N,C,H,W]`);
  return [s[1]!, s[2]!, s[3]!];
}

/** All linear layers of the graph, in topological order. */
export function listLinearLayers(graph: Graph): GraphLinearLayer[] {
  const byOutput = new Map<string, GraphNode>();
  for (const n of graph.nodes) for (const o of n.outputs) byOutput.set(o, n);
  const layers: GraphLinearLayer[] = [];
  for (const n of graph.nodes) {
    const where = `node '${n.name}'`;
    if (n.opType === "Conv") {
      layers.push({
        id: n.name,
        index: layers.length,
        kind: "conv",
        nodes: [n.name],
        inputTensor: n.inputs[0]!,
        outputTensor: n.outputs[0]!,
        inputShape: chw(graph, n.inputs[0]!, where),
        outputShape: chw(graph, n.outputs[0]!, where),
      });
    } else if (n.opType === "Pad") {
      const s1 = byOutput.get(n.inputs[0]!);
      const s0 = s1 && byOutput.get(s1.inputs[0]!);
      if (s1?.opType !== "Slice" || s0?.opType !== "Slice") continue;
      layers.push({
        id: n.name,
        index: layers.length,
        kind: "shortcutA",
        nodes: [s0.name, s1.name, n.name],
        inputTensor: s0.inputs[0]!,
        outputTensor: n.outputs[0]!,
        inputShape: chw(graph, s0.inputs[0]!, where),
        outputShape: chw(graph, n.outputs[0]!, where),
      });
    } else if (n.opType === "Gemm") {
      const flat = byOutput.get(n.inputs[0]!);
      const gap = flat && byOutput.get(flat.inputs[0]!);
      if (flat?.opType !== "Flatten" || gap?.opType !== "GlobalAveragePool") continue;
      const out = graph.shapes.get(n.outputs[0]!) ?? fail(where, "no output shape");
      layers.push({
        id: n.name,
        index: layers.length,
        kind: "avgpoolFc",
        nodes: [gap.name, flat.name, n.name],
        inputTensor: gap.inputs[0]!,
        outputTensor: n.outputs[0]!,
        inputShape: chw(graph, gap.inputs[0]!, where),
        outputShape: [out[1]!],
      });
    }
  }
  return layers;
}

/** Finds a layer by node name or by its index in listLinearLayers; the error lists the choices. */
export function findLinearLayer(graph: Graph, id: string): GraphLinearLayer {
  const layers = listLinearLayers(graph);
  const hit = layers.find((l) => l.id === id) ?? (/^\d+$/.test(id) ? layers[Number(id)] : undefined);
  if (!hit)
    throw new Error(
      `no linear layer '${id}' in graph '${graph.name}'; layers: ${layers.map((l) => `${l.index}=${l.id}`).join(", ")}`,
    );
  return hit;
}

/** The network's grid: the spatial size of the graph input (32 for CIFAR-10 ResNets). */
export function networkGrid(graph: Graph): number {
  const s = graph.inputs[0]?.shape;
  if (!s || s.length !== 4) throw new Error(`graph '${graph.name}': expected one NCHW input`);
  return s[2]!;
}

/** Layout of a [C,H,W] tensor at `slots` slots with the grid kept at `grid` (gap = grid/H). */
export function layoutFor(shape: readonly number[], grid: number, slots: number): MultiplexedLayout {
  const [C, H, W] = shape as [number, number, number];
  const gap = grid / H;
  if (!Number.isInteger(gap)) throw new Error(`tensor ${C}×${H}×${W}: grid ${grid} is not a multiple of ${H}`);
  return new MultiplexedLayout({ slots, channels: C, height: H, width: W, gap });
}

/** Compile one graph layer for a slot count (BatchNorm must already be folded into the Conv). */
export function compileGraphLayer(graph: Graph, layer: GraphLinearLayer, slots: number, options: CompileOptions = {}): LayerPlan {
  const input = layoutFor(layer.inputShape, networkGrid(graph), slots);
  const node = (name: string) => graph.nodes.find((n) => n.name === name)!;
  const where = `layer '${layer.id}'`;
  switch (layer.kind) {
    case "conv": {
      const n = node(layer.nodes[0]!);
      const a = n.attributes;
      if ((a.group ?? 1) !== 1) fail(where, `grouped convolution (group ${String(a.group)}) is not supported`);
      const dil = (a.dilations as number[] | undefined) ?? [1, 1];
      if (dil.some((d) => d !== 1)) fail(where, `dilation ${dil.join(",")} is not supported`);
      const strides = (a.strides as number[] | undefined) ?? [1, 1];
      const pads = (a.pads as number[] | undefined) ?? [0, 0, 0, 0];
      if (strides[0] !== strides[1] || (strides[0] !== 1 && strides[0] !== 2)) fail(where, `strides ${strides.join(",")} (need 1,1 or 2,2)`);
      if (!pads.every((p) => p === pads[0])) fail(where, `asymmetric padding ${pads.join(",")}`);
      const w = constant(graph, n.inputs[1]!, where);
      const consumers = graph.nodes.filter((m) => m.inputs.includes(n.outputs[0]!));
      if (consumers.some((m) => m.opType === "BatchNormalization"))
        fail(where, "is followed by BatchNormalization: fold it first (foldBatchNorm from @ola/models, or the -fused model)");
      const bias = n.inputs[2] ? numbers(constant(graph, n.inputs[2], where)) : undefined;
      return compileConv2d(
        input,
        {
          weight: numbers(w),
          weightDims: w.dims as [number, number, number, number],
          bias,
          stride: strides[0] as 1 | 2,
          pad: pads[0]!,
        },
        options,
      );
    }
    case "shortcutA": {
      const [C] = layer.inputShape;
      const [Co, Ho] = layer.outputShape as [number, number, number];
      if (Ho * 2 !== layer.inputShape[1] || (Co - C) % 2 !== 0) fail(where, `is not an option-A shortcut (${layer.inputShape.join("×")} → ${layer.outputShape.join("×")})`);
      return compileShortcutA(input, (Co - C) / 2, options);
    }
    case "avgpoolFc": {
      const g = node(layer.nodes[2]!);
      const a = g.attributes;
      if ((a.alpha ?? 1) !== 1 || (a.beta ?? 1) !== 1 || (a.transA ?? 0) !== 0) fail(where, "Gemm with alpha/beta ≠ 1 or transA is not supported");
      const w = constant(graph, g.inputs[1]!, where);
      let weight = numbers(w);
      const outputs = layer.outputShape[0]!;
      const C = layer.inputShape[0];
      if ((a.transB ?? 0) === 0) {
        // B is [C, outputs]: transpose to [outputs, C]
        const t = new Array<number>(outputs * C);
        for (let c = 0; c < C; c++) for (let o = 0; o < outputs; o++) t[o * C + c] = weight[c * outputs + o]!;
        weight = t;
      }
      const bias = g.inputs[2] ? numbers(constant(graph, g.inputs[2], where)) : undefined;
      return compileAvgPoolFc(input, weight, outputs, bias);
    }
  }
}
