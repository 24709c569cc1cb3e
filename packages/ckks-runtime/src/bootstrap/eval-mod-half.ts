// One of the two independent halves of a full-slot bootstrap: a CoeffToSlot output y (the low or the high
// half of the coefficients, as slots) → [Re(y)] → EvalMod → mod switch to the SlotToCoeff level → 2·Re(·).
//
// The same function runs in the bootstrapper's thread and in the half worker (half-worker.ts), so a
// bootstrap with the worker performs exactly the operations of one without it: SEAL's evaluation is
// deterministic, so the output ciphertexts are bit-identical (test/bootstrap-half-worker.test.ts).
import type { Ciphertext } from "../ciphertext.js";
import type { Evaluator } from "../evaluator.js";
import type { EvalModParams } from "./eval-mod.js";
import { ScaleLedger, evaluateEvalMod } from "./hom-eval-mod.js";

/** Plain data (structured-cloneable): what a thread needs to run one half. */
export interface EvalModHalfJob {
  evalMod: EvalModParams;
  /** EvalMod input level and scale (the ScaleLedger's start). */
  startLevel: number;
  startScale: number;
  /** SlotToCoeff input level: EvalMod's output is mod-switched down to it. */
  toLevel: number;
  /** Take Re(y) = y + conj(y) first (CoeffToSlot's last step; its ½ is folded into the matrices). */
  realPartFirst: boolean;
}

/** y + conj(y) (one conjugation key switch); consumes nothing. */
export function twiceRealPart(ev: Evaluator, y: Ciphertext): Ciphertext {
  const cj = ev.conjugate(y);
  try {
    return ev.add(y, cj);
  } finally {
    cj.dispose();
  }
}

/**
 * Runs one half on `y` (not consumed). EvalMod's rescale noise is complex and the polynomial amplifies its
 * imaginary part like the real part; SlotToCoeff is C-linear, so the result is made real again (the ½ of
 * 2·Re is folded into SlotToCoeff).
 */
export function evalModHalf(ev: Evaluator, y: Ciphertext, job: EvalModHalfJob): Ciphertext {
  const u = job.realPartFirst ? twiceRealPart(ev, y) : y;
  let e: Ciphertext;
  try {
    const ledger = new ScaleLedger((l) => Number(ev.ctx.primeAt(l)), job.startLevel, job.startScale);
    e = evaluateEvalMod(ev, u, job.evalMod, ledger);
  } finally {
    if (u !== y) u.dispose();
  }
  const d = e.level === job.toLevel ? e : ev.modSwitchTo(e, job.toLevel);
  if (d !== e) e.dispose();
  try {
    return twiceRealPart(ev, d);
  } finally {
    d.dispose();
  }
}
