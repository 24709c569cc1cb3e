// Key-switching keys sized to the levels they are used at.
//
// A SEAL key-switching key (relinearisation or Galois) holds one RLWE sample per *decomposition prime*
// (every data prime of the first level), each over all key-level primes. Switching a ciphertext at level l
// only reads the samples 0..l (SEAL 4.1 Evaluator::switch_key_inplace loops over the ciphertext's primes),
// so a key that will only ever be used at levels <= l can drop the rest: at N = 2^15 with 20 data primes a
// Galois key used by convolutions at level <= 7 shrinks from 220 MB to 88 MB. SEAL does not check the
// sample count, so using a truncated key above its level would read past it: the KeyStore records each
// key's level and the Evaluator refuses such a rotation (LevelError) before SEAL sees it.
//
// Serialised layout (uncompressed, SEAL 4.1 KSwitchKeys::save): 16-byte header (total size at byte 8) |
// parms_id 4×u64 | u64 count of key vectors | per vector: u64 count of samples, then the samples, each a
// serialised Ciphertext whose own header carries its total size at byte 8.

const DIM1 = 48;

interface Vector {
  /** Byte offset of the u64 sample count. */
  at: number;
  samples: { at: number; bytes: number }[];
}

function parse(bytes: Uint8Array): { dv: DataView; vectors: Vector[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new Error(`not an uncompressed SEAL key-switching key: ${why}`);
  };
  if (bytes.byteLength < DIM1 + 8 || dv.getUint16(0, true) !== 0xa15e) fail("bad header");
  if (dv.getUint8(5) !== 0) fail("compressed (save with ComprModeType.none)");
  if (Number(dv.getBigUint64(8, true)) !== bytes.byteLength) fail("size field does not match the buffer");
  const dim1 = Number(dv.getBigUint64(DIM1, true));
  if (dim1 > 1 << 20) fail("implausible vector count");
  let off = DIM1 + 8;
  const vectors: Vector[] = [];
  for (let i = 0; i < dim1; i++) {
    if (off + 8 > bytes.byteLength) fail("truncated");
    const dim2 = Number(dv.getBigUint64(off, true));
    const v: Vector = { at: off, samples: [] };
    off += 8;
    for (let j = 0; j < dim2; j++) {
      if (off + 16 > bytes.byteLength) fail("truncated sample");
      const n = Number(dv.getBigUint64(off + 8, true));
      if (n < 16 || off + n > bytes.byteLength) fail("bad sample size");
      v.samples.push({ at: off, bytes: n });
      off += n;
    }
    vectors.push(v);
  }
  if (off !== bytes.byteLength) fail("trailing bytes");
  return { dv, vectors };
}

/** Byte ranges of the samples (serialised ciphertexts) of each key vector, in order. */
export function switchingKeySamples(bytes: Uint8Array): { at: number; bytes: number }[][] {
  return parse(bytes).vectors.map((v) => v.samples);
}

/** Highest ciphertext level the key can switch: (samples per non-empty key vector) − 1. */
export function switchingKeyMaxLevel(bytes: Uint8Array): number {
  const { vectors } = parse(bytes);
  const counts = vectors.map((v) => v.samples.length).filter((c) => c > 0);
  if (counts.length === 0) throw new Error("not a usable key-switching key: it holds no samples");
  return Math.min(...counts) - 1;
}

/** A copy of the key keeping only the samples needed up to `maxLevel` (unchanged if it has no more). */
export function truncateSwitchingKey(bytes: Uint8Array, maxLevel: number): Uint8Array {
  if (!Number.isInteger(maxLevel) || maxLevel < 0) throw new RangeError(`maxLevel must be a non-negative integer, got ${maxLevel}`);
  const { vectors } = parse(bytes);
  const keep = maxLevel + 1;
  const parts: Uint8Array[] = [bytes.subarray(0, DIM1 + 8)];
  for (const v of vectors) {
    const n = Math.min(keep, v.samples.length);
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigUint64(0, BigInt(n), true);
    parts.push(count);
    for (let j = 0; j < n; j++) parts.push(bytes.subarray(v.samples[j].at, v.samples[j].at + v.samples[j].bytes));
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  new DataView(out.buffer).setBigUint64(8, BigInt(total), true);
  return out;
}
