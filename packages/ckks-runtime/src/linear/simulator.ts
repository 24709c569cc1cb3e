// Plaintext slot simulator: runs a SlotProgram on Float64Array slot vectors with exact float64 arithmetic.
// A rotation is a cyclic shift with SEAL's convention (rotate_vector, steps > 0 rotate left):
// rot(x, s)[j] = x[(j + s) mod n]. The encrypted tests check this convention against node-seal.

import { runSlotProgram, type SlotOps, type SlotProgram } from "./program.js";

export function rotateSlots(x: Float64Array, step: number): Float64Array {
  const n = x.length;
  const s = ((step % n) + n) % n;
  const out = new Float64Array(n);
  out.set(x.subarray(s), 0);
  out.set(x.subarray(0, s), n - s);
  return out;
}

export const plainSlotOps: SlotOps<Float64Array> = {
  rotate: rotateSlots,
  dot(terms) {
    const n = terms[0]!.x.length;
    const out = new Float64Array(n);
    for (const { x, plain } of terms) for (let j = 0; j < n; j++) out[j]! += x[j]! * plain[j]!;
    return out;
  },
  add(a, b) {
    const out = new Float64Array(a.length);
    for (let j = 0; j < a.length; j++) out[j] = a[j]! + b[j]!;
    return out;
  },
  rescale: (x) => x,
  addPlain(x, p) {
    const out = new Float64Array(x.length);
    for (let j = 0; j < x.length; j++) out[j] = x[j]! + p[j]!;
    return out;
  },
  free() {},
};

/** Run a program on a plaintext slot vector. */
export function simulateSlotProgram(program: SlotProgram, input: Float64Array): Float64Array {
  if (input.length !== program.slots)
    throw new Error(`simulateSlotProgram: input has ${input.length} slots, program expects ${program.slots}`);
  return runSlotProgram(program, input, plainSlotOps);
}
