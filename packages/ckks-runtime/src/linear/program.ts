// SlotProgram: the straight-line description of one packed linear layer, run unchanged by the plaintext slot
// simulator (Float64Array, cyclic shifts), by the encrypted executor (node-seal) and by the worker pool.
// Like PolyProgram (INTERFACES.md §1), registers are SSA: register 0 is the input ciphertext, op i defines
// register i + 1.

export type SlotOp =
  /** rot(r_a, step): slot j of the result is slot (j + step) mod n of r_a (SEAL rotate_vector, step > 0 = left). */
  | { op: "rotate"; a: number; step: number }
  /**
   * Σ_t plains[t.plain] ⊙ r_{t.reg}: products accumulated before one rescale (all terms at one level and scale).
   * The plaintexts are encoded at scale = the prime that the following rescale removes, so the rescaled result
   * keeps the input scale exactly (Orion, arXiv 2311.03470 §5; Lattigo lintrans).
   */
  | { op: "dot"; terms: { reg: number; plain: number }[] }
  | { op: "add"; a: number; b: number }
  | { op: "rescale"; a: number }
  /** r_a + plains[plain], encoded at r_a's level and scale (a bias: no level). */
  | { op: "addPlain"; a: number; plain: number };

export interface SlotProgramCounts {
  rotations: number;
  /** ciphertext × plaintext products. */
  mulPlain: number;
  additions: number;
  rescales: number;
  /** Levels consumed (= rescales on the path to the output). */
  levels: number;
}

export interface SlotProgram {
  /** Slot count n the program was compiled for. */
  slots: number;
  ops: SlotOp[];
  output: number;
  /** Plaintext vectors (length n) referenced by dot / addPlain. */
  plains: Float64Array[];
  /** Distinct rotation steps, normalised to (−n/2, n/2], ascending: exactly the Galois keys needed. */
  steps: number[];
  counts: SlotProgramCounts;
}

/** Normalise a rotation step to (−n/2, n/2]. */
export function normalizeStep(step: number, slots: number): number {
  let s = ((step % slots) + slots) % slots;
  if (s > slots / 2) s -= slots;
  return s;
}

/** Count operations, levels and distinct steps of an op list (a pure function of the ops). */
export function analyzeProgram(
  slots: number,
  ops: SlotOp[],
  output: number,
): { steps: number[]; counts: SlotProgramCounts } {
  const level = new Int32Array(ops.length + 1);
  const steps = new Set<number>();
  const counts: SlotProgramCounts = { rotations: 0, mulPlain: 0, additions: 0, rescales: 0, levels: 0 };
  ops.forEach((o, i) => {
    const check = (r: number) => {
      if (!Number.isInteger(r) || r < 0 || r > i) throw new Error(`SlotProgram op ${i} (${o.op}) reads undefined register ${r}`);
    };
    switch (o.op) {
      case "rotate":
        check(o.a);
        if (normalizeStep(o.step, slots) === 0) throw new Error(`SlotProgram op ${i}: rotation by 0 (mod ${slots})`);
        steps.add(normalizeStep(o.step, slots));
        counts.rotations++;
        level[i + 1] = level[o.a]!;
        break;
      case "dot": {
        if (o.terms.length === 0) throw new Error(`SlotProgram op ${i}: empty dot`);
        let l = -1;
        for (const t of o.terms) {
          check(t.reg);
          if (l >= 0 && level[t.reg] !== l) throw new Error(`SlotProgram op ${i}: dot terms at different levels`);
          l = level[t.reg]!;
        }
        counts.mulPlain += o.terms.length;
        counts.additions += o.terms.length - 1;
        level[i + 1] = l;
        break;
      }
      case "add":
        check(o.a);
        check(o.b);
        counts.additions++;
        level[i + 1] = Math.max(level[o.a]!, level[o.b]!);
        break;
      case "rescale":
        check(o.a);
        counts.rescales++;
        level[i + 1] = level[o.a]! + 1;
        break;
      case "addPlain":
        check(o.a);
        counts.additions++;
        level[i + 1] = level[o.a]!;
        break;
    }
  });
  if (output < 0 || output > ops.length) throw new Error(`SlotProgram: output register ${output} undefined`);
  counts.levels = level[output]!;
  return { steps: [...steps].sort((a, b) => a - b), counts };
}

/** What a backend must provide to run a SlotProgram (plaintext simulator, SEAL, worker pool). */
export interface SlotOps<T> {
  rotate(x: T, step: number): T;
  dot(terms: { x: T; plain: Float64Array }[]): T;
  add(a: T, b: T): T;
  rescale(x: T): T;
  addPlain(x: T, plain: Float64Array): T;
  /** Release a value that is no longer needed (SEAL objects must be deleted explicitly). */
  free(x: T): void;
}

/**
 * Run a program sequentially on any backend. Registers are freed as soon as their last reader has run,
 * so at most the live set is held (matters for SEAL heap use). The input is never freed.
 */
export function runSlotProgram<T>(program: SlotProgram, input: T, ops: SlotOps<T>): T {
  const lastUse = lastUses(program);
  const regs: (T | undefined)[] = new Array(program.ops.length + 1);
  regs[0] = input;
  const get = (r: number): T => {
    const v = regs[r];
    if (v === undefined) throw new Error(`runSlotProgram: register ${r} already freed or undefined`);
    return v;
  };
  program.ops.forEach((o, i) => {
    let v: T;
    switch (o.op) {
      case "rotate":
        v = ops.rotate(get(o.a), o.step);
        break;
      case "dot":
        v = ops.dot(o.terms.map((t) => ({ x: get(t.reg), plain: program.plains[t.plain]! })));
        break;
      case "add":
        v = ops.add(get(o.a), get(o.b));
        break;
      case "rescale":
        v = ops.rescale(get(o.a));
        break;
      case "addPlain":
        v = ops.addPlain(get(o.a), program.plains[o.plain]!);
        break;
    }
    regs[i + 1] = v;
    for (const r of readsOf(o)) {
      if (r !== 0 && lastUse[r] === i && r !== program.output) {
        ops.free(regs[r]!);
        regs[r] = undefined;
      }
    }
  });
  return get(program.output);
}

export function readsOf(o: SlotOp): number[] {
  switch (o.op) {
    case "rotate":
    case "rescale":
    case "addPlain":
      return [o.a];
    case "add":
      return [o.a, o.b];
    case "dot":
      return [...new Set(o.terms.map((t) => t.reg))];
  }
}

/** Index of the last op reading each register (−1 if never read). */
export function lastUses(program: SlotProgram): Int32Array {
  const last = new Int32Array(program.ops.length + 1).fill(-1);
  program.ops.forEach((o, i) => {
    for (const r of readsOf(o)) last[r] = i;
  });
  return last;
}
