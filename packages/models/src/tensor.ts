// TensorProto <-> IR Tensor. Raw data is little-endian (ONNX spec, onnx.proto TensorProto.raw_data).
import { OnnxInvalidError } from "./errors.js";
import type { Tensor, TensorDataType } from "./graph.js";
import { elementCount } from "./graph.js";
import { onnx, toNumber, type TensorProto } from "./onnx-io.js";

const DT = onnx.TensorProto.DataType;

export function dataTypeFromOnnx(code: number, where: string): TensorDataType {
  switch (code) {
    case DT.FLOAT:
      return "float32";
    case DT.DOUBLE:
      return "float64";
    case DT.INT64:
      return "int64";
    case DT.INT32:
      return "int32";
    case DT.INT8:
      return "int8";
    case DT.UINT8:
      return "uint8";
    case DT.BOOL:
      return "bool";
    default:
      throw new OnnxInvalidError(`${where}: tensor element type ${DT[code] ?? code} is not supported (float, double, int64, int32, int8, uint8, bool)`);
  }
}

export function dataTypeToOnnx(t: TensorDataType): number {
  return { float32: DT.FLOAT, float64: DT.DOUBLE, int64: DT.INT64, int32: DT.INT32, int8: DT.INT8, uint8: DT.UINT8, bool: DT.BOOL }[t];
}

const BYTES: Record<TensorDataType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

export function tensorFromProto(p: TensorProto, where: string): Tensor {
  const name = p.name ?? "";
  const label = `${where}${name ? ` '${name}'` : ""}`;
  if (p.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (p.externalData && p.externalData.length > 0)) {
    throw new OnnxInvalidError(`${label}: tensor data stored in an external file is not supported; save the model with all weights inside the .onnx file`);
  }
  const dims = (p.dims ?? []).map((d) => toNumber(d));
  const dataType = dataTypeFromOnnx(p.dataType ?? 0, label);
  const n = elementCount(dims);
  const raw = p.rawData;
  let data: Tensor["data"];
  if (raw && raw.length > 0) {
    const need = n * BYTES[dataType];
    if (raw.length !== need) {
      throw new OnnxInvalidError(`${label}: raw data has ${raw.length} bytes but dims [${dims.join(",")}] need ${need} (truncated or corrupt model)`);
    }
    // Copy into an aligned buffer; the protobuf slice may start at any offset.
    const buf = new ArrayBuffer(need);
    new Uint8Array(buf).set(raw);
    data =
      dataType === "float32" ? new Float32Array(buf)
      : dataType === "float64" ? new Float64Array(buf)
      : dataType === "int64" ? new BigInt64Array(buf)
      : dataType === "int32" ? new Int32Array(buf)
      : dataType === "int8" ? new Int8Array(buf)
      : new Uint8Array(buf);
  } else {
    const src: ArrayLike<unknown> =
      dataType === "float32" ? (p.floatData ?? [])
      : dataType === "float64" ? (p.doubleData ?? [])
      : dataType === "int64" ? (p.int64Data ?? [])
      : (p.int32Data ?? []);
    if (src.length !== n) {
      throw new OnnxInvalidError(`${label}: holds ${src.length} values but dims [${dims.join(",")}] need ${n} (truncated or corrupt model)`);
    }
    if (dataType === "float32") data = Float32Array.from(src as number[]);
    else if (dataType === "float64") data = Float64Array.from(src as number[]);
    else if (dataType === "int64") data = BigInt64Array.from(src as (number | { toString(): string })[], (v) => BigInt(String(v)));
    else if (dataType === "int32") data = Int32Array.from(src as number[]);
    else if (dataType === "int8") data = Int8Array.from(src as number[]);
    else data = Uint8Array.from(src as number[]);
  }
  return { dims, dataType, data };
}

export function tensorToProto(name: string, t: Tensor): TensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return onnx.TensorProto.create({ name, dims: t.dims, dataType: dataTypeToOnnx(t.dataType), rawData: bytes });
}
