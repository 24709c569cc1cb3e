// The server side: homomorphic operations with explicit level and scale bookkeeping. Holds only public
// evaluation keys (relinearisation key in the heap, Galois keys in a KeyStore), never the secret key.
//
// Scale policy (see README "Levels and scales"): every ciphertext at level l normally carries the
// canonical scale of that level (CkksContext.levels[l].canonicalScale). ct x ct products of canonical
// operands are canonical after the rescale by construction of the prime chain; plaintext/constant
// multiplications choose the plaintext scale so that the result lands exactly on the canonical scale of
// the next level. Operands at different levels are aligned automatically.
import { Ciphertext, Plaintext } from "./ciphertext.js";
import type { CkksContext } from "./context.js";
import { Encoder } from "./encoder.js";
import type { EvaluationKeys } from "./client.js";
import { KeyStore, type KeyStoreOptions } from "./keystore.js";
import { sealErrorMessage, type SealCipherText, type SealEvaluator, type SealRelinKeys } from "./seal.js";

/** Counts of primitive operations performed (what the cost model prices). */
export interface OpCounts {
  /** ct x ct multiplication + relinearisation (no rescale). */
  mulRelin: number;
  /** ct squaring + relinearisation (no rescale); cheaper than mulRelin. */
  square: number;
  rescale: number;
  /** ct x plaintext vector multiplication (no rescale). */
  mulPlain: number;
  /** ct x constant multiplication (no rescale). */
  mulConst: number;
  /** ct + ct, ct - ct, ct + plaintext, negation. */
  add: number;
  /** ct + constant (includes building the constant plaintext). */
  addConst: number;
  rotate: number;
  modSwitch: number;
  /**
   * Level alignments that needed a multiplication by 1 at a compensating scale (priced as mulConst +
   * rescale + modSwitch; not counted in mulConst).
   */
  scaleAdjust: number;
}

export function zeroCounts(): OpCounts {
  return { mulRelin: 0, square: 0, rescale: 0, mulPlain: 0, mulConst: 0, add: 0, addConst: 0, rotate: 0, modSwitch: 0, scaleAdjust: 0 };
}

/** Thrown when an operation needs more levels than the ciphertext has left. */
export class LevelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LevelError";
  }
}

/** Relative scale difference we treat as equal (value error <= 1e-11 relative, far below CKKS noise). */
const SCALE_SNAP = 1e-11;

export interface EvaluatorOptions extends KeyStoreOptions {
  /** A KeyStore to share (otherwise one is made from keys.galoisKeys). */
  keyStore?: KeyStore;
}

export class Evaluator implements Disposable {
  /** Raw SEAL evaluator (owned). */
  readonly sealEvaluator: SealEvaluator;
  /** Raw relinearisation key (owned). */
  readonly relinKeys: SealRelinKeys;
  readonly keyStore: KeyStore;
  readonly encoder: Encoder;
  readonly counts: OpCounts = zeroCounts();
  private readonly ownsKeyStore: boolean;

  constructor(
    readonly ctx: CkksContext,
    keys: EvaluationKeys,
    opts: EvaluatorOptions = {},
  ) {
    const seal = ctx.seal;
    this.sealEvaluator = seal.Evaluator(ctx.sealContext);
    this.relinKeys = seal.RelinKeys();
    try {
      this.relinKeys.loadArray(ctx.sealContext, keys.relinKeys);
    } catch (e) {
      this.relinKeys.delete();
      this.sealEvaluator.delete();
      throw new Error(`loading the relinearisation key failed: ${sealErrorMessage(seal, e)}`);
    }
    this.ownsKeyStore = !opts.keyStore;
    this.keyStore = opts.keyStore ?? new KeyStore(ctx, opts);
    for (const [step, bytes] of keys.galoisKeys) this.keyStore.put(step, bytes);
    this.encoder = new Encoder(ctx);
  }

  resetCounts(): void {
    Object.assign(this.counts, zeroCounts());
  }

  // ---------------------------------------------------------------- helpers

  private fresh(): SealCipherText {
    return this.ctx.seal.CipherText();
  }

  private wrap(h: SealCipherText): Ciphertext {
    return new Ciphertext(this.ctx, h);
  }

  /** Runs a SEAL call writing into a fresh handle; frees it and names the op on failure. */
  private run(op: string, f: (dst: SealCipherText) => void): Ciphertext {
    const dst = this.fresh();
    try {
      f(dst);
      return this.wrap(dst);
    } catch (e) {
      dst.delete();
      if (e instanceof LevelError) throw e;
      throw new Error(`${op} failed: ${sealErrorMessage(this.ctx.seal, e)}`);
    }
  }

  private requireLevels(op: string, ct: Ciphertext, needed: number): void {
    if (ct.level < needed) {
      throw new LevelError(
        `${op} needs ${needed} level(s) but the ciphertext is at level ${ct.level} ` +
          `(parameter set '${this.ctx.params.name}' has ${this.ctx.topLevel} levels; bootstrap or use a deeper chain)`,
      );
    }
  }

  private snapScale(h: SealCipherText, target: number, op: string): void {
    const rel = Math.abs(h.scale / target - 1);
    if (rel > 1e-9) {
      throw new Error(`internal: ${op} produced scale 2^${Math.log2(h.scale)} instead of 2^${Math.log2(target)}`);
    }
    if (h.scale !== target) h.setScale(target);
  }

  /** Canonical scale of a level. */
  canonicalScale(level: number): number {
    return this.ctx.levelInfo(level).canonicalScale;
  }

  /**
   * Plaintext scale for multiplying a ciphertext at `level` with scale `ctScale` so that after the
   * rescale (dividing by q_level) the result has exactly `target` (default: canonical scale of level-1).
   */
  multiplierScale(level: number, ctScale: number, target = this.canonicalScale(level - 1)): number {
    return (target * Number(this.ctx.primeAt(level))) / ctScale;
  }

  // ---------------------------------------------------------------- level and scale management

  /** Rescales (divides by q_level): level - 1, scale / q_level. */
  rescale(a: Ciphertext): Ciphertext {
    this.requireLevels("rescale", a, 1);
    this.counts.rescale++;
    return this.run("rescale", (d) => this.sealEvaluator.rescaleToNext(a.handle, d));
  }

  /** Drops primes without changing the scale (modulus switching). */
  modSwitchTo(a: Ciphertext, level: number): Ciphertext {
    if (level > a.level) throw new LevelError(`cannot mod-switch up from level ${a.level} to ${level}`);
    if (level === a.level) return a.clone();
    this.counts.modSwitch++;
    return this.run("modSwitchTo", (d) => this.sealEvaluator.cipherModSwitchTo(a.handle, this.ctx.levelInfo(level).parmsId, d));
  }

  /**
   * Brings `a` to `level` (<= a.level) with exactly `scale` (default: canonical). Free (mod switch) when
   * the scale already matches; otherwise one multiplication by 1 encoded at the compensating scale and a
   * rescale, which needs level < a.level (or a.level >= 1 when level === a.level, costing one level).
   */
  adjust(a: Ciphertext, level: number, scale = this.canonicalScale(level)): Ciphertext {
    if (level > a.level) throw new LevelError(`cannot raise a ciphertext from level ${a.level} to ${level}`);
    const rel = Math.abs(a.scale / scale - 1);
    if (rel === 0 || rel < SCALE_SNAP) {
      const r = this.modSwitchTo(a, level);
      if (r.scale !== scale) r.handle.setScale(scale);
      return r;
    }
    if (level === a.level) {
      throw new LevelError(
        `cannot change the scale of a level-${level} ciphertext from 2^${a.logScale.toFixed(4)} to 2^${Math.log2(scale).toFixed(4)} without consuming a level`,
      );
    }
    this.counts.scaleAdjust++;
    const p = this.multiplierScale(a.level, a.scale, scale);
    const one = this.constPlain(1, a.level, p);
    try {
      const prod = this.run("adjust", (d) => this.sealEvaluator.multiplyPlain(a.handle, one.handle, d));
      try {
        const r = this.rescale(prod);
        this.snapScale(r.handle, scale, "adjust");
        if (r.level === level) return r;
        try {
          return this.modSwitchTo(r, level);
        } finally {
          r.dispose();
        }
      } finally {
        prod.dispose();
      }
    } finally {
      one.dispose();
    }
  }

  /**
   * Aligns two operands for addition: same level, same scale. Returns the operands to use; those that are
   * not a or b are new ciphertexts the caller must dispose (no copies are made of operands that already fit).
   * The higher operand is brought down to the lower one's level and scale; at equal levels with different
   * scales both drop one level (scale matching), which needs level >= 1.
   */
  private alignForAdd(a: Ciphertext, b: Ciphertext): [Ciphertext, Ciphertext] {
    if (a.level === b.level) {
      const rel = Math.abs(a.scale / b.scale - 1);
      if (rel === 0) return [a, b];
      if (rel < SCALE_SNAP) {
        const a2 = a.clone();
        a2.handle.setScale(b.scale);
        return [a2, b];
      }
      this.requireLevels("scale matching", a, 1);
      const b2 = this.modSwitchTo(b, b.level - 1);
      return [this.adjust(a, a.level - 1, b.scale), b2];
    }
    if (a.level > b.level) return [this.adjust(a, b.level, b.scale), b];
    return [a, this.adjust(b, a.level, a.scale)];
  }

  /** Aligns two operands for multiplication: same level (at the canonical scale of that level). */
  private alignForMul(a: Ciphertext, b: Ciphertext): [Ciphertext, Ciphertext] {
    if (a.level === b.level) return [a, b];
    if (a.level > b.level) return [this.adjust(a, b.level, this.canonicalScale(b.level)), b];
    return [a, this.adjust(b, a.level, this.canonicalScale(a.level))];
  }

  /** Disposes the aligned operands that were created by alignment. */
  private releaseAligned(a: Ciphertext, b: Ciphertext, x: Ciphertext, y: Ciphertext): void {
    if (x !== a && x !== b) x.dispose();
    if (y !== a && y !== b) y.dispose();
  }

  // ---------------------------------------------------------------- additions

  add(a: Ciphertext, b: Ciphertext): Ciphertext {
    if (a.level === b.level && a.scale === b.scale) {
      this.counts.add++;
      return this.run("add", (d) => this.sealEvaluator.add(a.handle, b.handle, d));
    }
    const [x, y] = this.alignForAdd(a, b);
    try {
      this.counts.add++;
      return this.run("add", (d) => this.sealEvaluator.add(x.handle, y.handle, d));
    } finally {
      this.releaseAligned(a, b, x, y);
    }
  }

  sub(a: Ciphertext, b: Ciphertext): Ciphertext {
    if (a.level === b.level && a.scale === b.scale) {
      this.counts.add++;
      return this.run("sub", (d) => this.sealEvaluator.sub(a.handle, b.handle, d));
    }
    const [x, y] = this.alignForAdd(a, b);
    try {
      this.counts.add++;
      return this.run("sub", (d) => this.sealEvaluator.sub(x.handle, y.handle, d));
    } finally {
      this.releaseAligned(a, b, x, y);
    }
  }

  negate(a: Ciphertext): Ciphertext {
    this.counts.add++;
    return this.run("negate", (d) => this.sealEvaluator.negate(a.handle, d));
  }

  /** a + pt; the plaintext must be at a's level and scale (see encodeFor). */
  addPlain(a: Ciphertext, pt: Plaintext): Ciphertext {
    this.checkPlain("addPlain", a, pt, a.scale);
    this.counts.add++;
    return this.run("addPlain", (d) => this.sealEvaluator.addPlain(a.handle, pt.handle, d));
  }

  subPlain(a: Ciphertext, pt: Plaintext): Ciphertext {
    this.checkPlain("subPlain", a, pt, a.scale);
    this.counts.add++;
    return this.run("subPlain", (d) => this.sealEvaluator.subPlain(a.handle, pt.handle, d));
  }

  /** a + values (encoded at a's level and scale). */
  addValues(a: Ciphertext, values: ArrayLike<number>): Ciphertext {
    const pt = this.encoder.encode(values, { level: a.level, scale: a.scale });
    try {
      return this.addPlain(a, pt);
    } finally {
      pt.dispose();
    }
  }

  /** a + c in every slot. No level. */
  addConst(a: Ciphertext, c: number): Ciphertext {
    if (c === 0) return a.clone();
    const pt = this.constPlain(c, a.level, a.scale);
    try {
      this.counts.addConst++;
      return this.run("addConst", (d) => this.sealEvaluator.addPlain(a.handle, pt.handle, d));
    } finally {
      pt.dispose();
    }
  }

  /** k·a for a small integer k by doubling and adding (no level, no encoding). */
  mulInt(a: Ciphertext, k: number): Ciphertext {
    if (!Number.isInteger(k)) throw new RangeError(`mulInt needs an integer, got ${k}`);
    if (k === 0) throw new RangeError("mulInt by 0 would give a transparent ciphertext; use a constant instead");
    const neg = k < 0;
    let n = Math.abs(k);
    let acc: Ciphertext | undefined;
    let pow = a.clone();
    try {
      while (n > 0) {
        if (n & 1) {
          if (!acc) acc = pow.clone();
          else {
            const s = this.add(acc, pow);
            acc.dispose();
            acc = s;
          }
        }
        n >>= 1;
        if (n > 0) {
          const d = this.add(pow, pow);
          pow.dispose();
          pow = d;
        }
      }
    } finally {
      pow.dispose();
    }
    if (neg) {
      const r = this.negate(acc!);
      acc!.dispose();
      return r;
    }
    return acc!;
  }

  // ---------------------------------------------------------------- multiplications

  /** a·b, relinearised and rescaled (one level). Operands at different levels are aligned first. */
  mul(a: Ciphertext, b: Ciphertext): Ciphertext {
    const raw = this.mulNoRescale(a, b);
    try {
      const r = this.rescale(raw);
      const target = this.canonicalScale(r.level);
      if (Math.abs(r.scale / target - 1) < SCALE_SNAP && r.scale !== target) r.handle.setScale(target);
      return r;
    } finally {
      raw.dispose();
    }
  }

  square(a: Ciphertext): Ciphertext {
    return this.mul(a, a);
  }

  /** a·b relinearised, not rescaled (scale = product of scales); for sums of products before one rescale. */
  mulNoRescale(a: Ciphertext, b: Ciphertext): Ciphertext {
    this.requireLevels("mul", a, 1);
    this.requireLevels("mul", b, 1);
    const same = a === b;
    const [x, y] = same ? [a, a] : this.alignForMul(a, b);
    try {
      if (same) this.counts.square++;
      else this.counts.mulRelin++;
      return this.run("mul", (d) => {
        if (same) this.sealEvaluator.square(x.handle, d);
        else this.sealEvaluator.multiply(x.handle, y.handle, d);
        this.sealEvaluator.relinearize(d, this.relinKeys, d);
      });
    } finally {
      if (!same) this.releaseAligned(a, b, x, y);
    }
  }

  /**
   * a·c for a real constant c, rescaled: one level; the result has the canonical scale of level-1
   * (the constant is encoded at the compensating scale, Bossuat et al. style exact scale management).
   */
  mulConst(a: Ciphertext, c: number, opts: { rescale?: boolean; targetScale?: number } = {}): Ciphertext {
    this.requireLevels("mulConst", a, 1);
    const target = opts.targetScale ?? this.canonicalScale(a.level - 1);
    const p = this.multiplierScale(a.level, a.scale, target);
    // A constant that rounds to 0 at scale p would make SEAL throw "result ciphertext is transparent";
    // use the smallest representable constant (1/p, an error of 2^-logScale·|x|, below CKKS noise).
    const cc = Math.round(c * p) === 0 ? (c < 0 ? -1 : 1) / p : c;
    const pt = this.constPlain(cc, a.level, p);
    try {
      this.counts.mulConst++;
      const raw = this.run("mulConst", (d) => this.sealEvaluator.multiplyPlain(a.handle, pt.handle, d));
      if (opts.rescale === false) return raw;
      try {
        const r = this.rescale(raw);
        this.snapScale(r.handle, target, "mulConst");
        return r;
      } finally {
        raw.dispose();
      }
    } finally {
      pt.dispose();
    }
  }

  /**
   * Encodes values for multiplying a ciphertext at (level, scale) so that the rescaled product lands on
   * `targetScale` (default canonical scale of level-1).
   */
  encodeForMul(values: ArrayLike<number>, level: number, ctScale = this.canonicalScale(level), targetScale?: number): Plaintext {
    return this.encoder.encode(values, { level, scale: this.multiplierScale(level, ctScale, targetScale) });
  }

  /**
   * encodeForMul for several vectors at once (same level and scales): the direct low-level encoder
   * (level-encoder.ts) then shares one SEAL NTT call between two plaintexts.
   */
  encodeForMulMany(list: readonly ArrayLike<number>[], level: number, ctScale = this.canonicalScale(level), targetScale?: number): Plaintext[] {
    return this.encoder.encodeMany(list, { level, scale: this.multiplierScale(level, ctScale, targetScale) });
  }

  /**
   * a·pt (pt: a Plaintext at a's level, or values to encode for it), rescaled by default. With values,
   * the plaintext scale is chosen so that the rescaled result has the canonical scale of level-1.
   */
  mulPlain(a: Ciphertext, pt: Plaintext | ArrayLike<number>, opts: { rescale?: boolean } = {}): Ciphertext {
    this.requireLevels("mulPlain", a, 1);
    const owned = !(pt instanceof Plaintext);
    const p = pt instanceof Plaintext ? pt : this.encodeForMul(pt, a.level, a.scale);
    try {
      if (p.level !== a.level) {
        throw new LevelError(`mulPlain: plaintext at level ${p.level}, ciphertext at level ${a.level}`);
      }
      this.counts.mulPlain++;
      const raw = this.run("mulPlain", (d) => this.sealEvaluator.multiplyPlain(a.handle, p.handle, d));
      if (opts.rescale === false) return raw;
      try {
        const r = this.rescale(raw);
        const target = this.canonicalScale(r.level);
        if (Math.abs(r.scale / target - 1) < 1e-9 && r.scale !== target) r.handle.setScale(target);
        return r;
      } finally {
        raw.dispose();
      }
    } finally {
      if (owned) p.dispose();
    }
  }

  // ---------------------------------------------------------------- rotations

  /** A key truncated to lower levels (key-levels.ts) must not reach SEAL with a higher-level ciphertext. */
  private requireKeyLevel(a: Ciphertext, step: number, op: string): void {
    const max = this.keyStore.maxLevel(step);
    if (max !== undefined && a.level > max) {
      throw new LevelError(`${op}: the Galois key for step ${step} covers levels <= ${max}, the ciphertext is at level ${a.level}; generate it with a higher maxLevel`);
    }
  }

  /** Rotates slots left by `step`: out[i] = a[(i + step) mod N/2]. Needs the Galois key for `step`. */
  rotate(a: Ciphertext, step: number): Ciphertext {
    const half = this.ctx.slots;
    const s = ((step % half) + half) % half;
    if (s === 0) return a.clone();
    const key = this.keyStore.has(step) ? step : this.keyStore.has(s) ? s : this.keyStore.has(s - half) ? s - half : step;
    this.requireKeyLevel(a, key, `rotate(${step})`);
    const gk = this.keyStore.get(key);
    this.counts.rotate++;
    return this.run(`rotate(${step})`, (d) => this.sealEvaluator.rotateVector(a.handle, key, gk, d));
  }

  /** Complex conjugation of every slot (needs the step-0 Galois key). */
  conjugate(a: Ciphertext): Ciphertext {
    this.requireKeyLevel(a, 0, "conjugate");
    const gk = this.keyStore.get(0);
    this.counts.rotate++;
    return this.run("conjugate", (d) => this.sealEvaluator.complexConjugate(a.handle, gk, d));
  }

  // ---------------------------------------------------------------- constants

  private readonly constTemplates = new Map<number, Uint8Array>();

  /**
   * A constant plaintext c at `level` with `scale`, built directly in SEAL's serialised form: a constant
   * polynomial round(c·scale) is its own NTT, so every residue mod q_i is the same number (what SEAL's
   * scalar encode does). This skips the N/2-point FFT of the vector encoder (14 ms at N = 2^15).
   * Layout (SEAL 4.1, uncompressed): 16-byte header, parms_id (32), coeff_count u64 @48, scale f64 @56,
   * DynArray header (16) + count u64 @80, data u64 @88 as [prime][coefficient].
   */
  constPlain(c: number, level: number, scale: number): Plaintext {
    if (!Number.isFinite(c) || !(scale > 0)) throw new RangeError(`constant ${c} at scale ${scale} cannot be encoded`);
    const info = this.ctx.levelInfo(level);
    let template = this.constTemplates.get(level);
    if (!template) {
      const zero = this.encoder.encode(new Float64Array(0), { level, scale: 1 });
      try {
        template = zero.handle.saveArray(this.ctx.seal.ComprModeType.none);
      } finally {
        zero.dispose();
      }
      const expected = 88 + 8 * this.ctx.N * (level + 1);
      if (template.byteLength !== expected) throw new Error(`internal: plaintext layout changed (${template.byteLength} bytes, expected ${expected})`);
      this.constTemplates.set(level, template);
    }
    const bytes = new Uint8Array(template);
    new DataView(bytes.buffer).setFloat64(56, scale, true);
    const v = c * scale;
    const big = BigInt(Math.round(v));
    const data = new BigUint64Array(bytes.buffer, 88, this.ctx.N * (level + 1));
    const N = this.ctx.N;
    info.primes.forEach((q, i) => {
      const r = ((big % q) + q) % q;
      data.fill(r, i * N, (i + 1) * N);
    });
    const pt = this.ctx.seal.PlainText();
    try {
      pt.loadArray(this.ctx.sealContext, bytes);
    } catch (e) {
      pt.delete();
      throw new Error(`building constant plaintext failed: ${sealErrorMessage(this.ctx.seal, e)}`);
    }
    return new Plaintext(this.ctx, pt);
  }

  private checkPlain(op: string, a: Ciphertext, pt: Plaintext, scale: number): void {
    if (pt.level !== a.level) throw new LevelError(`${op}: plaintext at level ${pt.level}, ciphertext at level ${a.level}`);
    if (Math.abs(pt.scale / scale - 1) > SCALE_SNAP) {
      throw new Error(`${op}: plaintext scale 2^${Math.log2(pt.scale).toFixed(4)} differs from the ciphertext's 2^${Math.log2(scale).toFixed(4)}`);
    }
  }

  dispose(): void {
    this.encoder.dispose();
    if (this.ownsKeyStore) this.keyStore.dispose();
    this.relinKeys.delete();
    this.sealEvaluator.delete();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
