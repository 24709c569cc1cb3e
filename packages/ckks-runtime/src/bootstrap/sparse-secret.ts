// A sparse ternary secret key (exactly h non-zeros, each ±1) for SEAL's KeyGenerator(ctx, sk).
//
// SEAL stores the secret in NTT form over every prime of the key level (data primes + special prime P).
// Ciphertexts cannot live at the key level, so SEAL's NTT cannot be borrowed through a container there;
// we run the same negacyclic NTT in JS (BigInt; once per key): SEAL's minimal primitive 2N-th root ψ,
// powers stored in bit-reversed order, Cooley–Tukey with output in bit-reversed order
// (SEAL 4.1 numth.cpp try_minimal_primitive_root, ntt.cpp). The result is checked against SEAL's own
// NTT on the data primes in the tests.
import { randomInt } from "node:crypto";
import type { CkksContext } from "../context.js";
import { PT } from "./seal-bytes.js";

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

/** SEAL's choice of ψ: the smallest primitive 2N-th root of unity mod q. */
export function minimalPrimitiveRoot(N: number, q: bigint): bigint {
  const twoN = BigInt(2 * N);
  if ((q - 1n) % twoN !== 0n) throw new Error(`${q} is not 1 mod 2N`);
  let root = 0n;
  for (let g = 2n; g < 1000n; g++) {
    const x = modPow(g, (q - 1n) / twoN, q);
    if (modPow(x, BigInt(N), q) === q - 1n) {
      root = x;
      break;
    }
  }
  if (root === 0n) throw new Error(`no primitive 2N-th root found mod ${q}`);
  const sq = (root * root) % q;
  let best = root;
  let cur = root;
  for (let i = 0; i < N; i++) {
    if (cur < best) best = cur;
    cur = (cur * sq) % q;
  }
  return best;
}

function bitrev(x: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) {
    r = (r << 1) | ((x >> i) & 1);
  }
  return r;
}

/** Forward negacyclic NTT in SEAL's ordering (in place, values in [0, q)). */
export function nttNegacyclic(a: bigint[], q: bigint): void {
  const N = a.length;
  const logN = Math.log2(N);
  const psi = minimalPrimitiveRoot(N, q);
  const roots: bigint[] = new Array(N);
  roots[0] = 1n;
  let pw = psi;
  for (let i = 1; i < N; i++) {
    roots[bitrev(i, logN)] = pw;
    pw = (pw * psi) % q;
  }
  let gap = N >> 1;
  let idx = 0;
  for (let m = 1; m < N; m <<= 1) {
    let offset = 0;
    for (let i = 0; i < m; i++) {
      const r = roots[++idx];
      for (let j = offset; j < offset + gap; j++) {
        const u = a[j];
        const v = (a[j + gap] * r) % q;
        a[j] = (u + v) % q;
        a[j + gap] = (u - v + q) % q;
      }
      offset += gap << 1;
    }
    gap >>= 1;
  }
}

/** Exactly h distinct positions with random signs; returns the coefficient vector in {−1, 0, 1}. */
export function sampleSparseTernary(N: number, h: number, rand: (n: number) => number = (n) => randomInt(n)): Int8Array {
  if (!Number.isInteger(h) || h < 1 || h > N) throw new RangeError(`hamming weight must be in [1, ${N}], got ${h}`);
  const s = new Int8Array(N);
  let placed = 0;
  while (placed < h) {
    const k = rand(N);
    if (s[k] !== 0) continue;
    s[k] = rand(2) === 0 ? 1 : -1;
    placed++;
  }
  return s;
}

/**
 * Serialised SEAL SecretKey holding the ternary polynomial `s` (e.g. from sampleSparseTernary), for
 * CkksClient({ secretKey }). The layout is taken from a throw-away SEAL key of the same context.
 */
export function secretKeyBytes(ctx: CkksContext, s: Int8Array): Uint8Array {
  const seal = ctx.seal;
  const N = ctx.N;
  if (s.length !== N) throw new RangeError(`secret has ${s.length} coefficients, ring degree is ${N}`);
  const kg = seal.KeyGenerator(ctx.sealContext);
  const sk = kg.secretKey();
  let bytes: Uint8Array;
  try {
    bytes = sk.saveArray(seal.ComprModeType.none).slice();
  } finally {
    sk.delete();
    kg.delete();
  }
  const primes = [...ctx.primes];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (Number(dv.getBigUint64(PT.coeffCount, true)) !== N * primes.length) {
    throw new Error("unexpected secret-key layout (coefficient count is not N times the key-level primes)");
  }
  primes.forEach((q, i) => {
    const a = Array.from(s, (v) => (v === 1 ? 1n : v === -1 ? q - 1n : 0n));
    nttNegacyclic(a, q);
    for (let k = 0; k < N; k++) dv.setBigUint64(PT.data + 8 * (i * N + k), a[k], true);
  });
  return bytes;
}
