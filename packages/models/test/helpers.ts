// Test helpers: a tiny ONNX builder (onnx-proto) and an independent float64 PolyProgram interpreter plus a
// Chebyshev-interpolant-to-PolyProgram compiler (Clenshaw recurrence, Mason & Handscomb, "Chebyshev Polynomials",
// 2003, section 2.4.1), written here so these tests do not depend on @ola/poly.
import onnxProto from "onnx-proto";
import type { PolyOp, PolyProgram } from "@ola/models";

export const onnx = onnxProto.onnx;

type Dim = number | "N";
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, number | number[] | string>;
}

export function buildModel(opts: {
  inputs: [string, Dim[]][];
  outputs: [string, Dim[] | undefined][];
  nodes: NodeSpec[];
  initializers?: [string, number[], number[] | Float32Array, ("float" | "int64")?][];
  opset?: number;
  irVersion?: number;
}): Uint8Array {
  const vi = (name: string, dims: Dim[] | undefined) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: 1,
          shape: dims ? { dim: dims.map((d) => (d === "N" ? { dimParam: "N" } : { dimValue: d })) } : undefined,
        },
      },
    });
  const attr = (name: string, v: number | number[] | string) => {
    if (typeof v === "string") return onnx.AttributeProto.create({ name, type: 3, s: new TextEncoder().encode(v) });
    if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: 7, ints: v });
    if (Number.isInteger(v) && name !== "epsilon" && name !== "alpha") return onnx.AttributeProto.create({ name, type: 2, i: v });
    return onnx.AttributeProto.create({ name, type: 1, f: v });
  };
  const model = onnx.ModelProto.create({
    irVersion: opts.irVersion ?? 8,
    opsetImport: [{ domain: "", version: opts.opset ?? 13 }],
    producerName: "ola-test",
    graph: {
      name: "test",
      input: opts.inputs.map(([n, d]) => vi(n, d)),
      output: opts.outputs.map(([n, d]) => vi(n, d)),
      node: opts.nodes.map((n, i) =>
        onnx.NodeProto.create({
          name: n.name ?? `${n.op}_${i}`,
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
        }),
      ),
      initializer: (opts.initializers ?? []).map(([name, dims, data, type]) =>
        type === "int64"
          ? onnx.TensorProto.create({ name, dims, dataType: 7, int64Data: Array.from(data) })
          : onnx.TensorProto.create({ name, dims, dataType: 1, floatData: Array.from(data) }),
      ),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Float64 interpreter of a PolyProgram (INTERFACES.md section 1 semantics). */
export function runProgram64(p: PolyProgram, x: number): number {
  const r: number[] = [x];
  for (const o of p.ops) {
    switch (o.op) {
      case "mul":
        r.push(r[o.a]! * r[o.b]!);
        break;
      case "mulConst":
        r.push(o.c * r[o.a]!);
        break;
      case "mulInt":
        r.push(o.k * r[o.a]!);
        break;
      case "add":
        r.push(r[o.a]! + r[o.b]!);
        break;
      case "sub":
        r.push(r[o.a]! - r[o.b]!);
        break;
      case "addConst":
        r.push(r[o.a]! + o.c);
        break;
      case "linear":
        r.push(o.terms.reduce((s, [k, c]) => s + c * r[k]!, 0) + o.c);
        break;
    }
  }
  return r[p.output]!;
}

const zeroCost = { depth: 0, nonScalarMultiplications: 0, scalarMultiplications: 0, additions: 0 };

export function identityProgram(): PolyProgram {
  return { version: 1, ops: [], output: 0, cost: zeroCost };
}

/** Chebyshev coefficients c_0..c_n of the degree-n interpolant of f at the n+1 Chebyshev points of [a,b]. */
export function chebyshevInterpolant(f: (x: number) => number, a: number, b: number, n: number): number[] {
  const m = n + 1;
  const fx: number[] = [];
  for (let j = 0; j < m; j++) {
    const t = Math.cos((Math.PI * (j + 0.5)) / m);
    fx.push(f(((b - a) / 2) * t + (a + b) / 2));
  }
  const c: number[] = [];
  for (let k = 0; k <= n; k++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += fx[j]! * Math.cos((Math.PI * k * (j + 0.5)) / m);
    c.push(((k === 0 ? 1 : 2) / m) * s);
  }
  return c;
}

/**
 * Appends ops computing p(x) = sum_k c_k T_k(t), t = (2x - a - b)/(b - a), x in register `input`, by the
 * Clenshaw recurrence b_k = c_k + 2t b_{k+1} - b_{k+2}, p = c_0 + t b_1 - b_2 (with 2t precomputed, so each
 * degree costs one mul and one linear op). Needs n >= 2. Returns the result register.
 */
export function appendClenshaw(ops: PolyOp[], input: number, c: number[], a: number, b: number): number {
  const n = c.length - 1;
  if (n < 2) throw new Error("degree >= 2 expected");
  const push = (o: PolyOp) => (ops.push(o), ops.length);
  const t = push({ op: "linear", terms: [[input, 2 / (b - a)]], c: -(a + b) / (b - a) });
  const t2 = push({ op: "linear", terms: [[input, 4 / (b - a)]], c: (-2 * (a + b)) / (b - a) });
  // b_n = c_n (a constant), b_{n-1} = c_{n-1} + 2t c_n
  let bk2: number | { const: number } = { const: c[n]! };
  let bk1 = push({ op: "linear", terms: [[t2, c[n]!]], c: c[n - 1]! });
  for (let k = n - 2; k >= 1; k--) {
    const m = push({ op: "mul", a: t2, b: bk1 });
    const next: number =
      typeof bk2 === "number" ? push({ op: "linear", terms: [[m, 1], [bk2, -1]], c: c[k]! }) : push({ op: "addConst", a: m, c: c[k]! - bk2.const });
    bk2 = bk1;
    bk1 = next;
  }
  const m = push({ op: "mul", a: t, b: bk1 });
  return typeof bk2 === "number" ? push({ op: "linear", terms: [[m, 1], [bk2, -1]], c: c[0]! }) : push({ op: "addConst", a: m, c: c[0]! - bk2.const });
}

/** Program for the Chebyshev interpolant of degree n of f on [a, b]. */
export function chebyshevProgram(f: (x: number) => number, a: number, b: number, n: number): PolyProgram {
  const ops: PolyOp[] = [];
  const out = appendClenshaw(ops, 0, chebyshevInterpolant(f, a, b, n), a, b);
  return { version: 1, ops, output: out, cost: zeroCost };
}

/**
 * ReLU(x) = (x + |x|)/2 with |x| = sqrt(x^2) approximated by the degree-n Chebyshev interpolant of sqrt on [0, R^2]:
 * an even polynomial of degree 2n in x for the price of n Clenshaw steps.
 */
export function reluProgram(R: number, n: number): PolyProgram {
  const ops: PolyOp[] = [{ op: "mul", a: 0, b: 0 }];
  const q = appendClenshaw(ops, 1, chebyshevInterpolant(Math.sqrt, 0, R * R, n), 0, R * R);
  ops.push({ op: "linear", terms: [[0, 0.5], [q, 0.5]], c: 0 });
  return { version: 1, ops, output: ops.length, cost: zeroCost };
}

export const relu = (x: number) => (x > 0 ? x : 0);

/**
 * erf in float64: Taylor series for |x| <= 3 (largest term ~3e3, so cancellation costs < 1e-12), and for |x| > 3
 * erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) (Abramowitz & Stegun 7.1.14),
 * evaluated backwards with 80 levels.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let frac = ax;
  for (let k = 80; k >= 1; k--) frac = ax + k / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}

export const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
