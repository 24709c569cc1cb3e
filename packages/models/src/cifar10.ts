// Streaming reader for the CIFAR-10 binary layout: records of 3,073 bytes, [label u8][R 1024][G 1024][B 1024],
// each plane 32x32 row-major (cifar10/README.md). Reads are positional (constant memory): a 30 MB file is never
// loaded whole. The file is validated when opened: size = k * 3073 and every label < 10.
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { resolve } from "node:path";
import { dataFile } from "./data-dir.js";
import { DataCorruptError, DataMissingError } from "./errors.js";
import { DATASET_FILES } from "./registry.js";

export const CIFAR10_RECORD_BYTES = 3073;
export const CIFAR10_IMAGE_BYTES = 3072;
export const CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"] as const;

export interface ImageBatch {
  /** Record indices of the images in this batch (into the file). */
  indices: Int32Array;
  /** batch x 3072 bytes, each image as R,G,B 32x32 planes (CHW). */
  images: Uint8Array;
  labels: Uint8Array;
}

export interface SubsetOptions {
  /** Skip this many records first (default 0). */
  offset?: number;
  /** At most this many records. */
  limit?: number;
  /** If set, a deterministic pseudo-random sample of `limit` records (sorted) drawn with this seed. */
  seed?: number;
}

/** mulberry32: a tiny deterministic PRNG, so a seeded subset is the same on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Record indices selected by `opts` out of `count`, ascending. Deterministic. */
export function selectIndices(count: number, opts: SubsetOptions = {}): Int32Array {
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > count) {
    throw new RangeError(`offset must be an integer in [0, ${count}], got ${offset}`);
  }
  const avail = count - offset;
  const limit = opts.limit ?? avail;
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  const n = Math.min(limit, avail);
  if (opts.seed === undefined || n === avail) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = offset + i;
    return out;
  }
  // Partial Fisher-Yates over [offset, count), then sort: a uniform sample without replacement.
  const rnd = mulberry32(opts.seed);
  const pool = new Int32Array(avail);
  for (let i = 0; i < avail; i++) pool[i] = offset + i;
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rnd() * (avail - i));
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, n).sort();
}

export class Cifar10Dataset {
  readonly name: string;
  readonly path: string;
  readonly count: number;
  private readonly fd: number;
  private readonly labelCache: Uint8Array;
  private closed = false;

  private constructor(name: string, path: string, fd: number, count: number, labels: Uint8Array) {
    this.name = name;
    this.path = path;
    this.fd = fd;
    this.count = count;
    this.labelCache = labels;
  }

  /** Opens and validates a CIFAR-10 .bin file (size multiple of 3073, labels < 10). */
  static open(path: string, name = path): Cifar10Dataset {
    const abs = resolve(path);
    if (!existsSync(abs)) throw new DataMissingError(abs, `dataset file for '${name}'`);
    const fd = openSync(abs, "r");
    try {
      const size = fstatSync(fd).size;
      if (size === 0 || size % CIFAR10_RECORD_BYTES !== 0) {
        throw new DataCorruptError(
          `${abs}: size ${size} bytes is not a positive multiple of ${CIFAR10_RECORD_BYTES} (CIFAR-10 binary record = 1 label byte + 3072 pixel bytes); the file is truncated or not CIFAR-10 binary`,
        );
      }
      const count = size / CIFAR10_RECORD_BYTES;
      const labels = new Uint8Array(count);
      // Validate in chunks of records, so a corrupt file fails at open with the record number.
      const chunkRecords = 1024;
      const buf = Buffer.allocUnsafe(chunkRecords * CIFAR10_RECORD_BYTES);
      for (let start = 0; start < count; start += chunkRecords) {
        const n = Math.min(chunkRecords, count - start);
        const want = n * CIFAR10_RECORD_BYTES;
        const got = readSync(fd, buf, 0, want, start * CIFAR10_RECORD_BYTES);
        if (got !== want) throw new DataCorruptError(`${abs}: short read at record ${start} (${got} of ${want} bytes)`);
        for (let r = 0; r < n; r++) {
          const label = buf[r * CIFAR10_RECORD_BYTES]!;
          if (label > 9) {
            throw new DataCorruptError(
              `${abs}: record ${start + r} (byte offset ${(start + r) * CIFAR10_RECORD_BYTES}) has label ${label}; CIFAR-10 labels are 0..9`,
            );
          }
          labels[start + r] = label;
        }
      }
      return new Cifar10Dataset(name, abs, fd, count, labels);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  private checkIndex(i: number): void {
    if (this.closed) throw new Error(`dataset ${this.name} is closed`);
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`${this.path}: record index ${i} out of range [0, ${this.count})`);
    }
  }

  label(i: number): number {
    this.checkIndex(i);
    return this.labelCache[i]!;
  }

  /** All labels (a copy). */
  labels(): Uint8Array {
    return this.labelCache.slice();
  }

  /** The 3072 pixel bytes of record i (R,G,B planes). */
  image(i: number): Uint8Array {
    this.checkIndex(i);
    const out = new Uint8Array(CIFAR10_IMAGE_BYTES);
    const got = readSync(this.fd, out, 0, CIFAR10_IMAGE_BYTES, i * CIFAR10_RECORD_BYTES + 1);
    if (got !== CIFAR10_IMAGE_BYTES) throw new DataCorruptError(`${this.path}: short read at record ${i}`);
    return out;
  }

  /** Reads the given records (ascending runs are read with one positional read each). */
  read(indices: ArrayLike<number>): ImageBatch {
    const n = indices.length;
    const images = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
    const labels = new Uint8Array(n);
    const idx = Int32Array.from(indices as ArrayLike<number>);
    let k = 0;
    while (k < n) {
      // Find a run of consecutive record indices, read it in one call.
      let end = k + 1;
      while (end < n && idx[end] === idx[end - 1]! + 1) end++;
      this.checkIndex(idx[k]!);
      this.checkIndex(idx[end - 1]!);
      const runBytes = (end - k) * CIFAR10_RECORD_BYTES;
      const buf = Buffer.allocUnsafe(runBytes);
      const got = readSync(this.fd, buf, 0, runBytes, idx[k]! * CIFAR10_RECORD_BYTES);
      if (got !== runBytes) throw new DataCorruptError(`${this.path}: short read at record ${idx[k]}`);
      for (let r = 0; r < end - k; r++) {
        const o = r * CIFAR10_RECORD_BYTES;
        labels[k + r] = buf[o]!;
        images.set(buf.subarray(o + 1, o + CIFAR10_RECORD_BYTES), (k + r) * CIFAR10_IMAGE_BYTES);
      }
      k = end;
    }
    return { indices: idx, images, labels };
  }

  /** Batches over a deterministic subset (default: all records in order). */
  *batches(batchSize: number, subset: SubsetOptions | Int32Array = {}): Generator<ImageBatch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const indices = subset instanceof Int32Array ? subset : selectIndices(this.count, subset);
    for (let s = 0; s < indices.length; s += batchSize) yield this.read(indices.subarray(s, s + batchSize));
  }

  close(): void {
    if (!this.closed) {
      closeSync(this.fd);
      this.closed = true;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens a dataset by registry name ("cifar10-test-lossless", "cifar10-test", "cifar10-train",
 * "cifar10-train-lossless") or by a path to a CIFAR-10 .bin file.
 */
export function openDataset(nameOrPath: string): Cifar10Dataset {
  const known = DATASET_FILES[nameOrPath];
  if (known) return Cifar10Dataset.open(dataFile(known.file, `dataset file for '${nameOrPath}'`), nameOrPath);
  if (existsSync(nameOrPath)) return Cifar10Dataset.open(nameOrPath, nameOrPath);
  throw new DataMissingError(
    resolve(nameOrPath),
    `dataset '${nameOrPath}' (neither a known name — ${Object.keys(DATASET_FILES).join(", ")} — nor an existing file)`,
  );
}
