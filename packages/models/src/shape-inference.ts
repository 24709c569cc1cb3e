// Static shape inference for the supported operators (semantics from the ONNX operator specification,
// github.com/onnx/onnx/blob/main/docs/Operators.md). Unknown (symbolic) dimensions are -1; any arithmetic
// involving an unknown dimension stays unknown. Incompatible shapes raise a ShapeError naming the node.
import { ShapeError } from "./errors.js";
import type { Graph, GraphNode } from "./graph.js";
import { elementCount, tensorNumbers } from "./graph.js";

const fmt = (s: readonly number[] | undefined) => (s ? `[${s.map((d) => (d < 0 ? "N" : d)).join(",")}]` : "[?]");

class Ctx {
  constructor(
    readonly graph: Graph,
    readonly node: GraphNode,
  ) {}
  fail(msg: string): never {
    throw new ShapeError(this.node.name, `${this.node.opType} node '${this.node.name}': ${msg}`);
  }
  shape(i: number): number[] {
    const name = this.node.inputs[i];
    if (!name) this.fail(`input ${i} is missing`);
    const s = this.graph.shapes.get(name);
    if (!s) this.fail(`the shape of input '${name}' is unknown`);
    return s;
  }
  has(i: number): boolean {
    return !!this.node.inputs[i];
  }
  constant(i: number, what: string): number[] {
    const name = this.node.inputs[i]!;
    const t = this.graph.constants.get(name);
    if (!t) this.fail(`${what} (input '${name}') must be a constant (initializer or Constant node) for static shape inference`);
    return tensorNumbers(t);
  }
  ints(name: string, dflt?: number[]): number[] {
    const v = this.node.attributes[name];
    if (v === undefined) {
      if (dflt) return dflt;
      this.fail(`attribute '${name}' is required`);
    }
    if (typeof v === "number") return [v];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) this.fail(`attribute '${name}' must be a list of integers`);
    return v as number[];
  }
  int(name: string, dflt: number): number {
    const v = this.node.attributes[name];
    if (v === undefined) return dflt;
    if (typeof v !== "number") this.fail(`attribute '${name}' must be an integer`);
    return v;
  }
  str(name: string, dflt: string): string {
    const v = this.node.attributes[name];
    return typeof v === "string" ? v : dflt;
  }
  axis(a: number, rank: number, what = "axis"): number {
    const r = a < 0 ? a + rank : a;
    if (r < 0 || r >= rank) this.fail(`${what} ${a} is out of range for rank ${rank}`);
    return r;
  }
}

export function broadcastShapes(a: readonly number[], b: readonly number[], fail: (m: string) => never): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (da < 0) out.push(db);
    else if (db < 0) out.push(da);
    else if (da === db) out.push(da);
    else fail(`shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (dimension ${i}: ${da} vs ${db})`);
  }
  return out;
}

function spatialOutput(
  c: Ctx,
  inSpatial: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
  pads: number[],
  autoPad: string,
  ceilMode: boolean,
): number[] {
  const s = inSpatial.length;
  return inSpatial.map((d, i) => {
    if (d < 0) return -1;
    const k = kernel[i]!;
    const st = strides[i]!;
    const dil = dilations[i]!;
    if (st < 1 || dil < 1 || k < 1) c.fail(`kernel ${fmt(kernel)}, strides ${fmt(strides)}, dilations ${fmt(dilations)} must be positive`);
    let o: number;
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") o = Math.ceil(d / st);
    else {
      const pb = autoPad === "VALID" ? 0 : pads[i]!;
      const pe = autoPad === "VALID" ? 0 : pads[i + s]!;
      const span = d + pb + pe - dil * (k - 1) - 1;
      o = (ceilMode ? Math.ceil(span / st) : Math.floor(span / st)) + 1;
    }
    if (o < 1) c.fail(`input spatial size ${fmt(inSpatial)} is too small for kernel ${fmt(kernel)} (output dimension ${o})`);
    return o;
  });
}

function inferConv(c: Ctx): number[] {
  const x = c.shape(0);
  const w = c.shape(1);
  if (x.length < 3) c.fail(`input must be [N,C,spatial...], got ${fmt(x)}`);
  if (w.length !== x.length) c.fail(`weight rank ${w.length} ${fmt(w)} does not match input rank ${x.length} ${fmt(x)}`);
  const group = c.int("group", 1);
  const cin = x[1]!;
  if (cin >= 0 && w[1]! * group !== cin) {
    c.fail(`input has ${cin} channels but weight ${fmt(w)} with group=${group} expects ${w[1]! * group} (input ${fmt(x)})`);
  }
  if (w[0]! % group !== 0) c.fail(`output channels ${w[0]} not divisible by group ${group}`);
  if (c.has(2)) {
    const b = c.shape(2);
    if (b.length !== 1 || b[0] !== w[0]) c.fail(`bias shape ${fmt(b)} must be [${w[0]}]`);
  }
  const s = x.length - 2;
  const kernel = c.ints("kernel_shape", w.slice(2));
  if (kernel.length !== s || kernel.some((k, i) => k !== w[i + 2])) c.fail(`kernel_shape ${fmt(kernel)} does not match weight ${fmt(w)}`);
  const out = spatialOutput(
    c,
    x.slice(2),
    kernel,
    c.ints("strides", Array(s).fill(1)),
    c.ints("dilations", Array(s).fill(1)),
    c.ints("pads", Array(2 * s).fill(0)),
    c.str("auto_pad", "NOTSET"),
    false,
  );
  return [x[0]!, w[0]!, ...out];
}

function inferAveragePool(c: Ctx): number[] {
  const x = c.shape(0);
  if (x.length < 3) c.fail(`input must be [N,C,spatial...], got ${fmt(x)}`);
  const s = x.length - 2;
  const kernel = c.ints("kernel_shape");
  if (kernel.length !== s) c.fail(`kernel_shape ${fmt(kernel)} needs ${s} entries`);
  const out = spatialOutput(
    c,
    x.slice(2),
    kernel,
    c.ints("strides", Array(s).fill(1)),
    c.ints("dilations", Array(s).fill(1)),
    c.ints("pads", Array(2 * s).fill(0)),
    c.str("auto_pad", "NOTSET"),
    c.int("ceil_mode", 0) === 1,
  );
  return [x[0]!, x[1]!, ...out];
}

function inferMatMul(c: Ctx): number[] {
  let a = c.shape(0);
  let b = c.shape(1);
  const aVec = a.length === 1;
  const bVec = b.length === 1;
  if (aVec) a = [1, a[0]!];
  if (bVec) b = [b[0]!, 1];
  const k1 = a[a.length - 1]!;
  const k2 = b[b.length - 2]!;
  if (k1 >= 0 && k2 >= 0 && k1 !== k2) c.fail(`inner dimensions differ: ${fmt(c.shape(0))} x ${fmt(c.shape(1))} (${k1} vs ${k2})`);
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2), (m) => c.fail(m));
  const out = [...batch, a[a.length - 2]!, b[b.length - 1]!];
  if (bVec) out.pop();
  if (aVec) out.splice(out.length - (bVec ? 1 : 2), 1);
  return out;
}

function inferGemm(c: Ctx): number[] {
  const a = c.shape(0);
  const b = c.shape(1);
  if (a.length !== 2 || b.length !== 2) c.fail(`A and B must be 2-D, got ${fmt(a)} and ${fmt(b)}`);
  const [m, ka] = c.int("transA", 0) ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
  const [kb, n] = c.int("transB", 0) ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
  if (ka >= 0 && kb >= 0 && ka !== kb) c.fail(`inner dimensions differ: A ${fmt(a)} (transA=${c.int("transA", 0)}) and B ${fmt(b)} (transB=${c.int("transB", 0)})`);
  if (c.has(2)) broadcastShapes([m, n], c.shape(2), (msg) => c.fail(`C is not broadcastable to [M,N]: ${msg}`));
  return [m, n];
}

function inferSlice(c: Ctx, opset: number): number[] {
  const x = c.shape(0);
  let starts: number[], ends: number[], axes: number[], steps: number[];
  if (opset < 10) {
    starts = c.ints("starts");
    ends = c.ints("ends");
    axes = c.ints("axes", starts.map((_, i) => i));
    steps = starts.map(() => 1);
  } else {
    starts = c.constant(1, "starts");
    ends = c.constant(2, "ends");
    axes = c.has(3) ? c.constant(3, "axes") : starts.map((_, i) => i);
    steps = c.has(4) ? c.constant(4, "steps") : starts.map(() => 1);
  }
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    c.fail(`starts/ends/axes/steps lengths differ (${starts.length}/${ends.length}/${axes.length}/${steps.length})`);
  }
  const out = x.slice();
  axes.forEach((ax, i) => {
    const a = c.axis(ax, x.length);
    const d = x[a]!;
    const step = steps[i]!;
    if (step === 0) c.fail("slice step 0");
    if (d < 0) {
      out[a] = -1;
      return;
    }
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    out[a] = Math.max(0, Math.ceil((e - s) / step));
  });
  return out;
}

function inferPad(c: Ctx, opset: number): number[] {
  const x = c.shape(0);
  const pads = opset < 11 ? c.ints("pads") : c.constant(1, "pads");
  const axes = opset >= 18 && c.has(3) ? c.constant(3, "axes").map((a) => c.axis(a, x.length)) : x.map((_, i) => i);
  if (pads.length !== 2 * axes.length) c.fail(`pads has ${pads.length} entries; ${2 * axes.length} needed for input ${fmt(x)}`);
  const out = x.slice();
  axes.forEach((a, i) => {
    const d = x[a]!;
    const o = d < 0 ? -1 : d + pads[i]! + pads[i + axes.length]!;
    if (d >= 0 && o < 0) c.fail(`negative output dimension ${o} on axis ${a}`);
    out[a] = o;
  });
  return out;
}

function inferConcat(c: Ctx): number[] {
  const shapes = c.node.inputs.map((_, i) => c.shape(i));
  const rank = shapes[0]!.length;
  const axis = c.axis(c.int("axis", NaN), rank);
  const out = shapes[0]!.slice();
  for (let k = 1; k < shapes.length; k++) {
    const s = shapes[k]!;
    if (s.length !== rank) c.fail(`inputs have different ranks: ${shapes.map(fmt).join(", ")}`);
    for (let i = 0; i < rank; i++) {
      if (i === axis) out[i] = out[i]! < 0 || s[i]! < 0 ? -1 : out[i]! + s[i]!;
      else if (out[i]! >= 0 && s[i]! >= 0 && out[i] !== s[i]) c.fail(`inputs differ outside axis ${axis}: ${shapes.map(fmt).join(", ")}`);
      else if (out[i]! < 0) out[i] = s[i]!;
    }
  }
  return out;
}

function inferReshape(c: Ctx): number[] {
  const x = c.shape(0);
  const target = c.constant(1, "shape");
  const allowZero = c.int("allowzero", 0) === 1;
  const out = target.map((d, i) => (d === 0 && !allowZero ? (i < x.length ? x[i]! : c.fail(`shape entry 0 at ${i} copies a dimension the input ${fmt(x)} lacks`)) : d));
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1 && target.filter((d) => d === -1).length > 1) c.fail(`shape ${fmt(target)} has more than one -1`);
  const known = x.every((d) => d >= 0);
  const total = known ? elementCount(x) : -1;
  const idx = target.indexOf(-1);
  if (idx >= 0) {
    const rest = out.filter((_, i) => i !== idx);
    if (known && rest.every((d) => d >= 0)) {
      const p = elementCount(rest);
      if (p === 0 || total % p !== 0) c.fail(`cannot reshape ${fmt(x)} (${total} elements) to ${fmt(target)}`);
      out[idx] = total / p;
    } else out[idx] = -1;
  } else if (known && out.every((d) => d >= 0) && elementCount(out) !== total) {
    c.fail(`cannot reshape ${fmt(x)} (${total} elements) to ${fmt(target)} (${elementCount(out)} elements)`);
  }
  return out;
}

function inferFlatten(c: Ctx): number[] {
  const x = c.shape(0);
  let axis = c.int("axis", 1);
  if (axis < 0) axis += x.length;
  if (axis < 0 || axis > x.length) c.fail(`axis ${c.int("axis", 1)} out of range for ${fmt(x)}`);
  const prod = (ds: number[]) => (ds.some((d) => d < 0) ? -1 : elementCount(ds));
  return [prod(x.slice(0, axis)), prod(x.slice(axis))];
}

function inferTranspose(c: Ctx): number[] {
  const x = c.shape(0);
  const perm = c.ints("perm", x.map((_, i) => x.length - 1 - i));
  if (perm.length !== x.length || new Set(perm).size !== perm.length || perm.some((p) => p < 0 || p >= x.length)) {
    c.fail(`perm ${fmt(perm)} is not a permutation of the ${x.length} axes of ${fmt(x)}`);
  }
  return perm.map((p) => x[p]!);
}

function inferReduceMean(c: Ctx, opset: number): number[] {
  const x = c.shape(0);
  let axes: number[] | undefined;
  if (opset >= 18) axes = c.has(1) ? c.constant(1, "axes") : undefined;
  else axes = c.node.attributes.axes !== undefined ? c.ints("axes") : undefined;
  if (axes && axes.length === 0 && c.int("noop_with_empty_axes", 0)) return x.slice();
  const set = new Set((axes && axes.length ? axes : x.map((_, i) => i)).map((a) => c.axis(a, x.length)));
  const keep = c.int("keepdims", 1) === 1;
  const out: number[] = [];
  x.forEach((d, i) => {
    if (set.has(i)) {
      if (keep) out.push(1);
    } else out.push(d);
  });
  return out;
}

function inferLayerNorm(c: Ctx): number[][] {
  const x = c.shape(0);
  const axis = c.axis(c.int("axis", -1), x.length);
  const normShape = x.slice(axis);
  broadcastShapes(normShape, c.shape(1), (m) => c.fail(`scale does not match the normalised dims ${fmt(normShape)}: ${m}`));
  if (c.has(2)) broadcastShapes(normShape, c.shape(2), (m) => c.fail(`bias does not match the normalised dims ${fmt(normShape)}: ${m}`));
  const stat = x.map((d, i) => (i < axis ? d : 1));
  return [x.slice(), stat, stat];
}

function inferBatchNorm(c: Ctx): number[] {
  const x = c.shape(0);
  if (x.length < 2) c.fail(`input must be [N,C,...], got ${fmt(x)}`);
  for (let i = 1; i <= 4; i++) {
    const s = c.shape(i);
    if (s.length !== 1 || (x[1]! >= 0 && s[0] !== x[1])) c.fail(`input ${i} has shape ${fmt(s)}, expected [${x[1]}] for input ${fmt(x)}`);
  }
  return x.slice();
}

/** Infers the output shapes of one node into graph.shapes. */
export function inferNode(graph: Graph, node: GraphNode): void {
  const c: Ctx = new Ctx(graph, node);
  let outs: number[][];
  switch (node.opType) {
    case "Conv":
      outs = [inferConv(c)];
      break;
    case "BatchNormalization":
      outs = [inferBatchNorm(c)];
      break;
    case "Relu":
    case "Gelu":
    case "Identity":
    case "Erf":
    case "Tanh":
    case "Sqrt":
      outs = [c.shape(0).slice()];
      break;
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
    case "Pow":
      outs = [broadcastShapes(c.shape(0), c.shape(1), (m) => c.fail(m))];
      break;
    case "MatMul":
      outs = [inferMatMul(c)];
      break;
    case "Gemm":
      outs = [inferGemm(c)];
      break;
    case "Slice":
      outs = [inferSlice(c, graph.opset)];
      break;
    case "Pad":
      outs = [inferPad(c, graph.opset)];
      break;
    case "Concat":
      outs = [inferConcat(c)];
      break;
    case "Reshape":
      outs = [inferReshape(c)];
      break;
    case "Flatten":
      outs = [inferFlatten(c)];
      break;
    case "Transpose":
      outs = [inferTranspose(c)];
      break;
    case "GlobalAveragePool": {
      const x = c.shape(0);
      if (x.length < 3) c.fail(`input must be [N,C,spatial...], got ${fmt(x)}`);
      outs = [[x[0]!, x[1]!, ...x.slice(2).map(() => 1)]];
      break;
    }
    case "AveragePool":
      outs = [inferAveragePool(c)];
      break;
    case "ReduceMean":
      outs = [inferReduceMean(c, graph.opset)];
      break;
    case "LayerNormalization":
      outs = inferLayerNorm(c);
      break;
    case "Constant": {
      const t = graph.constants.get(node.outputs[0]!);
      if (!t) c.fail("has no value");
      outs = [t.dims.slice()];
      break;
    }
    default:
      c.fail("no shape rule for this operator");
  }
  node.outputs.forEach((o, i) => {
    if (o && outs[i]) graph.shapes.set(o, outs[i]!);
  });
}

export function inferShapes(graph: Graph): void {
  for (const node of graph.nodes) inferNode(graph, node);
}

