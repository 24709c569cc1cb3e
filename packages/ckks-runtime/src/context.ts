// The SEAL context, built once per parameter set and process: the chain of levels, their primes, parms
// ids and canonical scales. Building it is slow (16 s at N = 2^15), so share one CkksContext.
import { assertUsable, validateParameters, type ParameterSet, type ValidatedParameters } from "./params.js";
import { choosePrimeChain } from "./primes.js";
import { loadSeal, sealErrorMessage, type SEALLibrary, type SealContext, type SealParmsId } from "./seal.js";

/** One level of the modulus chain. Level l has l+1 primes q0..q_l (level 0 = only q0 left). */
export interface LevelInfo {
  level: number;
  /** q0..q_level. */
  primes: bigint[];
  /** Bits of Q_level (sum of prime bit lengths). */
  logQ: number;
  /** The scale every ciphertext at this level carries in our bookkeeping (see primes.ts). */
  canonicalScale: number;
  /** SEAL parms id of this level (owned by the context; do not delete). */
  parmsId: SealParmsId;
}

export interface ContextOptions {
  /** Allow parameter sets flagged insecure (default: only in tests / OLA_ALLOW_INSECURE=1). */
  allowInsecure?: boolean;
}

export class CkksContext implements Disposable {
  private disposed = false;

  private constructor(
    /** The SEAL library instance (raw access for extensions such as bootstrapping). */
    readonly seal: SEALLibrary,
    /** The SEAL context (raw handle; owned by this object). */
    readonly sealContext: SealContext,
    readonly params: ValidatedParameters,
    /** All primes in SEAL order (q0..q_top, P). */
    readonly primes: readonly bigint[],
    /** levels[l] for l = 0..topLevel. */
    readonly levels: readonly LevelInfo[],
  ) {}

  static async create(params: ParameterSet, opts: ContextOptions = {}): Promise<CkksContext> {
    const v = validateParameters(params);
    assertUsable(v, opts.allowInsecure);
    const seal = await loadSeal();
    const chain = choosePrimeChain(v.coeffModulusBits, v.N, v.logScale);
    const encParms = seal.EncryptionParameters(seal.SchemeType.ckks);
    const moduli = seal.Vector();
    const modulusObjs = chain.primes.map((q) => seal.Modulus(q));
    let ctx: SealContext | undefined;
    try {
      encParms.setPolyModulusDegree(v.N);
      // Vector<Modulus> from embind Modulus instances (a BigUint64Array is not accepted here).
      moduli.from(modulusObjs.map((m) => m.instance) as unknown as BigUint64Array, "Modulus");
      encParms.setCoeffModulus(moduli);
      // Our own check (validateParameters) is authoritative; SEAL's tc128 table stops at N = 2^15 and
      // knows nothing about our insecure test sets, so SEAL checks only where it agrees with us.
      const level = v.secure128 && v.N <= 32768 ? seal.SecurityLevel.tc128 : seal.SecurityLevel.none;
      ctx = seal.Context(encParms, true, level);
      if (!ctx.parametersSet()) {
        throw new Error(`SEAL rejected parameter set '${v.name}': ${ctx.toHuman()}`);
      }
      const levels: LevelInfo[] = [];
      // Walk from the first data level down; stop on chainIndex 0 (TOOLCHAIN §4.5: the wrapper past the
      // last level is not undefined).
      let cd = ctx.firstContextData;
      for (;;) {
        const l = cd.chainIndex;
        const primes = chain.primes.slice(0, l + 1);
        levels[l] = {
          level: l,
          primes,
          logQ: primes.reduce((a, q) => a + q.toString(2).length, 0),
          canonicalScale: chain.canonicalScales[l]!,
          parmsId: cd.parmsId,
        };
        if (l === 0) break;
        cd = cd.nextContextData;
      }
      if (levels.length !== v.levels + 1) {
        throw new Error(`internal: SEAL chain has ${levels.length} levels, expected ${v.levels + 1}`);
      }
      return new CkksContext(seal, ctx, v, chain.primes, levels);
    } catch (e) {
      ctx?.delete();
      throw new Error(`building the SEAL context for '${v.name}' failed: ${sealErrorMessage(seal, e)}`);
    } finally {
      moduli.delete();
      for (const m of modulusObjs) m.delete();
      encParms.delete();
    }
  }

  get N(): number {
    return this.params.N;
  }
  get slots(): number {
    return this.params.N / 2;
  }
  /** Level of fresh ciphertexts. */
  get topLevel(): number {
    return this.levels.length - 1;
  }
  /** Scale of fresh ciphertexts. */
  get topScale(): number {
    return this.levels[this.topLevel]!.canonicalScale;
  }

  levelInfo(level: number): LevelInfo {
    const li = this.levels[level];
    if (!li) throw new RangeError(`level ${level} does not exist in '${this.params.name}' (levels 0..${this.topLevel})`);
    return li;
  }

  /** The prime a rescale at `level` divides by. */
  primeAt(level: number): bigint {
    if (level < 1) throw new RangeError(`no rescale possible at level ${level}`);
    return this.levelInfo(level).primes[level]!;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sealContext.delete();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
