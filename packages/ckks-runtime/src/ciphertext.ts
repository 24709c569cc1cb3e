// Ciphertext and Plaintext wrappers: a SEAL handle plus the level and scale every operation needs.
import type { CkksContext } from "./context.js";
import type { SealCipherText, SealPlainText } from "./seal.js";

/**
 * An encrypted vector of N/2 slots. `level` = primes left - 1 (0 = only q0); `scale` is SEAL's scale
 * (exactly the bookkeeping scale; the evaluator snaps it after every rescale). Owns its SEAL handle:
 * call dispose() (or `using`) when done.
 */
export class Ciphertext implements Disposable {
  private h: SealCipherText | undefined;

  constructor(
    readonly ctx: CkksContext,
    handle: SealCipherText,
  ) {
    this.h = handle;
  }

  /** The raw SEAL ciphertext (for extensions such as bootstrapping). Still owned by this wrapper. */
  get handle(): SealCipherText {
    if (!this.h) throw new Error("ciphertext used after dispose()");
    return this.h;
  }

  get level(): number {
    return this.handle.coeffModulusSize - 1;
  }

  get scale(): number {
    return this.handle.scale;
  }

  get disposed(): boolean {
    return this.h === undefined;
  }

  /** log2 of the scale, for messages. */
  get logScale(): number {
    return Math.log2(this.scale);
  }

  clone(): Ciphertext {
    return new Ciphertext(this.ctx, this.handle.clone());
  }

  /** Uncompressed SEAL serialisation (transferable between workers). */
  toBytes(): Uint8Array {
    return this.handle.saveArray(this.ctx.seal.ComprModeType.none);
  }

  static fromBytes(ctx: CkksContext, bytes: Uint8Array): Ciphertext {
    const h = ctx.seal.CipherText();
    try {
      h.loadArray(ctx.sealContext, bytes);
    } catch (e) {
      h.delete();
      throw e;
    }
    return new Ciphertext(ctx, h);
  }

  /** Takes the handle out of the wrapper (the caller owns it afterwards). */
  detach(): SealCipherText {
    const h = this.handle;
    this.h = undefined;
    return h;
  }

  dispose(): void {
    if (this.h) {
      this.h.delete();
      this.h = undefined;
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Ciphertext(level ${this.level}, scale 2^${this.logScale.toFixed(3)})`;
  }
}

/** An encoded (not encrypted) vector at a given level and scale. Owns its SEAL handle. */
export class Plaintext implements Disposable {
  private h: SealPlainText | undefined;

  constructor(
    readonly ctx: CkksContext,
    handle: SealPlainText,
  ) {
    this.h = handle;
  }

  get handle(): SealPlainText {
    if (!this.h) throw new Error("plaintext used after dispose()");
    return this.h;
  }

  /** Level = primes - 1, from the plaintext's coefficient count (N per prime, NTT form). */
  get level(): number {
    return this.handle.coeffCount / this.ctx.N - 1;
  }

  get scale(): number {
    return this.handle.scale;
  }

  dispose(): void {
    if (this.h) {
      this.h.delete();
      this.h = undefined;
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
