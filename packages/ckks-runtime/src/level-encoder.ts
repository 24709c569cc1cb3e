// CKKS encoding directly at any level of the chain. node-seal's CKKSEncoder can only encode at the top
// level (an inverse FFT plus one NTT per prime of the whole chain) and the plaintext is then mod-switched
// down; at N = 2^15 with a 21-prime bootstrapping chain that costs ~15 ms, ten times a ct×pt at level 1.
// Here the coefficient vector is computed by our own O(N log N) transform (slotsToCoefficients), rounded,
// reduced modulo only the primes of the target level, and put in NTT form by SEAL's own NTT run through a
// non-NTT ciphertext "container" (the same trick as bootstrap/seal-bytes.ts RawPlaintextFactory). The
// integers are the ones SEAL's encoder produces (up to the ±1 floating-point rounding of either FFT), and
// mod-switching a plaintext only drops primes, so the result equals "encode at the top + plainModSwitchTo".
//
// Slot order (SEAL 4.1, native/src/seal/ckks.h): slot j holds m(ψ^{g_j}), ψ = e^{iπ/N}, g_j = 3^j mod 2N.
// Half-size transform (the HEAAN/"special FFT" idea, adapted to generator 3): for an odd e ≡ 1 (mod 4),
// ψ^{e·N/2} = i, so with n = N/2 and w_k = c_k + i·c_{k+n} (k < n),
//   m(ψ^e) = Σ_{k<n} w_k ψ^{ek},   e = 1 + 4s  ⇒  m(ψ^{1+4s}) = Σ_{k<n} (w_k ψ^k) e^{2πi·sk/n},
// an n-point DFT of the twisted w. Every j gives one such e: g_j itself if g_j ≡ 1 (mod 4), else −g_j, whose
// value is conj(z_j) because m has real coefficients (⟨3⟩ and −⟨3⟩ partition the odd residues mod 2N, so
// this is a bijection onto s ∈ [0, n)). Encoding is therefore: permute (and conjugate) the slots into
// M[s], inverse n-point FFT, untwist by ψ^{-k}, read c_k = Re w_k, c_{k+n} = Im w_k.
//
// Rounding bound: coefficients are computed in float64 (as SEAL's encoder does). The FFT's absolute error is
// about 2^-53 · log2(N) · max_k |c_k·scale|, so the integers agree with SEAL's within ±1 while
// max |c_k·scale| ≲ 2^45 (N ≤ 2^16); beyond that both encoders carry the same float64 relative error
// (~2^-49), far below CKKS noise, but may differ by more than 1 in absolute terms. Values with
// |c_k·scale| ≥ 2^53 are reduced through BigInt (exact for the rounded double).
import { Plaintext } from "./ciphertext.js";
import type { CkksContext } from "./context.js";
import { CT, PT } from "./bootstrap/seal-bytes.js";
import { sealErrorMessage, type SealCipherText, type SealEvaluator } from "./seal.js";

/** Precomputed tables of the half-size special FFT for one ring degree N. */
export interface SpecialFftTables {
  N: number;
  /** n = N/2 slots. */
  n: number;
  /** slotTarget[j] = s with e = 1 + 4s the exponent of slot j (g_j or −g_j). */
  slotTarget: Int32Array;
  /** 1 if slot j lands conjugated (g_j ≡ 3 mod 4). */
  slotConj: Uint8Array;
  /**
   * Real-input path: slot j feeds the half-length vector y[m] = x[2m] + i·x[2m+1] at bit-reversed position
   * realPos[j] (m = s >> 1), as its imaginary part if realOdd[j].
   */
  realPos: Int32Array;
  realOdd: Uint8Array;
  /** Bit-reversal permutation of [0, n). */
  bitrev: Int32Array;
  /** e^{-2πi k/n}, k < n/2 (inverse-DFT twiddles). */
  twRe: Float64Array;
  twIm: Float64Array;
  /** ψ^{-k} / n, k < n (untwist and the 1/n of the inverse DFT). */
  untwRe: Float64Array;
  untwIm: Float64Array;
  /** Scratch of the real-input path (reused: every call finishes with it before returning). */
  scratch: { yr: Float64Array; yi: Float64Array; Xr: Float64Array; Xi: Float64Array };
}

const tableCache = new Map<number, SpecialFftTables>();

export function specialFftTables(N: number): SpecialFftTables {
  const hit = tableCache.get(N);
  if (hit) return hit;
  if (!Number.isInteger(N) || N < 8 || (N & (N - 1)) !== 0) throw new RangeError(`ring degree N must be a power of two >= 8, got ${N}`);
  const n = N / 2;
  const M = 2 * N;
  const slotTarget = new Int32Array(n);
  const slotConj = new Uint8Array(n);
  const seen = new Uint8Array(n);
  let g = 1;
  for (let j = 0; j < n; j++) {
    const e = g % 4 === 1 ? g : M - g;
    const s = (e - 1) / 4;
    if (seen[s]) throw new Error(`internal: slot exponent map is not a bijection at N = ${N}`);
    seen[s] = 1;
    slotTarget[j] = s;
    slotConj[j] = g % 4 === 1 ? 0 : 1;
    g = (g * 3) % M;
  }
  const logn = Math.log2(n);
  const bitrev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0, x = i; b < logn; b++, x >>= 1) r = (r << 1) | (x & 1);
    bitrev[i] = r;
  }
  const twRe = new Float64Array(Math.max(1, n / 2));
  const twIm = new Float64Array(Math.max(1, n / 2));
  for (let k = 0; k < n / 2; k++) {
    const a = (-2 * Math.PI * k) / n;
    twRe[k] = Math.cos(a);
    twIm[k] = Math.sin(a);
  }
  const untwRe = new Float64Array(n);
  const untwIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const a = (-Math.PI * k) / N;
    untwRe[k] = Math.cos(a) / n;
    untwIm[k] = Math.sin(a) / n;
  }
  const realPos = new Int32Array(n);
  const realOdd = new Uint8Array(n);
  if (n >= 4) {
    const h = n / 2;
    const logh = Math.log2(h);
    for (let j = 0; j < n; j++) {
      const m = slotTarget[j]! >> 1;
      let r = 0;
      for (let b = 0, x = m; b < logh; b++, x >>= 1) r = (r << 1) | (x & 1);
      realPos[j] = r;
      realOdd[j] = slotTarget[j]! & 1;
    }
  }
  const scratch = { yr: new Float64Array(n / 2), yi: new Float64Array(n / 2), Xr: new Float64Array(n), Xi: new Float64Array(n) };
  const t: SpecialFftTables = { N, n, slotTarget, slotConj, realPos, realOdd, bitrev, twRe, twIm, untwRe, untwIm, scratch };
  tableCache.set(N, t);
  return t;
}

/**
 * The real coefficient vector c ∈ ℝ^N of the CKKS message whose N/2 slots (SEAL order) are
 * `re + i·im` (im optional; missing slots are 0), before scaling: m(ψ^{g_j}) = z_j. O(N log N).
 * Multiply by `scale` (the optional argument does it inside, like SEAL's `fix`) before rounding.
 */
export function slotsToCoefficients(N: number, re: ArrayLike<number>, im?: ArrayLike<number>, scale = 1, out?: Float64Array): Float64Array {
  const t = specialFftTables(N);
  const n = t.n;
  if (re.length > n) throw new RangeError(`cannot encode ${re.length} values into ${n} slots (N = ${N})`);
  if (im && im.length > n) throw new RangeError(`cannot encode ${im.length} imaginary parts into ${n} slots (N = ${N})`);
  const c = out ?? new Float64Array(N);
  if (c.length !== N) throw new RangeError(`output vector has ${c.length} entries, expected N = ${N}`);
  const X = im || n < 4 ? complexInverseDft(t, re, im) : realInverseDft(t, re);
  const xr = X.re;
  const xi = X.im;
  const { untwRe, untwIm } = t;
  for (let k = 0; k < n; k++) {
    const ur = untwRe[k]! * scale;
    const ui = untwIm[k]! * scale;
    const a = xr[k]!;
    const b = xi[k]!;
    c[k] = a * ur - b * ui;
    c[k + n] = a * ui + b * ur;
  }
  return c;
}

/** In-place iterative radix-2 DIT inverse DFT (exponent −2πi·sk/len) of bit-reversed input; tw stride `twStride`. */
function inverseFftInPlace(t: SpecialFftTables, xr: Float64Array, xi: Float64Array, twStride: number): void {
  const size = xr.length;
  const { twRe, twIm } = t;
  for (let len = 2; len <= size; len <<= 1) {
    const half = len >> 1;
    const stride = (size / len) * twStride;
    for (let start = 0; start < size; start += len) {
      for (let k = 0, w = 0; k < half; k++, w += stride) {
        const a = start + k;
        const b = a + half;
        const wr = twRe[w]!;
        const wi = twIm[w]!;
        const br = xr[b]! * wr - xi[b]! * wi;
        const bi = xr[b]! * wi + xi[b]! * wr;
        const ar = xr[a]!;
        const ai = xi[a]!;
        xr[a] = ar + br;
        xi[a] = ai + bi;
        xr[b] = ar - br;
        xi[b] = ai - bi;
      }
    }
  }
}

/** X[k] = Σ_s M[s] e^{−2πi·sk/n} for complex slots (M[s] = z_j or conj z_j): an n-point FFT. */
function complexInverseDft(t: SpecialFftTables, re: ArrayLike<number>, im: ArrayLike<number> | undefined): { re: Float64Array; im: Float64Array } {
  const n = t.n;
  const xr = new Float64Array(n);
  const xi = new Float64Array(n);
  const { slotTarget, slotConj, bitrev } = t;
  // Permute straight into bit-reversed order so the iterative FFT runs in place.
  for (let j = 0; j < re.length; j++) xr[bitrev[slotTarget[j]!]!] = re[j]!;
  if (im) {
    for (let j = 0; j < im.length; j++) {
      const v = im[j]!;
      xi[bitrev[slotTarget[j]!]!] = slotConj[j] ? -v : v;
    }
  }
  inverseFftInPlace(t, xr, xi, 1);
  return { re: xr, im: xi };
}

/**
 * The same for real slots (then M is real and conjugation is moot) with an n/2-point FFT: pack
 * y[m] = M[2m] + i·M[2m+1], Y = IDFT(y); with E, O the transforms of the even and odd samples,
 * E[k] = (Y[k] + conj Y[−k])/2, O[k] = (Y[k] − conj Y[−k])/(2i), X[k] = E[k] + w^k·O[k],
 * X[k + n/2] = E[k] − w^k·O[k], w = e^{−2πi/n} (the standard real-input FFT, e.g. Numerical Recipes §12.3).
 */
function realInverseDft(t: SpecialFftTables, re: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const n = t.n;
  const h = n / 2;
  const { yr, yi, Xr, Xi } = t.scratch;
  if (re.length < n) {
    yr.fill(0);
    yi.fill(0);
  }
  const { realPos, realOdd } = t;
  for (let j = 0; j < re.length; j++) {
    if (realOdd[j]) yi[realPos[j]!] = re[j]!;
    else yr[realPos[j]!] = re[j]!;
  }
  inverseFftInPlace(t, yr, yi, 2);
  const { twRe, twIm } = t;
  for (let k = 0; k < h; k++) {
    const mk = k === 0 ? 0 : h - k;
    const ar = yr[k]!;
    const ai = yi[k]!;
    const br = yr[mk]!;
    const bi = -yi[mk]!; // conj Y[−k]
    const er = 0.5 * (ar + br);
    const ei = 0.5 * (ai + bi);
    // O = (Y − conj Y[−k]) / (2i) = −i·(Y − conj Y[−k])/2
    const dr = 0.5 * (ar - br);
    const di = 0.5 * (ai - bi);
    const or = di;
    const oi = -dr;
    const wr = twRe[k]!;
    const wi = twIm[k]!;
    const pr = wr * or - wi * oi;
    const pi = wr * oi + wi * or;
    Xr[k] = er + pr;
    Xi[k] = ei + pi;
    Xr[k + h] = er - pr;
    Xi[k + h] = ei - pi;
  }
  return { re: Xr, im: Xi };
}

/**
 * Writes the residues of the integer-valued doubles `v` modulo every prime into `words` as little-endian
 * u64 (two u32 words), prime-major: words[2(i·N + k)] = low half of v_k mod q_i. `maxAbs` (optional, an
 * upper bound on |v_k|) enables the no-reduction fast path for primes above it.
 */
export function writeResiduesInto(words: Uint32Array, v: Float64Array, primes: readonly bigint[], maxAbs = Infinity): void {
  const N = v.length;
  const TWO32 = 4294967296;
  for (let i = 0; i < primes.length; i++) {
    const qb = primes[i]!;
    const q = Number(qb);
    if (maxAbs < q && q < 2 ** 53) {
      // Fast path (the usual case at low levels): every |v_k| < q, so v_k mod q is v_k or v_k + q.
      const base = 2 * i * N;
      if (q < TWO32) {
        for (let k = 0; k < N; k++) {
          const x = v[k]!;
          words[base + 2 * k] = x < 0 ? x + q : x;
          words[base + 2 * k + 1] = 0;
        }
        continue;
      }
      for (let k = 0; k < N; k++) {
        const x = v[k]!;
        const r = x < 0 ? x + q : x;
        const hi = Math.floor(r / TWO32);
        words[base + 2 * k] = r - hi * TWO32;
        words[base + 2 * k + 1] = hi;
      }
      continue;
    }
    const qExact = q < 2 ** 53;
    const qHi = Number(qb >> 32n);
    const qLo = Number(qb & 0xffffffffn);
    const base = 2 * i * N;
    for (let k = 0; k < N; k++) {
      const x = v[k]!;
      const at = base + 2 * k;
      let r: number;
      if (x >= 0 && x < q) {
        r = x; // the common case: no reduction needed (exact for any q, x < 2^53 or q)
      } else if (x < 0 && -x < q && qExact) {
        r = x + q;
      } else if (Math.abs(x) < 2 ** 53 && qExact) {
        r = x % q;
        if (r < 0) r += q;
      } else if (Math.abs(x) < 2 ** 53) {
        // q ≥ 2^53 > |x| and x < 0: q − |x| by 32-bit halves (exact in doubles).
        const a = -x;
        let lo = qLo - (a % TWO32);
        let hi = qHi - Math.floor(a / TWO32);
        if (lo < 0) {
          lo += TWO32;
          hi -= 1;
        }
        words[at] = lo;
        words[at + 1] = hi;
        continue;
      } else {
        let rb = BigInt(x) % qb;
        if (rb < 0n) rb += qb;
        words[at] = Number(rb & 0xffffffffn);
        words[at + 1] = Number(rb >> 32n);
        continue;
      }
      if (r < TWO32) {
        words[at] = r;
        words[at + 1] = 0;
      } else {
        words[at] = r % TWO32;
        words[at + 1] = Math.floor(r / TWO32);
      }
    }
  }
}

/**
 * One plaintext to encode at SEAL scale `scale`: real slot values, or a precomputed real coefficient vector of
 * length N (the plaintext polynomial is then round(coefficients[k]·scale); e.g. complex slots through
 * slotsToCoefficients(N, re, im), as the bootstrapping's DFT diagonals need).
 */
export type EncodeItem = { values: ArrayLike<number>; scale: number } | { coefficients: Float64Array; scale: number };

/** Per-level scratch: the container and plaintext serialisations, rewritten in place for every encode. */
interface LevelBuffers {
  L: number;
  ctBytes: Uint8Array;
  ptBytes: Uint8Array;
  ptView: DataView;
  words: [Uint32Array, Uint32Array];
}

/**
 * Encodes real slot vectors at any level: our special FFT + SEAL's NTT at that level only. Two plaintexts
 * share one NTT call (the two polynomials of the size-2 container), so encodeMany costs about one NTT per
 * prime per plaintext, like SEAL's encoder at that level. Owns a SEAL Evaluator and a container
 * ciphertext; dispose() them.
 */
export class LevelEncoder implements Disposable {
  /** Number of plaintexts encoded (cost accounting). */
  encodes = 0;
  private readonly ev: SealEvaluator;
  private readonly container: SealCipherText;
  private readonly buffers = new Map<number, LevelBuffers>();
  private readonly coeffs: Float64Array;

  constructor(readonly ctx: CkksContext) {
    this.ev = ctx.seal.Evaluator(ctx.sealContext);
    this.container = ctx.seal.CipherText();
    this.coeffs = new Float64Array(ctx.N);
  }

  private levelBuffers(level: number): LevelBuffers {
    let b = this.buffers.get(level);
    if (b) return b;
    const seal = this.ctx.seal;
    const N = this.ctx.N;
    const L = level + 1;
    const info = this.ctx.levelInfo(level);
    // Serialised non-NTT size-2 ciphertext at this level (the container).
    const ct = seal.CipherText({ context: this.ctx.sealContext, parmsId: info.parmsId, sizeCapacity: 2 });
    let ctBytes: Uint8Array;
    try {
      ct.resize(2);
      ctBytes = ct.saveArray(seal.ComprModeType.none);
    } finally {
      ct.delete();
    }
    const dv = new DataView(ctBytes.buffer, ctBytes.byteOffset, ctBytes.byteLength);
    if (ctBytes.byteLength !== CT.data + 16 * L * N || Number(dv.getBigUint64(CT.coeffModSize, true)) !== L || dv.getUint8(CT.isNtt) !== 0) {
      throw new Error(`LevelEncoder: unexpected SEAL ciphertext layout at level ${level} (${ctBytes.byteLength} bytes); SEAL version changed?`);
    }
    // Serialised NTT plaintext at this level (SEAL's own encode + mod switch gives the header).
    const enc = seal.CKKSEncoder(this.ctx.sealContext);
    const pt = seal.PlainText();
    let ptBytes: Uint8Array;
    try {
      enc.encode(Float64Array.of(0), 1, pt);
      if (level !== this.ctx.topLevel) this.ev.plainModSwitchTo(pt, info.parmsId, pt);
      ptBytes = pt.saveArray(seal.ComprModeType.none);
    } finally {
      pt.delete();
      enc.delete();
    }
    if (ptBytes.byteLength !== PT.data + 8 * L * N) throw new Error(`LevelEncoder: unexpected SEAL plaintext layout at level ${level}; SEAL version changed?`);
    ctBytes = ctBytes.slice();
    ptBytes = ptBytes.slice();
    b = {
      L,
      ctBytes,
      ptBytes,
      ptView: new DataView(ptBytes.buffer, ptBytes.byteOffset, ptBytes.byteLength),
      words: [new Uint32Array(2 * L * N), new Uint32Array(2 * L * N)],
    };
    this.buffers.set(level, b);
    return b;
  }

  /**
   * Validates one item and writes its rounded coefficients' residues into `words`.
   * Returns false if every coefficient rounds to 0 (its NTT is zero too).
   */
  private prepare(item: EncodeItem, level: number, words: Uint32Array): boolean {
    const ctx = this.ctx;
    const N = ctx.N;
    const info = ctx.levelInfo(level);
    const scale = item.scale;
    if (!(scale > 0) || !Number.isFinite(scale) || Math.log2(scale) + 1 >= info.logQ) {
      throw new RangeError(`scale 2^${Math.log2(scale).toFixed(2)} does not fit level ${level} (log Q = ${info.logQ})`);
    }
    let c: Float64Array;
    if ("coefficients" in item) {
      const src = item.coefficients;
      if (src.length !== N) throw new RangeError(`coefficient vector has ${src.length} entries, expected N = ${N}`);
      c = this.coeffs;
      for (let k = 0; k < N; k++) {
        const x = src[k]!;
        if (x - x !== 0) throw new RangeError(`coefficient ${k} to encode is not finite: ${x}`);
        c[k] = x * scale;
      }
    } else {
      const values = item.values;
      if (values.length > ctx.slots) throw new RangeError(`cannot encode ${values.length} values into ${ctx.slots} slots (N = ${N})`);
      const vals = values instanceof Float64Array ? values : Float64Array.from(values);
      for (let i = 0; i < vals.length; i++) {
        const x = vals[i]!;
        if (x - x !== 0) throw new RangeError(`value ${i} to encode is not finite: ${x}`); // NaN or ±Infinity
      }
      c = slotsToCoefficients(N, vals, undefined, scale, this.coeffs);
    }
    let maxAbs = 0;
    for (let k = 0; k < N; k++) {
      const x = c[k]!;
      // std::round (half away from zero), as SEAL's encoder
      const r = x < 0 ? -Math.round(-x) : Math.round(x);
      c[k] = r;
      const a = r < 0 ? -r : r;
      if (a > maxAbs) maxAbs = a;
    }
    // Same guard as SEAL's encoder (ckks.cpp: "encoded values are too large"), against this level's modulus.
    if (maxAbs > 0 && Math.log2(maxAbs) + 1 >= info.logQ) {
      throw new RangeError(
        `encoding at level ${level}: coefficients reach 2^${Math.log2(maxAbs).toFixed(1)}, beyond the level's modulus 2^${info.logQ} (scale 2^${Math.log2(scale).toFixed(2)} too large for these values)`,
      );
    }
    if (maxAbs === 0) return false;
    writeResiduesInto(words, c, info.primes, maxAbs);
    return true;
  }

  /** A Plaintext from the NTT-form residues `ntt` (8·L·N bytes) at `level` and `scale`. */
  private load(b: LevelBuffers, ntt: Uint8Array | undefined, scale: number): Plaintext {
    const seal = this.ctx.seal;
    const polyBytes = ntt ? ntt.byteLength : 8 * b.L * this.ctx.N;
    if (ntt) b.ptBytes.set(ntt, PT.data);
    else b.ptBytes.fill(0, PT.data, PT.data + polyBytes);
    b.ptView.setFloat64(PT.scale, scale, true);
    const pt = seal.PlainText();
    try {
      pt.loadArray(this.ctx.sealContext, b.ptBytes);
    } catch (e) {
      pt.delete();
      throw new Error(`loading an encoded plaintext failed: ${sealErrorMessage(seal, e)}`);
    }
    this.encodes++;
    return new Plaintext(this.ctx, pt);
  }

  /** Encodes up to two items at `level` with one container NTT. */
  private encodePair(items: readonly EncodeItem[], level: number): Plaintext[] {
    const b = this.levelBuffers(level);
    const nonzero = items.map((it, i) => this.prepare(it, level, b.words[i]!));
    const seal = this.ctx.seal;
    const polyBytes = 8 * b.L * this.ctx.N;
    const live = nonzero.map((nz, i) => (nz ? i : -1)).filter((i) => i >= 0);
    let ntt: Uint8Array | undefined;
    if (live.length > 0) {
      const first = new Uint8Array(b.words[live[0]!]!.buffer);
      const second = live.length > 1 ? new Uint8Array(b.words[live[1]!]!.buffer) : first;
      // Both polynomials non-zero: an all-zero second polynomial would make SEAL call the container transparent.
      b.ctBytes.set(first, CT.data);
      b.ctBytes.set(second, CT.data + polyBytes);
      try {
        this.container.loadArray(this.ctx.sealContext, b.ctBytes);
        this.ev.cipherTransformToNtt(this.container, this.container);
        ntt = this.container.saveArray(seal.ComprModeType.none);
      } catch (e) {
        throw new Error(`encoding at level ${level}: SEAL's NTT through the container failed: ${sealErrorMessage(seal, e)}`);
      }
    }
    const out: Plaintext[] = [];
    try {
      for (let i = 0; i < items.length; i++) {
        const slot = live.indexOf(i);
        const data = slot < 0 ? undefined : ntt!.subarray(CT.data + slot * polyBytes, CT.data + (slot + 1) * polyBytes);
        out.push(this.load(b, data, items[i]!.scale));
      }
    } catch (e) {
      for (const p of out) p.dispose();
      throw e;
    }
    return out;
  }

  /**
   * The plaintext of the real slot vector `values` (at most N/2; the rest are zero) at `level` with SEAL
   * scale `scale`: coefficients round(c_k·scale) reduced modulo q_0..q_level, in NTT form.
   */
  encode(values: ArrayLike<number>, level: number, scale: number): Plaintext {
    return this.encodePair([{ values, scale }], level)[0]!;
  }

  /**
   * The plaintext whose polynomial is round(coefficients[k]·scale) (a real coefficient vector of length N, e.g.
   * complex slots through slotsToCoefficients(N, re, im)) at `level` in NTT form; the fast counterpart of
   * bootstrap/seal-bytes.ts RawPlaintextFactory.build + load.
   */
  encodeCoefficients(coefficients: Float64Array, level: number, scale: number): Plaintext {
    return this.encodePair([{ coefficients, scale }], level)[0]!;
  }

  /** Encodes several items at one level, two per NTT call. On error, nothing is left allocated. */
  encodeMany(items: readonly EncodeItem[], level: number): Plaintext[] {
    const out: Plaintext[] = [];
    try {
      for (let i = 0; i < items.length; i += 2) out.push(...this.encodePair(items.slice(i, i + 2), level));
    } catch (e) {
      for (const p of out) p.dispose();
      throw e;
    }
    return out;
  }

  dispose(): void {
    this.container.delete();
    this.ev.delete();
    this.buffers.clear();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
