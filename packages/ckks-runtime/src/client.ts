// The client side: the only holder of the secret key. It encrypts, decrypts and produces the public
// evaluation keys (serialised bytes) that a server-side Evaluator is built from.
import { Ciphertext } from "./ciphertext.js";
import type { CkksContext } from "./context.js";
import { Encoder } from "./encoder.js";
import { truncateSwitchingKey } from "./key-levels.js";
import { sealErrorMessage, type SealSecretKey } from "./seal.js";

/** Public evaluation keys as bytes (uncompressed SEAL serialisation); safe to hand to a server. */
export interface EvaluationKeys {
  relinKeys: Uint8Array;
  /** One serialised GaloisKeys object per rotation step (0 = conjugation). */
  galoisKeys: Map<number, Uint8Array>;
}

export interface ClientOptions {
  /**
   * A serialised SEAL SecretKey to use instead of a fresh uniform ternary one (e.g. a sparse secret built
   * by the bootstrapping code). It must belong to the same parameters.
   */
  secretKey?: Uint8Array;
}

export class CkksClient implements Disposable {
  readonly encoder: Encoder;
  private readonly keyGen: ReturnType<CkksContext["seal"]["KeyGenerator"]>;
  private readonly secret: SealSecretKey;
  private readonly publicKey: ReturnType<CkksContext["seal"]["PublicKey"]>;
  private readonly encryptor: ReturnType<CkksContext["seal"]["Encryptor"]>;
  private readonly decryptor: ReturnType<CkksContext["seal"]["Decryptor"]>;

  constructor(
    readonly ctx: CkksContext,
    opts: ClientOptions = {},
  ) {
    const seal = ctx.seal;
    try {
      if (opts.secretKey) {
        const sk = seal.SecretKey();
        sk.loadArray(ctx.sealContext, opts.secretKey);
        this.keyGen = seal.KeyGenerator(ctx.sealContext, sk);
        sk.delete();
      } else {
        this.keyGen = seal.KeyGenerator(ctx.sealContext);
      }
    } catch (e) {
      throw new Error(`creating the key generator failed: ${sealErrorMessage(seal, e)}`);
    }
    this.secret = this.keyGen.secretKey();
    this.publicKey = this.keyGen.createPublicKey();
    this.encryptor = seal.Encryptor(ctx.sealContext, this.publicKey, this.secret);
    this.decryptor = seal.Decryptor(ctx.sealContext, this.secret);
    this.encoder = new Encoder(ctx);
  }

  /** Encrypts (symmetric, with the secret key) at `level` (default top) and its canonical scale. */
  encrypt(values: ArrayLike<number>, opts: { level?: number; scale?: number } = {}): Ciphertext {
    const pt = this.encoder.encode(values, opts);
    const ct = this.ctx.seal.CipherText();
    try {
      this.encryptor.encryptSymmetric(pt.handle, ct);
      return new Ciphertext(this.ctx, ct);
    } catch (e) {
      ct.delete();
      throw new Error(`encryption failed: ${sealErrorMessage(this.ctx.seal, e)}`);
    } finally {
      pt.dispose();
    }
  }

  /** Decrypts and decodes all N/2 slots (real parts). */
  decrypt(ct: Ciphertext): Float64Array {
    const pt = this.ctx.seal.PlainText();
    try {
      this.decryptor.decrypt(ct.handle, pt);
      return Float64Array.from(this.encoder.sealEncoder.decode(pt) as Float64Array);
    } catch (e) {
      throw new Error(`decryption failed: ${sealErrorMessage(this.ctx.seal, e)}`);
    } finally {
      pt.delete();
    }
  }

  /** The relinearisation key, serialised. */
  relinKeys(): Uint8Array {
    const rk = this.keyGen.createRelinKeys();
    try {
      return rk.saveArray(this.ctx.seal.ComprModeType.none);
    } finally {
      rk.delete();
    }
  }

  /**
   * One serialised Galois key per step (SEAL rotateVector semantics: step k rotates slots left by k,
   * out[i] = in[i + k mod N/2]; |k| < N/2; step 0 = complex conjugation). Generated one at a time so
   * that at most one key sits in the wasm heap.
   */
  galoisKeys(steps: Iterable<number>, opts: { maxLevel?: number } = {}): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    const half = this.ctx.slots;
    for (const step of steps) {
      if (!Number.isInteger(step) || Math.abs(step) >= half) {
        throw new RangeError(`rotation step must be an integer with |step| < ${half} (N/2), got ${step}`);
      }
      if (out.has(step)) continue;
      const gk = this.keyGen.createGaloisKeys(Int32Array.of(step));
      try {
        const bytes = gk.saveArray(this.ctx.seal.ComprModeType.none);
        out.set(step, opts.maxLevel !== undefined && opts.maxLevel < this.ctx.topLevel ? truncateSwitchingKey(bytes, opts.maxLevel) : bytes);
      } finally {
        gk.delete();
      }
    }
    return out;
  }

  /**
   * Relinearisation key plus Galois keys for `steps`; `lowLevelSteps` get keys truncated to
   * `lowMaxLevel` (key-levels.ts: a rotation key used only by low-level layers is 2–3× smaller).
   */
  evaluationKeys(steps: Iterable<number> = [], low?: { steps: Iterable<number>; maxLevel: number }): EvaluationKeys {
    const galoisKeys = this.galoisKeys(steps);
    if (low) for (const [s, b] of this.galoisKeys([...low.steps].filter((s) => !galoisKeys.has(s)), { maxLevel: low.maxLevel })) galoisKeys.set(s, b);
    return { relinKeys: this.relinKeys(), galoisKeys };
  }

  /** The secret key, serialised (for tests and key escrow; never give it to a server). */
  secretKeyBytes(): Uint8Array {
    return this.secret.saveArray(this.ctx.seal.ComprModeType.none);
  }

  dispose(): void {
    this.encoder.dispose();
    this.encryptor.delete();
    this.decryptor.delete();
    this.publicKey.delete();
    this.secret.delete();
    this.keyGen.delete();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
