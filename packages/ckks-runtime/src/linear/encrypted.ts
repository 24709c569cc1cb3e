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

import type { Ciphertext } from "../ciphertext.js";
import type { Evaluator } from "../evaluator.js";
import { LevelError } from "../evaluator.js";
import { runSlotProgram, type SlotOps, type SlotProgram } from "./program.js";

export function sealSlotOps(ev: Evaluator): SlotOps<Ciphertext> {
  const seal = ev.ctx.seal;
  return {
    rotate: (x, step) => ev.rotate(x, step),
    dot(terms) {
      const first = terms[0]!.x;
      const level = first.level;
      if (level < 1) throw new LevelError(`linear layer needs 1 level but the ciphertext is at level 0`);
      let acc: Ciphertext | undefined;
      const tmp = seal.CipherText();
      try {
        for (const { x, plain } of terms) {
          if (x.level !== level || x.scale !== first.scale)
            throw new Error(`dot: terms at different levels/scales (${x} vs ${first})`);
          const pt = ev.encodeForMul(plain, level, x.scale);
          try {
            ev.counts.mulPlain++;
            if (!acc) {
              acc = ev.mulPlain(x, pt, { rescale: false });
              ev.counts.mulPlain--; // mulPlain counted it already
            } else {
              ev.sealEvaluator.multiplyPlain(x.handle, pt.handle, tmp);
              ev.sealEvaluator.add(acc.handle, tmp, acc.handle);
              ev.counts.add++;
            }
          } finally {
            pt.dispose();
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
      const pt = ev.encoder.encode(plain, { level: x.level, scale: x.scale });
      try {
        return ev.addPlain(x, pt);
      } finally {
        pt.dispose();
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
export function runLinearEncrypted(program: SlotProgram, input: Ciphertext, ev: Evaluator): Ciphertext {
  if (input.ctx.slots !== program.slots)
    throw new Error(`linear layer compiled for ${program.slots} slots, ciphertext has ${input.ctx.slots}`);
  if (input.level < program.counts.levels)
    throw new LevelError(`linear layer needs ${program.counts.levels} level(s), ciphertext is at level ${input.level}`);
  assertKeysFor(program, ev);
  return runSlotProgram(program, input, sealSlotOps(ev));
}
