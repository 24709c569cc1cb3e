// Running SlotPrograms on ciphertexts through the core Evaluator (level and scale tracked there).
//
// Scale: each dot-product plaintext is encoded with Evaluator.encodeForMul, i.e. at scale
// target·q_l / ct.scale where q_l is the prime the rescale removes and target the canonical scale of
// level l−1; the products are summed, rotated and folded at that scale and rescaled once, so the output of
// every linear layer has exactly the canonical scale of level l−1 (residual branches add without adjustment).
// Rotations: every rotation is a full SEAL key switch (SEAL has no public hoisting API, microsoft/SEAL#24);
// the plans minimise the rotation count and use only the steps in SlotProgram.steps, which must all be in
// the Evaluator's KeyStore (checked up front: SEAL would otherwise silently decompose a missing step into
// several power-of-two rotations).

import type { Ciphertext, Plaintext } from "../ciphertext.js";
import type { Evaluator } from "../evaluator.js";
import { LevelError } from "../evaluator.js";
import { runSlotProgram, type SlotOps, type SlotProgram } from "./program.js";

export interface SealSlotOpsOptions {
  /**
   * Keep encoded diagonals (per plaintext vector, level and scale) up to this many bytes of SEAL plaintext,
   * so repeated runs of a layer skip the encodes (Orion precomputes its diagonals the same way). Default 0.
   * Low levels are encoded directly (level-encoder.ts: our special FFT + SEAL's NTT at that level, two
   * plaintexts per NTT call), yet an encode still costs a few times the ct×pt it feeds.
   */
  plainCacheBytes?: number;
}

export interface SealSlotOps extends SlotOps<Ciphertext> {
  /** Frees the cached plaintexts. */
  dispose(): void;
  readonly cachedBytes: number;
}

export function sealSlotOps(ev: Evaluator, options: SealSlotOpsOptions = {}): SealSlotOps {
  const seal = ev.ctx.seal;
  const budget = options.plainCacheBytes ?? 0;
  const cache = new WeakMap<Float64Array, Map<string, Plaintext>>();
  const cached: Plaintext[] = [];
  let cachedBytes = 0;
  const keep = (plain: Float64Array, key: string, level: number, pt: Plaintext): boolean => {
    const bytes = (level + 1) * ev.ctx.N * 8;
    if (cachedBytes + bytes > budget) return false;
    let m = cache.get(plain);
    if (!m) cache.set(plain, (m = new Map()));
    m.set(key, pt);
    cached.push(pt);
    cachedBytes += bytes;
    return true;
  };
  // kind "m": multiplier for a ct at (level, scale); kind "a": addend at (level, scale)
  const encodeCached = (plain: Float64Array, level: number, scale: number, kind: "m" | "a"): { pt: Plaintext; owned: boolean } => {
    const key = `${kind}:${level}:${scale}`;
    const hit = cache.get(plain)?.get(key);
    if (hit) return { pt: hit, owned: false };
    const pt = kind === "m" ? ev.encodeForMul(plain, level, scale) : ev.encoder.encode(plain, { level, scale });
    return { pt, owned: !keep(plain, key, level, pt) };
  };
  // Multipliers for several plaintext vectors; the missing ones are encoded together (encodeForMulMany
  // shares one SEAL NTT between two plaintexts on the direct low-level path).
  const multipliers = (plains: Float64Array[], level: number, scale: number): { pt: Plaintext; owned: boolean }[] => {
    const key = `m:${level}:${scale}`;
    const out: ({ pt: Plaintext; owned: boolean } | undefined)[] = plains.map((p) => {
      const hit = cache.get(p)?.get(key);
      return hit ? { pt: hit, owned: false } : undefined;
    });
    const missing = plains.filter((_, i) => !out[i]);
    if (missing.length > 0) {
      const fresh = ev.encodeForMulMany(missing, level, scale);
      let f = 0;
      for (let i = 0; i < plains.length; i++) {
        if (out[i]) continue;
        const pt = fresh[f++]!;
        out[i] = { pt, owned: !keep(plains[i]!, key, level, pt) };
      }
    }
    return out as { pt: Plaintext; owned: boolean }[];
  };
  return {
    get cachedBytes() {
      return cachedBytes;
    },
    dispose() {
      for (const p of cached) p.dispose();
      cached.length = 0;
      cachedBytes = 0;
    },
    rotate: (x, step) => ev.rotate(x, step),
    dot(terms) {
      const first = terms[0]!.x;
      const level = first.level;
      if (level < 1) throw new LevelError(`linear layer needs 1 level but the ciphertext is at level 0`);
      let acc: Ciphertext | undefined;
      const tmp = seal.CipherText();
      try {
        for (const { x } of terms) {
          if (x.level !== level || x.scale !== first.scale)
            throw new Error(`dot: terms at different levels/scales (${x} vs ${first})`);
        }
        // Two terms at a time: their plaintexts are encoded together, and at most two uncached plaintexts
        // are alive at once.
        for (let t = 0; t < terms.length; t += 2) {
          const chunk = terms.slice(t, t + 2);
          const pts = multipliers(
            chunk.map((c) => c.plain),
            level,
            first.scale,
          );
          try {
            for (let i = 0; i < chunk.length; i++) {
              const x = chunk[i]!.x;
              const pt = pts[i]!.pt;
              ev.counts.mulPlain++;
              if (!acc) {
                acc = ev.mulPlain(x, pt, { rescale: false });
                ev.counts.mulPlain--; // mulPlain counted it already
              } else {
                ev.sealEvaluator.multiplyPlain(x.handle, pt.handle, tmp);
                ev.sealEvaluator.add(acc.handle, tmp, acc.handle);
                ev.counts.add++;
              }
            }
          } finally {
            for (const p of pts) if (p.owned) p.pt.dispose();
          }
        }
      } catch (e) {
        acc?.dispose();
        throw e;
      } finally {
        tmp.delete();
      }
      return acc!;
    },
    add: (a, b) => ev.add(a, b),
    rescale(x) {
      const r = ev.rescale(x);
      const target = ev.canonicalScale(r.level);
      if (Math.abs(r.scale / target - 1) < 1e-9 && r.scale !== target) r.handle.setScale(target);
      return r;
    },
    addPlain(x, plain) {
      const { pt, owned } = encodeCached(plain, x.level, x.scale, "a");
      try {
        return ev.addPlain(x, pt);
      } finally {
        if (owned) pt.dispose();
      }
    },
    free: (x) => x.dispose(),
  };
}

/** Throws a clear error naming the missing Galois keys of a program. */
export function assertKeysFor(program: SlotProgram, ev: Evaluator): void {
  const missing = program.steps.filter((s) => !ev.keyStore.has(s));
  if (missing.length > 0)
    throw new Error(
      `linear layer needs Galois keys for rotation steps [${missing.join(", ")}] that the key store does not hold ` +
        `(it holds [${ev.keyStore.steps().join(", ")}]); generate them with CkksClient.galoisKeys(program.steps)`,
    );
}

/**
 * Run a compiled linear layer on a ciphertext (single thread). The input is not consumed; the result is a
 * new ciphertext one level lower at the canonical scale of that level.
 */
export function runLinearEncrypted(program: SlotProgram, input: Ciphertext, ev: Evaluator, ops?: SealSlotOps): Ciphertext {
  if (input.ctx.slots !== program.slots)
    throw new Error(`linear layer compiled for ${program.slots} slots, ciphertext has ${input.ctx.slots}`);
  if (input.level < program.counts.levels)
    throw new LevelError(`linear layer needs ${program.counts.levels} level(s), ciphertext is at level ${input.level}`);
  assertKeysFor(program, ev);
  if (ops) return runSlotProgram(program, input, ops);
  const fresh = sealSlotOps(ev);
  try {
    return runSlotProgram(program, input, fresh);
  } finally {
    fresh.dispose();
  }
}
