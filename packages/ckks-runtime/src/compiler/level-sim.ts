// Level simulation (dry run, no encryption) of a PolyProgram on a ciphertext at a given level, with the
// Evaluator's rules (INTERFACES §1; Evaluator/evaluateProgram): mul, mulConst and a `linear` with a
// non-integer coefficient consume one level below the lowest operand; add/sub/addConst/mulInt and integer
// `linear` keep the lowest operand's level. When an operand that must lose a level is at level 0 it is
// bootstrapped right before the op (lazily: a register is refreshed only when it has to be), which is what
// a program deeper than one refresh needs (e.g. the alpha=13 composite ReLU with few levels per bootstrap).
import { isSmallInteger, registerDepths, type PolyOp, type PolyProgram } from "../program.js";
import { zeroStepOps, type InnerBootstrap, type OpsByLevel, type StepOps } from "./he-program.js";

export interface PolyLevelSimulation {
  outLevel: number;
  innerBootstraps: InnerBootstrap[];
  /** Op counts by the level they run at. */
  opsByLevel: OpsByLevel;
  /** Total op counts. */
  ops: StepOps;
}

function readsOf(o: PolyOp): number[] {
  if (o.op === "linear") return o.terms.map(([r]) => r);
  if ("b" in o) return [o.a, o.b];
  return [o.a];
}

/** True when the op consumes a level (rescale) under the evaluator's rules. */
export function consumesLevel(o: PolyOp): boolean {
  switch (o.op) {
    case "mul":
    case "mulConst":
      return true;
    case "linear":
      return !o.terms.every(([, c]) => isSmallInteger(c));
    default:
      return false;
  }
}

/**
 * Cut registers: v is a cut before op i when v was defined by op i-1 and every register with a use at or after
 * op i is v or the input. `depth` = levels from v to the next cut (or to the output).
 */
export function cutSegments(program: PolyProgram): Map<number, { register: number; depth: number }> {
  const n = program.ops.length;
  const lastUse = new Int32Array(n + 1).fill(-1);
  program.ops.forEach((o, i) => {
    for (const r of readsOf(o)) lastUse[r] = i;
  });
  lastUse[program.output] = n; // the output lives to the end
  const d = registerDepths(program);
  const cutRegs: number[] = [];
  for (let v = 1; v <= n; v++) {
    // op index v is the first op after v's definition; registers live then: defined before v (<= v) and used at >= v
    let ok = lastUse[v]! >= v;
    for (let r = 1; ok && r < v; r++) if (lastUse[r]! >= v) ok = false;
    if (ok && v < n) cutRegs.push(v);
  }
  const out = new Map<number, { register: number; depth: number }>();
  cutRegs.forEach((v, k) => {
    const next = k + 1 < cutRegs.length ? cutRegs[k + 1]! : program.output;
    out.set(v, { register: v, depth: d[next]! - d[v]! });
  });
  return out;
}

function bump(m: OpsByLevel, level: number, f: (o: StepOps) => void): void {
  let o = m.get(level);
  if (!o) m.set(level, (o = zeroStepOps()));
  f(o);
}

/**
 * Simulates `program` from `inLevel` with `levelsAfterBootstrap` levels per refresh. Throws if
 * levelsAfterBootstrap < 1 (no op could ever run).
 */
export function simulatePolyLevels(program: PolyProgram, inLevel: number, levelsAfterBootstrap: number): PolyLevelSimulation {
  if (!(levelsAfterBootstrap >= 1)) throw new RangeError(`levelsAfterBootstrap must be >= 1, got ${levelsAfterBootstrap}`);
  const lv: number[] = [inLevel];
  const inner: InnerBootstrap[] = [];
  const cuts = cutSegments(program);
  const byLevel: OpsByLevel = new Map();
  const total = zeroStepOps();
  const add = (level: number, k: keyof StepOps, n = 1) => {
    bump(byLevel, level, (o) => (o[k] += n));
    total[k] += n;
  };
  program.ops.forEach((o, i) => {
    // At a cut (one live register besides the input), refresh it there if the segment up to the next cut
    // does not fit in its levels but fits in a refresh: one bootstrap instead of refreshing every register
    // the segment fans out into (e.g. between the components of a composite polynomial).
    const seg = cuts.get(i);
    if (seg !== undefined && lv[seg.register]! < seg.depth && seg.depth <= levelsAfterBootstrap) {
      inner.push({ beforeOp: i, register: seg.register, fromLevel: lv[seg.register]! });
      lv[seg.register] = levelsAfterBootstrap;
    }
    const reads = [...new Set(readsOf(o))];
    if (consumesLevel(o)) {
      for (const r of reads) {
        if (lv[r]! < 1) {
          inner.push({ beforeOp: i, register: r, fromLevel: lv[r]! });
          lv[r] = levelsAfterBootstrap;
        }
      }
    }
    const low = Math.min(...reads.map((r) => lv[r]!));
    switch (o.op) {
      case "mul":
        add(low, "mulRelin");
        add(low, "rescale");
        lv.push(low - 1);
        break;
      case "mulConst":
        add(low, "mulConst");
        add(low, "rescale");
        lv.push(low - 1);
        break;
      case "mulInt":
        add(low, "add", Math.max(1, Math.ceil(Math.log2(Math.abs(o.k) + 1))));
        lv.push(low);
        break;
      case "add":
      case "sub":
      case "addConst":
        add(low, "add");
        lv.push(low);
        break;
      case "linear": {
        const n = o.terms.length + (o.c !== 0 ? 1 : 0);
        add(low, "add", Math.max(0, n - 1));
        if (consumesLevel(o)) {
          add(low, "mulConst", o.terms.length);
          add(low, "rescale");
          lv.push(low - 1);
        } else lv.push(low);
        break;
      }
    }
  });
  return { outLevel: lv[program.output]!, innerBootstraps: inner, opsByLevel: byLevel, ops: total };
}
