// Byte-level SEAL 4.1 surgery on uncompressed serialisations (shared/TOOLCHAIN.md §2.6, design note
// §2.5): ModRaise, plaintexts with arbitrary (complex-slot) contents, and SEAL's own NTT run through a
// ciphertext "container". Little-endian; the ciphertext data offset (113) is not 8-aligned, so all
// access goes through DataView.
import { Ciphertext, Plaintext } from "../ciphertext.js";
import type { CkksContext } from "../context.js";
import { sealErrorMessage, type SealCipherText } from "../seal.js";

/** Ciphertext layout (SEAL 4.1, compression none). */
export const CT = {
  parmsId: 16,
  isNtt: 48,
  size: 49,
  polyDegree: 57,
  coeffModSize: 65,
  scale: 73,
  innerHeader: 89,
  innerTotalSize: 97,
  count: 105,
  data: 113,
} as const;

/** Plaintext / secret-key layout (SEAL 4.1, compression none). */
export const PT = {
  parmsId: 16,
  coeffCount: 48,
  scale: 56,
  innerHeader: 64,
  innerTotalSize: 72,
  count: 80,
  data: 88,
} as const;

const HEADER_TOTAL_SIZE = 8; // u64 total size inside the 16-byte SEAL header

/**
 * Allocates an uncompressed ciphertext serialisation of `size` polynomials over `primes` primes (degree N),
 * copies the fixed header (everything before the data) from `template` and rewrites every size field
 * (the SEAL header's total size, size, coefficient-modulus count, the inner header's total size and the
 * data count), so only the data and, if the level changes, the parms_id remain to be written.
 */
export function ciphertextBytes(template: Uint8Array, size: number, primes: number, N: number): { bytes: Uint8Array; dv: DataView } {
  const dataBytes = 8 * size * primes * N;
  const bytes = new Uint8Array(CT.data + dataBytes);
  bytes.set(template.subarray(0, CT.data));
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(HEADER_TOTAL_SIZE, BigInt(bytes.byteLength), true);
  dv.setBigUint64(CT.size, BigInt(size), true);
  dv.setBigUint64(CT.coeffModSize, BigInt(primes), true);
  dv.setBigUint64(CT.innerTotalSize, BigInt(16 + 8 + dataBytes), true);
  dv.setBigUint64(CT.count, BigInt(size * primes * N), true);
  return { bytes, dv };
}

function writeParmsId(dv: DataView, at: number, id: BigUint64Array): void {
  for (let i = 0; i < 4; i++) dv.setBigUint64(at + 8 * i, id[i], true);
}

/**
 * Writes the residues of the signed integer v modulo every prime into `dv` at `at + 8·i·stride`.
 * v must be an integer-valued double.
 */
export function writeResidues(dv: DataView, at: number, stride: number, v: number, primes: readonly bigint[], primesNum: readonly number[]): void {
  const av = Math.abs(v);
  if (av < 2 ** 53) {
    for (let i = 0; i < primes.length; i++) {
      const q = primesNum[i];
      const off = at + 8 * i * stride;
      let r: number;
      if (q < 2 ** 53) {
        r = v % q;
        if (r < 0) r += q;
        dv.setUint32(off, r % 2 ** 32, true);
        dv.setUint32(off + 4, Math.floor(r / 2 ** 32), true);
      } else if (v >= 0) {
        dv.setUint32(off, v % 2 ** 32, true);
        dv.setUint32(off + 4, Math.floor(v / 2 ** 32), true);
      } else {
        dv.setBigUint64(off, primes[i] - BigInt(av), true);
      }
    }
    return;
  }
  const bv = BigInt(v);
  for (let i = 0; i < primes.length; i++) {
    let r = bv % primes[i];
    if (r < 0n) r += primes[i];
    dv.setBigUint64(at + 8 * i * stride, r, true);
  }
}

/**
 * ModRaise (Cheon et al. 2018): a level-0 ciphertext (c0, c1) mod q0 becomes the same pair, centred-lifted
 * into (−q0/2, q0/2], at the top level. It then decrypts to m + e + q0·I with small integer I.
 * Returns a new ciphertext at the top level in NTT form; its scale is set to `scale`.
 */
export function modRaise(ctx: CkksContext, ct: Ciphertext, scale: number): Ciphertext {
  if (ct.level !== 0) throw new Error(`modRaise expects a level-0 ciphertext (only q0 left), got level ${ct.level}`);
  const seal = ctx.seal;
  const ev = seal.Evaluator(ctx.sealContext);
  const tmp = seal.CipherText();
  const out = seal.CipherText();
  try {
    ev.cipherTransformFromNtt(ct.handle, tmp);
    const src = tmp.saveArray(seal.ComprModeType.none);
    const sdv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const N = ctx.N;
    const size = Number(sdv.getBigUint64(CT.size, true));
    if (Number(sdv.getBigUint64(CT.coeffModSize, true)) !== 1 || Number(sdv.getBigUint64(CT.polyDegree, true)) !== N) {
      throw new Error("modRaise: unexpected ciphertext layout (SEAL version?)");
    }
    const top = ctx.levelInfo(ctx.topLevel);
    const primes = top.primes;
    const primesNum = primes.map(Number);
    const L = primes.length;
    const q0 = primes[0];
    const q0n = Number(q0);
    const half = q0 / 2n;
    const { bytes: dst, dv } = ciphertextBytes(src, size, L, N);
    writeParmsId(dv, CT.parmsId, top.parmsId.values as BigUint64Array);
    for (let p = 0; p < size; p++) {
      for (let k = 0; k < N; k++) {
        const raw = sdv.getBigUint64(CT.data + 8 * (p * N + k), true);
        // centred lift (note trap 5): [0, q0) → (−q0/2, q0/2]
        const c = raw > half ? Number(raw - q0) : Number(raw);
        if (Math.abs(c) > q0n) throw new Error("modRaise: residue out of range");
        writeResidues(dv, CT.data + 8 * (p * L * N + k), N, c, primes, primesNum);
      }
    }
    out.loadArray(ctx.sealContext, dst);
    ev.cipherTransformToNtt(out, out);
    out.setScale(scale);
    return new Ciphertext(ctx, out);
  } catch (e) {
    out.delete();
    throw new Error(`modRaise failed: ${sealErrorMessage(seal, e)}`);
  } finally {
    tmp.delete();
    ev.delete();
  }
}

/**
 * Builds NTT-form plaintexts from real coefficient vectors (already containing any scale) at any level,
 * using SEAL's own NTT through a non-NTT ciphertext container. Keeps one container template and one
 * plaintext template per level.
 */
export class RawPlaintextFactory implements Disposable {
  private readonly ev;
  private readonly ctTemplates = new Map<number, Uint8Array>();
  private readonly ptTemplates = new Map<number, Uint8Array>();
  private readonly container: SealCipherText;

  constructor(readonly ctx: CkksContext) {
    this.ev = ctx.seal.Evaluator(ctx.sealContext);
    this.container = ctx.seal.CipherText();
  }

  private ctTemplate(level: number): Uint8Array {
    let t = this.ctTemplates.get(level);
    if (t) return t;
    const seal = this.ctx.seal;
    const info = this.ctx.levelInfo(level);
    const ct = seal.CipherText({ context: this.ctx.sealContext, parmsId: info.parmsId, sizeCapacity: 2 });
    try {
      ct.resize(2);
      t = ct.saveArray(seal.ComprModeType.none);
    } finally {
      ct.delete();
    }
    const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
    const L = level + 1;
    if (t.byteLength !== CT.data + 16 * L * this.ctx.N || Number(dv.getBigUint64(CT.coeffModSize, true)) !== L || dv.getUint8(CT.isNtt) !== 0) {
      throw new Error(`unexpected container layout at level ${level} (${t.byteLength} bytes)`);
    }
    this.ctTemplates.set(level, t);
    return t;
  }

  private ptTemplate(level: number): Uint8Array {
    let t = this.ptTemplates.get(level);
    if (t) return t;
    const seal = this.ctx.seal;
    const enc = seal.CKKSEncoder(this.ctx.sealContext);
    const pt = seal.PlainText();
    try {
      enc.encode(Float64Array.of(1), 2 ** 20, pt);
      const info = this.ctx.levelInfo(level);
      if (level !== this.ctx.topLevel) this.ev.plainModSwitchTo(pt, info.parmsId, pt);
      t = pt.saveArray(seal.ComprModeType.none);
    } finally {
      pt.delete();
      enc.delete();
    }
    if (t.byteLength !== PT.data + 8 * (level + 1) * this.ctx.N) throw new Error(`unexpected plaintext layout at level ${level}`);
    this.ptTemplates.set(level, t);
    return t;
  }

  /**
   * Serialised NTT plaintext at `level` whose polynomial has coefficients round(coeffs[k]·scale); its SEAL
   * scale field is `scale`. Keep the bytes outside the wasm heap; load with `load`.
   */
  build(coeffs: Float64Array, level: number, scale: number): Uint8Array {
    const N = this.ctx.N;
    const info = this.ctx.levelInfo(level);
    const L = level + 1;
    const primesNum = info.primes.map(Number);
    const ctBytes = this.ctTemplate(level).slice();
    const cdv = new DataView(ctBytes.buffer);
    for (let k = 0; k < N; k++) {
      const v = Math.round(coeffs[k] * scale);
      writeResidues(cdv, CT.data + 8 * k, N, v, info.primes, primesNum);
    }
    // Both polynomials equal: an all-zero second polynomial would make SEAL call it transparent.
    ctBytes.copyWithin(CT.data + 8 * L * N, CT.data, CT.data + 8 * L * N);
    const seal = this.ctx.seal;
    this.container.loadArray(this.ctx.sealContext, ctBytes);
    this.ev.cipherTransformToNtt(this.container, this.container);
    const nttBytes = this.container.saveArray(seal.ComprModeType.none);
    const out = this.ptTemplate(level).slice();
    out.set(nttBytes.subarray(CT.data, CT.data + 8 * L * N), PT.data);
    new DataView(out.buffer).setFloat64(PT.scale, scale, true);
    return out;
  }

  load(bytes: Uint8Array): Plaintext {
    const pt = this.ctx.seal.PlainText();
    try {
      pt.loadArray(this.ctx.sealContext, bytes);
    } catch (e) {
      pt.delete();
      throw new Error(`loading a raw plaintext failed: ${sealErrorMessage(this.ctx.seal, e)}`);
    }
    return new Plaintext(this.ctx, pt);
  }

  dispose(): void {
    this.container.delete();
    this.ev.delete();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
