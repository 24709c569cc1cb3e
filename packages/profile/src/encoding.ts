// Compact, exact encodings of typed arrays inside JSON: little-endian bytes in base64.
import { ProfileError } from "./errors.js";

export type ArrayEncoding = "u32le-base64" | "f64le-base64" | "f32le-base64";

export interface EncodedArray {
  encoding: ArrayEncoding;
  length: number;
  data: string;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toBase64(view: ArrayBufferView): string {
  if (!littleEndian) throw new Error("big-endian hosts are not supported by the profile encoder");
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("base64");
}

/** Counts: u32 when every count fits (always, for realistic calibration sets), else f64. */
export function encodeCounts(counts: Float64Array): EncodedArray {
  const fits = counts.every((c) => Number.isInteger(c) && c >= 0 && c <= 0xffffffff);
  return fits
    ? { encoding: "u32le-base64", length: counts.length, data: toBase64(Uint32Array.from(counts)) }
    : { encoding: "f64le-base64", length: counts.length, data: toBase64(counts) };
}

export function encodeFloat32(values: Float32Array): EncodedArray {
  return { encoding: "f32le-base64", length: values.length, data: toBase64(values) };
}

export function decodeArray(e: unknown, where: string): Float64Array | Float32Array {
  const a = e as Partial<EncodedArray> | null;
  if (!a || typeof a !== "object" || typeof a.data !== "string" || typeof a.length !== "number") {
    throw new ProfileError(`${where}: expected {encoding, length, data}`);
  }
  const bytes = Buffer.from(a.data, "base64");
  const size = a.encoding === "f64le-base64" ? 8 : a.encoding === "u32le-base64" || a.encoding === "f32le-base64" ? 4 : 0;
  if (size === 0) throw new ProfileError(`${where}: unknown encoding ${JSON.stringify(a.encoding)}`);
  if (bytes.length !== a.length * size) throw new ProfileError(`${where}: ${bytes.length} bytes do not hold ${a.length} values of ${size} bytes`);
  const buf = new ArrayBuffer(bytes.length);
  new Uint8Array(buf).set(bytes);
  if (a.encoding === "u32le-base64") return Float64Array.from(new Uint32Array(buf));
  if (a.encoding === "f64le-base64") return new Float64Array(buf);
  return new Float32Array(buf);
}
