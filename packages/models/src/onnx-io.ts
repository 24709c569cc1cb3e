// Decoding/encoding ONNX ModelProto bytes with onnx-proto (protobufjs static module, ONNX 1.10.2 schema, IR <= 8
// fields; TOOLCHAIN.md section 3.4). int64 fields decode as Long: convert with `toNumber`.
// onnx-proto is CommonJS: under NodeNext its namespace is reached through the default import at run time.
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import { OnnxInvalidError, OnnxMalformedError } from "./errors.js";

export const onnx = onnxProto.onnx;
export type { OnnxTypes };
export type ModelProto = OnnxTypes.ModelProto;
export type NodeProto = OnnxTypes.INodeProto;
export type TensorProto = OnnxTypes.ITensorProto;

type LongLike = number | { toNumber(): number } | null | undefined;

export function toNumber(x: LongLike): number {
  if (x === null || x === undefined) return 0;
  return typeof x === "number" ? x : x.toNumber();
}

/**
 * Decodes ONNX bytes; a malformed or truncated buffer gives an OnnxMalformedError naming the source.
 * Every node gets a unique non-empty name (unnamed nodes become `<OpType>_<index>`), so the graph IR and the
 * transforms that work on the proto agree on names.
 */
export function decodeModel(bytes: Uint8Array, source = "<bytes>"): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new OnnxMalformedError(`${source}: expected ONNX bytes (Uint8Array)`);
  if (bytes.length === 0) throw new OnnxMalformedError(`${source}: empty file, not an ONNX model`);
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    const truncated = /index out of range/i.test(msg);
    throw new OnnxMalformedError(
      `${source}: not a valid ONNX model (${bytes.length} bytes): protobuf decoding failed: ${msg}` +
        (truncated ? " — the file is truncated" : " — the bytes are not an ONNX ModelProto or are corrupt"),
    );
  }
  if (!model.graph) throw new OnnxMalformedError(`${source}: decoded, but it holds no graph: not an ONNX model`);
  if (!model.graph.node || model.graph.node.length === 0) {
    throw new OnnxMalformedError(`${source}: the ONNX graph has no nodes (truncated or not a model file)`);
  }
  if (!model.opsetImport || model.opsetImport.length === 0) {
    throw new OnnxMalformedError(`${source}: no opset_import: not a valid ONNX model`);
  }
  nameNodes(model);
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Gives every node a unique, non-empty name. Deterministic: depends only on the node order. */
export function nameNodes(model: ModelProto): void {
  const nodes = model.graph!.node!;
  const used = new Set<string>();
  for (const n of nodes) if (n.name) used.add(n.name);
  nodes.forEach((n, i) => {
    if (!n.name) {
      let name = `${n.opType}_${i}`;
      while (used.has(name)) name += "_";
      n.name = name;
      used.add(name);
    }
  });
}

/** The default-domain opset version the model imports. */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport!.find((o) => !o.domain || o.domain === "ai.onnx");
  if (!entry) throw new OnnxInvalidError("the model imports no default-domain (ai.onnx) opset");
  return toNumber(entry.version as LongLike);
}

/** Deep-copies a ModelProto (encode/decode round trip), so transforms never mutate their input. */
export function cloneModel(model: ModelProto): ModelProto {
  return onnx.ModelProto.decode(encodeModel(model));
}

/** A float32 TensorProto (raw little-endian data). */
export function floatTensorProto(name: string, dims: number[], data: Float32Array | number[]): OnnxTypes.TensorProto {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  const raw = new Uint8Array(arr.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < arr.length; i++) dv.setFloat32(i * 4, arr[i]!, true);
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
}

/** ValueInfoProto of a float tensor; -1 dims become the symbolic batch dimension "N". */
export function floatValueInfo(name: string, shape: number[] | undefined): OnnxTypes.ValueInfoProto {
  const type = onnx.TypeProto.create({
    tensorType: onnx.TypeProto.Tensor.create({
      elemType: onnx.TensorProto.DataType.FLOAT,
      shape: shape
        ? onnx.TensorShapeProto.create({
            dim: shape.map((d) => (d >= 0 ? { dimValue: d } : { dimParam: "N" })),
          })
        : undefined,
    }),
  });
  return onnx.ValueInfoProto.create({ name, type });
}
