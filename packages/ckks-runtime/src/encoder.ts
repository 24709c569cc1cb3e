// CKKS encoding at an explicit level and scale. node-seal's encode has no parms_id argument (TOOLCHAIN
// §2.2): SEAL's encoder always works at the top level (inverse FFT + one NTT per prime of the whole chain)
// and the plaintext is mod-switched down. Low levels are therefore encoded by LevelEncoder instead (our
// own special FFT + SEAL's NTT at that level only, level-encoder.ts), which gives the same integers; the
// choice between the two is by cost (see `usesDirect`).
import { Plaintext } from "./ciphertext.js";
import type { CkksContext } from "./context.js";
import { LevelEncoder } from "./level-encoder.js";
import { sealErrorMessage, type SealEncoder, type SealEvaluator } from "./seal.js";

/**
 * Which encoder a level uses: "auto" (by cost), "seal" (top level + mod switch, the reference), "direct"
 * (LevelEncoder at the level itself).
 */
export type EncodePath = "auto" | "seal" | "direct";

export class Encoder implements Disposable {
  /** Encoder choice for every level (benchmarks and tests switch it; default "auto"). */
  path: EncodePath = "auto";
  /** Raw SEAL CKKSEncoder (owned). */
  readonly sealEncoder: SealEncoder;
  /** Number of encode calls (for cost accounting). */
  encodes = 0;

  /** A key-less SEAL Evaluator used only to mod-switch plaintexts (owned). */
  private readonly switcher: SealEvaluator;

  private direct: LevelEncoder | undefined;

  constructor(readonly ctx: CkksContext) {
    this.sealEncoder = ctx.seal.CKKSEncoder(ctx.sealContext);
    this.switcher = ctx.seal.Evaluator(ctx.sealContext);
  }

  /**
   * Whether `level` is encoded by LevelEncoder. Cost in NTTs of N points (measured at N = 2^15, boot-n15,
   * apps/bench `encode`): SEAL's path does one per prime of the top level (plus its FFT) whatever the
   * level; the direct path one per prime of the level when plaintexts come in pairs (encodeMany) and two
   * when alone (the container holds two polynomials). "auto" takes the direct path when that is fewer.
   */
  usesDirect(level: number, paired = false): boolean {
    if (this.path !== "auto") return this.path === "direct";
    const primes = level + 1;
    const topPrimes = this.ctx.topLevel + 1;
    return (paired ? primes : 2 * primes) < topPrimes;
  }

  private levelEncoder(): LevelEncoder {
    return (this.direct ??= new LevelEncoder(this.ctx));
  }

  private checked(values: ArrayLike<number>, opts: { level?: number; scale?: number }): { level: number; scale: number } {
    const level = opts.level ?? this.ctx.topLevel;
    const info = this.ctx.levelInfo(level);
    const scale = opts.scale ?? info.canonicalScale;
    if (values.length > this.slots) {
      throw new RangeError(`cannot encode ${values.length} values into ${this.slots} slots (N = ${this.ctx.N})`);
    }
    if (!(scale > 0) || Math.log2(scale) + 1 >= info.logQ) {
      throw new RangeError(`scale 2^${Math.log2(scale).toFixed(2)} does not fit level ${level} (log Q = ${info.logQ})`);
    }
    return { level, scale };
  }

  /**
   * Encodes several vectors at one level and scale (two per NTT call on the direct path). On error nothing
   * stays allocated.
   */
  encodeMany(list: readonly ArrayLike<number>[], opts: { level?: number; scale?: number } = {}): Plaintext[] {
    if (list.length === 0) return [];
    const { level, scale } = this.checked(list[0]!, opts);
    if (list.length > 1 && this.usesDirect(level, true)) {
      const out = this.levelEncoder().encodeMany(
        list.map((values) => ({ values, scale })),
        level,
      );
      this.encodes += out.length;
      return out;
    }
    const out: Plaintext[] = [];
    try {
      for (const values of list) out.push(this.encode(values, { level, scale }));
    } catch (e) {
      for (const p of out) p.dispose();
      throw e;
    }
    return out;
  }

  get slots(): number {
    return this.ctx.slots;
  }

  /**
   * Encodes `values` (at most N/2; the rest of the slots are zero) at `level` and `scale`
   * (defaults: top level, its canonical scale).
   */
  encode(values: ArrayLike<number>, opts: { level?: number; scale?: number } = {}): Plaintext {
    const { level, scale } = this.checked(values, opts);
    const info = this.ctx.levelInfo(level);
    if (this.usesDirect(level)) {
      const pt = this.levelEncoder().encode(values, level, scale);
      this.encodes++;
      return pt;
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
    this.direct?.dispose();
    this.direct = undefined;
    this.sealEncoder.delete();
    this.switcher.delete();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
