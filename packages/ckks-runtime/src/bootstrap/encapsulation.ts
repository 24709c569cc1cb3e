// Sparse-secret encapsulation (SSE; Bossuat, Troncoso-Pastoriza, Hubaux, "Bootstrapping for approximate
// homomorphic encryption with negligible failure-probability by using sparse-secret encapsulation",
// ACNS 2022, eprint 2022/024, §4).
//
// The main secret s is a dense uniform ternary key: every public key and every ciphertext above level 0
// is plain RLWE at N = 2^15, log QP <= 881, which the HomomorphicEncryption.org table rates 128-bit.
// ModRaise's overflow I (c0 + c1·s = m + e + q0·I) grows with the secret's weight, and a dense key would
// need a huge EvalMod interval. So right before ModRaise the level-0 ciphertext is key-switched to an
// ephemeral sparse ternary secret s' (Hamming weight h, e.g. 32), ModRaise runs under s' (|I| <= ~h/2),
// and right after it the raised ciphertext is switched back to s. What is public under s' is RLWE at the
// small modulus q0·P only (the level-0 ciphertext, and the switching key s -> s' restricted to the primes
// q0 and P): the sparse secret is safe there because the modulus is small (see the README for the
// estimate). The switching key s' -> s is an ordinary RLWE key under the dense s at the full modulus.
//
// Stock SEAL has no API for a switching key between two arbitrary secrets, but its relinearisation key
// *is* one (from s_B² to s_B, generated under s_B), with a simple byte layout
// (SEAL 4.1 KeyGenerator::generate_one_kswitch_key): entry j is an encryption of zero under s_B at the key
// level, plus (P mod q_j)·s_old added to the q_j component of its first polynomial (NTT form). Turning
// s_B² into s_A is therefore adding (P mod q_j)·(s_A − s_B²) to that component, pointwise in the NTT
// domain (SEAL multiplies secrets pointwise in NTT form). A ciphertext (c0, c1) under s_A becomes
// (c0, 0, c1) — size 3, so that "relinearising" it applies the switch to c1 — and relinearize() with the
// forged key returns (c0 + k0, k1) under s_B.
import { randomInt } from "node:crypto";
import { Ciphertext } from "../ciphertext.js";
import { CkksClient } from "../client.js";
import { switchingKeyMaxLevel, switchingKeySamples, truncateSwitchingKey } from "../key-levels.js";
import type { CkksContext } from "../context.js";
import { sealErrorMessage, type SealCipherText } from "../seal.js";
import type { BootstrapPreset } from "./presets.js";
import { CT, PT, ciphertextBytes } from "./seal-bytes.js";
import { sampleSparseTernary, secretKeyBytes } from "./sparse-secret.js";

/** Public switching keys of SSE (serialised SEAL RelinKeys, uncompressed). Safe to give to a server. */
export interface EncapsulationKeys {
  /** s -> s' at level 0 only: one decomposition entry, only its q0 and P components are non-zero. */
  toEphemeral: Uint8Array;
  /** s' -> s at any level (full key). */
  fromEphemeral: Uint8Array;
  /** Hamming weight of the ephemeral secret s'. */
  hammingWeight: number;
}

/** NTT-form residues of a serialised secret key: [prime][coefficient] over the key-level primes. */
function secretNtt(ctx: CkksContext, bytes: Uint8Array): BigUint64Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = ctx.N * ctx.primes.length;
  if (Number(dv.getBigUint64(PT.coeffCount, true)) !== count) throw new Error("unexpected secret-key layout (not N residues per key-level prime)");
  const out = new BigUint64Array(count);
  for (let i = 0; i < count; i++) out[i] = dv.getBigUint64(PT.data + 8 * i, true);
  return out;
}

/**
 * Rewrites a serialised relinearisation key generated under s_B (so carrying s_B²) into a switching key
 * s_A -> s_B. With `levelZeroOnly`, only entry 0 is kept and every component except q0 and P is zeroed,
 * so nothing under s_B is published beyond the modulus q0·P.
 */
function forgeSwitchingKey(ctx: CkksContext, relinUnderB: Uint8Array, sA: BigUint64Array, sB: BigUint64Array, levelZeroOnly: boolean): Uint8Array {
  const N = ctx.N;
  const primes = ctx.primes;
  const K = primes.length; // key level: data primes + P
  const P = primes[K - 1];
  // one sample per decomposition prime; the level-0 key keeps sample 0 only
  const vectors = switchingKeySamples(relinUnderB);
  if (vectors.length !== 1) throw new Error("expected a relinearisation key (one key vector)");
  if (vectors[0]!.length !== K - 1) throw new Error(`relinearisation key has ${vectors[0]!.length} entries, expected ${K - 1}`);
  const out = levelZeroOnly ? truncateSwitchingKey(relinUnderB, 0) : relinUnderB.slice();
  const samples = switchingKeySamples(out)[0]!;
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let j = 0; j < samples.length; j++) {
    if (samples[j]!.bytes !== CT.data + 16 * K * N) throw new Error("unexpected key-ciphertext layout");
    const base = samples[j]!.at + CT.data;
    const q = primes[j];
    const factor = P % q;
    // poly 0, component j: += (P mod q_j)·(s_A − s_B²)
    for (let k = 0; k < N; k++) {
      const at = base + 8 * (j * N + k);
      const b = sB[j * N + k];
      const delta = (sA[j * N + k] + q - ((b * b) % q)) % q;
      dv.setBigUint64(at, (dv.getBigUint64(at, true) + ((factor * delta) % q)) % q, true);
    }
    if (levelZeroOnly) {
      // keep components q0 (index 0) and P (index K−1) of both polynomials; zero the rest
      for (let poly = 0; poly < 2; poly++) {
        for (let i = 1; i < K - 1; i++) out.fill(0, base + 8 * N * (poly * K + i), base + 8 * N * (poly * K + i + 1));
      }
    }
  }
  return out;
}

/**
 * Client side: samples an ephemeral sparse ternary secret of weight h (crypto randomness unless `rand`
 * is given, for reproducible tests), builds both switching keys and forgets the ephemeral secret.
 * The client's own secret must be the dense main key.
 */
export function makeEncapsulationKeys(client: CkksClient, h: number, rand: (n: number) => number = (n) => randomInt(n)): EncapsulationKeys {
  const ctx = client.ctx;
  const seal = ctx.seal;
  const sDense = secretNtt(ctx, client.secretKeyBytes());
  const ephBytes = secretKeyBytes(ctx, sampleSparseTernary(ctx.N, h, rand));
  const sEph = secretNtt(ctx, ephBytes);
  const sk = seal.SecretKey();
  let kg: ReturnType<typeof seal.KeyGenerator> | undefined;
  let relinUnderEph: Uint8Array;
  try {
    sk.loadArray(ctx.sealContext, ephBytes);
    kg = seal.KeyGenerator(ctx.sealContext, sk);
    const rk = kg.createRelinKeys();
    try {
      relinUnderEph = rk.saveArray(seal.ComprModeType.none);
    } finally {
      rk.delete();
    }
  } finally {
    kg?.delete();
    sk.delete();
    ephBytes.fill(0);
  }
  const toEphemeral = forgeSwitchingKey(ctx, relinUnderEph, sDense, sEph, true);
  const fromEphemeral = forgeSwitchingKey(ctx, client.relinKeys(), sEph, sDense, false);
  sEph.fill(0n);
  sDense.fill(0n);
  return { toEphemeral, fromEphemeral, hammingWeight: h };
}

/**
 * Server side: applies the two switches. Keys stay serialised in JS memory and are loaded into the wasm
 * heap only for the switch (the full s' -> s key is as large as a Galois key).
 */
export class SecretEncapsulation implements Disposable {
  private readonly sealEvaluator;
  private readonly toEph;

  constructor(
    readonly ctx: CkksContext,
    readonly keys: EncapsulationKeys,
  ) {
    const seal = ctx.seal;
    // parse before SEAL sees the bytes: a malformed blob would abort the wasm instance instead of throwing
    const [, fromLevel] = ([["s -> s'", keys.toEphemeral], ["s' -> s", keys.fromEphemeral]] as const).map(([name, bytes]) => {
      try {
        return switchingKeyMaxLevel(bytes);
      } catch (e) {
        throw new Error(`encapsulation key (${name}) is not usable: ${(e as Error).message}`);
      }
    });
    if (fromLevel! < ctx.topLevel) {
      throw new Error(`encapsulation key (s' -> s) covers levels <= ${fromLevel}, the raised ciphertext is at level ${ctx.topLevel}`);
    }
    this.sealEvaluator = seal.Evaluator(ctx.sealContext);
    this.toEph = seal.RelinKeys();
    try {
      this.toEph.loadArray(ctx.sealContext, keys.toEphemeral);
    } catch (e) {
      this.toEph.delete();
      this.sealEvaluator.delete();
      throw new Error(`loading the encapsulation key (s -> s') failed: ${sealErrorMessage(seal, e)}`);
    }
  }

  /** (c0, c1) → (c0, 0, c1): relinearising it switches c1's secret. */
  private sizeThree(ct: Ciphertext): SealCipherText {
    const seal = this.ctx.seal;
    const src = ct.handle.saveArray(seal.ComprModeType.none);
    const sdv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    if (Number(sdv.getBigUint64(CT.size, true)) !== 2 || sdv.getUint8(CT.isNtt) !== 1) throw new Error("encapsulation: expected a size-2 NTT-form ciphertext");
    const polyBytes = 8 * (ct.level + 1) * this.ctx.N;
    // c0, a zero polynomial, c1 (the data of a fresh allocation is zero)
    const { bytes: dst } = ciphertextBytes(src, 3, ct.level + 1, this.ctx.N);
    dst.set(src.subarray(CT.data, CT.data + polyBytes), CT.data);
    dst.set(src.subarray(CT.data + polyBytes, CT.data + 2 * polyBytes), CT.data + 2 * polyBytes);
    const h = seal.CipherText();
    try {
      h.loadArray(this.ctx.sealContext, dst);
    } catch (e) {
      h.delete();
      throw new Error(`encapsulation: building the size-3 ciphertext failed: ${sealErrorMessage(seal, e)}`);
    }
    return h;
  }

  private switchWith(ct: Ciphertext, keys: ReturnType<CkksContext["seal"]["RelinKeys"]>, what: string): Ciphertext {
    const seal = this.ctx.seal;
    const three = this.sizeThree(ct);
    const out = seal.CipherText();
    try {
      this.sealEvaluator.relinearize(three, keys, out);
      return new Ciphertext(this.ctx, out);
    } catch (e) {
      out.delete();
      throw new Error(`encapsulation: ${what} failed: ${sealErrorMessage(seal, e)}`);
    } finally {
      three.delete();
    }
  }

  /** Level-0 ciphertext under s → the same under the ephemeral s' (the key holds entry 0 only). */
  toEphemeral(ct: Ciphertext): Ciphertext {
    if (ct.level !== 0) throw new Error(`the s -> s' switch is only defined at level 0 (the key covers q0 and P), got level ${ct.level}`);
    return this.switchWith(ct, this.toEph, "switching to the ephemeral secret");
  }

  /** Any-level ciphertext under s' → the same under s. */
  fromEphemeral(ct: Ciphertext): Ciphertext {
    const seal = this.ctx.seal;
    const k = seal.RelinKeys();
    try {
      k.loadArray(this.ctx.sealContext, this.keys.fromEphemeral);
    } catch (e) {
      k.delete();
      throw new Error(`loading the encapsulation key (s' -> s) failed: ${sealErrorMessage(seal, e)}`);
    }
    try {
      return this.switchWith(ct, k, "switching back to the main secret");
    } finally {
      k.delete();
    }
  }

  dispose(): void {
    this.toEph.delete();
    this.sealEvaluator.delete();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * The client a bootstrapping preset needs: a dense main secret plus encapsulation keys when the preset
 * uses encapsulation, otherwise a sparse main secret of the preset's weight (legacy layout).
 */
export function createBootstrapClient(
  ctx: CkksContext,
  preset: Pick<BootstrapPreset, "hammingWeight" | "encapsulation">,
  rand: (n: number) => number = (n) => randomInt(n),
): { client: CkksClient; encapsulation?: EncapsulationKeys } {
  if (!preset.encapsulation) {
    return { client: new CkksClient(ctx, { secretKey: secretKeyBytes(ctx, sampleSparseTernary(ctx.N, preset.hammingWeight, rand)) }) };
  }
  const client = new CkksClient(ctx);
  try {
    return { client, encapsulation: makeEncapsulationKeys(client, preset.hammingWeight, rand) };
  } catch (e) {
    client.dispose();
    throw e;
  }
}
