// ONNX bytes -> typed Graph IR: decode, convert tensors and attributes, order topologically, check that every
// operator is supported (or part of a recognised GELU / LayerNorm pattern), then infer static shapes.
import { NonPolynomialOperatorError, OnnxInvalidError, UnsupportedOperatorError } from "./errors.js";
import type { AttributeValue, Graph, GraphNode, Tensor, ValueInfo } from "./graph.js";
import { decodeModel, defaultOpset, onnx, toNumber, type ModelProto } from "./onnx-io.js";
import { findGeluPatterns, findLayerNormPatterns, findTanhGeluPatterns } from "./patterns.js";
import { inferShapes } from "./shape-inference.js";
import { dataTypeFromOnnx, tensorFromProto } from "./tensor.js";

/** Operators imported as such. */
export const SUPPORTED_OPERATORS = [
  "Conv", "BatchNormalization", "Relu", "Gelu", "Add", "Sub", "Mul", "Div", "MatMul", "Gemm", "Slice", "Pad", "Concat",
  "Reshape", "Flatten", "Transpose", "GlobalAveragePool", "AveragePool", "ReduceMean", "LayerNormalization", "Identity",
  "Constant",
] as const;

/** Operators accepted only inside a recognised pattern (GELU's erf form; decomposed LayerNorm). */
export const PATTERN_OPERATORS: Record<string, string> = {
  Erf: "the GELU pattern x*0.5*(1+erf(x/sqrt(2)))",
  Tanh: "the tanh-form GELU pattern x*0.5*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))",
  Sqrt: "the decomposed LayerNormalization pattern (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div)",
  Pow: "the decomposed LayerNormalization pattern (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div) or the tanh-form GELU pattern",
};

/** Operators no polynomial evaluates exactly; reported as such so users know to replace them before import. */
export const NON_POLYNOMIAL_OPERATORS = new Set([
  "MaxPool", "GlobalMaxPool", "LpPool", "MaxRoiPool", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Hardmax", "Exp", "Log",
  "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Mish", "ThresholdedRelu",
  "Shrink", "Clip", "Abs", "Sign", "Max", "Min", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceLogSumExp",
  "ArgMax", "ArgMin", "Reciprocal", "Floor", "Ceil", "Round", "Less", "Greater", "Equal", "Where", "TopK", "Erf",
]);

const AT = onnx.AttributeProto.AttributeType;
const utf8 = new TextDecoder();

function attributeValue(a: InstanceType<typeof onnx.AttributeProto>, where: string): AttributeValue {
  switch (a.type) {
    case AT.FLOAT:
      return a.f;
    case AT.INT:
      return toNumber(a.i);
    case AT.STRING:
      return utf8.decode(a.s);
    case AT.TENSOR:
      return tensorFromProto(a.t!, `${where} attribute '${a.name}'`);
    case AT.FLOATS:
      return a.floats.slice();
    case AT.INTS:
      return a.ints.map((v) => toNumber(v));
    case AT.STRINGS:
      return a.strings.map((s) => utf8.decode(s));
    default:
      throw new OnnxInvalidError(`${where}: attribute '${a.name}' has type ${AT[a.type] ?? a.type}, which is not supported (subgraphs and sparse tensors are not)`);
  }
}

/** The value of a Constant node (value, value_float(s), value_int(s)). */
function constantValue(node: GraphNode): Tensor {
  const a = node.attributes;
  if (a.value !== undefined && typeof a.value === "object" && !Array.isArray(a.value)) return a.value as Tensor;
  if (typeof a.value_float === "number") return { dims: [], dataType: "float32", data: Float32Array.of(a.value_float) };
  if (Array.isArray(a.value_floats)) return { dims: [a.value_floats.length], dataType: "float32", data: Float32Array.from(a.value_floats as number[]) };
  if (typeof a.value_int === "number") return { dims: [], dataType: "int64", data: BigInt64Array.of(BigInt(a.value_int)) };
  if (Array.isArray(a.value_ints)) return { dims: [a.value_ints.length], dataType: "int64", data: BigInt64Array.from(a.value_ints as number[], (v) => BigInt(v)) };
  throw new UnsupportedOperatorError("Constant", node.name, `Constant node '${node.name}': only value, value_float(s) and value_int(s) are supported`);
}

function valueInfo(v: InstanceType<typeof onnx.ValueInfoProto>, where: string): ValueInfo {
  const tt = v.type?.tensorType;
  if (!tt) throw new OnnxInvalidError(`${where} '${v.name}': not a tensor type`);
  const dims = tt.shape?.dim;
  if (!dims) throw new OnnxInvalidError(`${where} '${v.name}': no shape; static shape inference needs the input shape`);
  const shape = dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : -1));
  return { name: v.name, shape, dataType: dataTypeFromOnnx(tt.elemType ?? 0, `${where} '${v.name}'`) };
}

/** Kahn's algorithm, stable in the original node order. Throws on dangling inputs and cycles. */
function topologicalOrder(nodes: GraphNode[], available: Set<string>): GraphNode[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const indeg = new Array<number>(nodes.length).fill(0);
  const next: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const t of new Set(n.inputs)) {
      if (!t || available.has(t)) continue;
      const p = producer.get(t);
      if (p === undefined) {
        throw new OnnxInvalidError(
          `node '${n.name}' (${n.opType}) reads tensor '${t}', which no node, initializer or graph input provides (truncated or corrupt model?)`,
        );
      }
      indeg[i]!++;
      next[p]!.push(i);
    }
  });
  // A min-heap would be O(n log n); n is small (hundreds), a sorted ready list is fine.
  const ready = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  const out: GraphNode[] = [];
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    out.push(nodes[i]!);
    for (const j of next[i]!) if (--indeg[j]! === 0) ready.push(j);
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.filter((n) => !out.includes(n)).map((n) => n.name);
    throw new OnnxInvalidError(`the graph has a cycle through nodes ${stuck.slice(0, 5).join(", ")}`);
  }
  return out;
}

function checkOperators(graph: Graph): void {
  const inPattern = new Set<GraphNode>();
  for (const p of [...findGeluPatterns(graph), ...findTanhGeluPatterns(graph)]) p.nodes.forEach((n) => inPattern.add(n));
  for (const p of findLayerNormPatterns(graph)) p.nodes.forEach((n) => inPattern.add(n));
  const supported = new Set<string>(SUPPORTED_OPERATORS);
  const list = `supported: ${SUPPORTED_OPERATORS.join(", ")}; inside patterns: ${Object.keys(PATTERN_OPERATORS).join(", ")}`;
  for (const n of graph.nodes) {
    if (n.domain && n.domain !== "ai.onnx") {
      throw new UnsupportedOperatorError(n.opType, n.name, `operator ${n.domain}.${n.opType} (node '${n.name}') is from a custom domain; ${list}`);
    }
    if (supported.has(n.opType)) continue;
    if (PATTERN_OPERATORS[n.opType] && inPattern.has(n)) continue;
    if (PATTERN_OPERATORS[n.opType] && !NON_POLYNOMIAL_OPERATORS.has(n.opType)) {
      throw new UnsupportedOperatorError(n.opType, n.name, `operator ${n.opType} (node '${n.name}') is supported only as part of ${PATTERN_OPERATORS[n.opType]}; ${list}`);
    }
    if (NON_POLYNOMIAL_OPERATORS.has(n.opType)) {
      throw new NonPolynomialOperatorError(
        n.opType,
        n.name,
        `operator ${n.opType} (node '${n.name}') is non-polynomial: CKKS can only evaluate additions and multiplications, so it must be replaced (e.g. MaxPool by AveragePool) before import${PATTERN_OPERATORS[n.opType] ? ` (it is accepted only inside ${PATTERN_OPERATORS[n.opType]})` : ""}; ${list}`,
      );
    }
    throw new UnsupportedOperatorError(n.opType, n.name, `unsupported operator ${n.opType} (node '${n.name}'); ${list}`);
  }
}

/** Builds the IR from a decoded ModelProto (exported for transforms that already hold one). */
export function graphFromModel(model: ModelProto, source = "<bytes>"): Graph {
  const g = model.graph!;
  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? "", tensorFromProto(t, `${source}: initializer`));
  const inputs = (g.input ?? []).filter((v) => !initializers.has(v.name ?? "")).map((v) => valueInfo(v as InstanceType<typeof onnx.ValueInfoProto>, `${source}: graph input`));
  const rawNodes: GraphNode[] = (g.node ?? []).map((n) => {
    const where = `${source}: node '${n.name}' (${n.opType})`;
    const attributes: Record<string, AttributeValue> = {};
    for (const a of n.attribute ?? []) attributes[a.name!] = attributeValue(a as InstanceType<typeof onnx.AttributeProto>, where);
    return { name: n.name!, opType: n.opType!, domain: n.domain ?? "", inputs: (n.input ?? []).slice(), outputs: (n.output ?? []).slice(), attributes };
  });
  const available = new Set<string>([...initializers.keys(), ...inputs.map((i) => i.name), ""]);
  const nodes = topologicalOrder(rawNodes, available);
  const constants = new Map(initializers);
  for (const n of nodes) if (n.opType === "Constant") constants.set(n.outputs[0]!, constantValue(n));
  const shapes = new Map<string, number[]>();
  for (const i of inputs) shapes.set(i.name, i.shape);
  for (const [name, t] of initializers) shapes.set(name, t.dims.slice());
  const graph: Graph = {
    name: g.name ?? "",
    irVersion: toNumber(model.irVersion),
    opset: defaultOpset(model),
    nodes,
    initializers,
    inputs,
    outputs: [],
    shapes,
    constants,
  };
  checkOperators(graph);
  inferShapes(graph);
  graph.outputs = (g.output ?? []).map((v) => {
    const shape = shapes.get(v.name!);
    if (!shape) throw new OnnxInvalidError(`${source}: graph output '${v.name}' is produced by no node`);
    const elem = v.type?.tensorType?.elemType;
    return { name: v.name!, shape, dataType: elem ? dataTypeFromOnnx(elem, `graph output '${v.name}'`) : "float32" };
  });
  return graph;
}

/** Imports ONNX bytes into the typed graph IR with static shapes. */
export function importOnnx(bytes: Uint8Array, source = "<bytes>"): Graph {
  return graphFromModel(decodeModel(bytes, source), source);
}
