// The typed graph IR (INTERFACES.md section 2): what the profiler, optimiser and CKKS compiler read.

export type TensorDataType = "float32" | "float64" | "int64" | "int32" | "int8" | "uint8" | "bool";
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

export interface Tensor {
  dims: number[];
  dataType: TensorDataType;
  /** Row-major (C order) elements. */
  data: TensorData;
}

export type AttributeValue = number | number[] | string | string[] | Tensor;

export interface GraphNode {
  /** Unique in the graph (unnamed ONNX nodes get `<OpType>_<index>`). */
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

export interface ValueInfo {
  name: string;
  /** Static shape; the batch (or any symbolic) dimension is -1. */
  shape: number[];
  dataType: TensorDataType;
}

export interface Graph {
  name: string;
  irVersion: number;
  /** Default-domain opset. */
  opset: number;
  /** Topological order. */
  nodes: GraphNode[];
  initializers: Map<string, Tensor>;
  /** Graph inputs that are not initializers. */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Static shape of every tensor (inputs, initializers, node outputs); batch dim -1. */
  shapes: Map<string, number[]>;
  /** Compile-time constant tensors: initializers plus outputs of Constant nodes. */
  constants: Map<string, Tensor>;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Numbers of a constant tensor (int64 converted to number). */
export function tensorNumbers(t: Tensor): number[] {
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  return Array.from(t.data as ArrayLike<number>);
}

/** The node producing each tensor. */
export function producers(graph: Graph): Map<string, GraphNode> {
  const m = new Map<string, GraphNode>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** The nodes consuming each tensor. */
export function consumers(graph: Graph): Map<string, GraphNode[]> {
  const m = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      if (!i) continue;
      const l = m.get(i);
      if (l) {
        if (!l.includes(n)) l.push(n);
      } else m.set(i, [n]);
    }
  }
  return m;
}

/**
 * Number of trainable-parameter elements: float initializers that are weights, i.e. excluding BatchNormalization
 * running statistics and operands that only configure an operator (Pad's constant value, Slice/Reshape/ReduceMean
 * index tensors). Matches PyTorch's parameter count (ResNet-20: 269,722).
 */
export function countParameters(graph: Graph): number {
  const configOnly = new Set<string>();
  const weightUse = new Set<string>();
  for (const n of graph.nodes) {
    n.inputs.forEach((name, i) => {
      if (!name || !graph.initializers.has(name)) return;
      const config =
        (n.opType === "BatchNormalization" && i >= 3) ||
        (n.opType === "Pad" && i >= 1) ||
        (n.opType === "Slice" && i >= 1) ||
        (n.opType === "Reshape" && i >= 1) ||
        (n.opType === "ReduceMean" && i >= 1);
      (config ? configOnly : weightUse).add(name);
    });
  }
  let total = 0;
  for (const [name, t] of graph.initializers) {
    if (configOnly.has(name) && !weightUse.has(name)) continue;
    if (t.dataType === "float32" || t.dataType === "float64") total += elementCount(t.dims);
  }
  return total;
}

/** Operator histogram in first-seen order. */
export function operatorCounts(graph: Graph): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of graph.nodes) out[n.opType] = (out[n.opType] ?? 0) + 1;
  return out;
}
