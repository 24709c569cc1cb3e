// CKKS encoding at an explicit level and scale. node-seal's encode has no parms_id argument, so we
// encode at the top and mod-switch the plaintext down (TOOLCHAIN §2.2).
import { Plaintext } from "./ciphertext.js";
import type { CkksContext } from "./context.js";
import { sealErrorMessage, type SealEncoder, type SealEvaluator } from "./seal.js";

export class Encoder implements Disposable {
  /** Raw SEAL CKKSEncoder (owned). */
  readonly sealEncoder: SealEncoder;
  /** Number of encode calls (for cost accounting). */
  encodes = 0;

  /** A key-less SEAL Evaluator used only to mod-switch plaintexts (owned). */
  private readonly switcher: SealEvaluator;

  constructor(readonly ctx: CkksContext) {
    this.sealEncoder = ctx.seal.CKKSEncoder(ctx.sealContext);
    this.switcher = ctx.seal.Evaluator(ctx.sealContext);
  }

  get slots(): number {
    return this.ctx.slots;
  }

  /**
   * Encodes `values` (at most N/2; the rest of the slots are zero) at `level` and `scale`
   * (defaults: top level, its canonical scale).
   */
  encode(values: ArrayLike<number>, opts: { level?: number; scale?: number } = {}): Plaintext {
    const level = opts.level ?? this.ctx.topLevel;
    const info = this.ctx.levelInfo(level);
    const scale = opts.scale ?? info.canonicalScale;
    if (values.length > this.slots) {
      throw new RangeError(`cannot encode ${values.length} values into ${this.slots} slots (N = ${this.ctx.N})`);
    }
    if (!(scale > 0) || Math.log2(scale) + 1 >= info.logQ) {
      throw new RangeError(`scale 2^${Math.log2(scale).toFixed(2)} does not fit level ${level} (log Q = ${info.logQ})`);
    }
    const arr = values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>);
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i]!)) throw new RangeError(`value ${i} to encode is not finite: ${arr[i]}`);
    }
    const pt = this.ctx.seal.PlainText();
    try {
      this.sealEncoder.encode(arr, scale, pt);
      if (level !== this.ctx.topLevel) {
        this.switcher.plainModSwitchTo(pt, info.parmsId, pt);
      }
      this.encodes++;
      return new Plaintext(this.ctx, pt);
    } catch (e) {
      pt.delete();
      throw new Error(`encoding at level ${level}, scale 2^${Math.log2(scale).toFixed(2)} failed: ${sealErrorMessage(this.ctx.seal, e)}`);
    }
  }

  /** Encodes the constant c in every slot. */
  encodeConstant(c: number, opts: { level?: number; scale?: number } = {}): Plaintext {
    return this.encode(new Float64Array(this.slots).fill(c), opts);
  }

  /** Decodes all N/2 slots (real parts). */
  decode(pt: Plaintext): Float64Array {
    return Float64Array.from(this.sealEncoder.decode(pt.handle) as Float64Array);
  }

  dispose(): void {
    this.sealEncoder.delete();
    this.switcher.delete();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
