// PolyProgram: the single description of how a polynomial is evaluated (INTERFACES.md section 1).
// The same straight-line program is run in float64 here (runProgram), turned into ONNX nodes by
// @ola/models and run on ciphertexts by @ola/ckks-runtime, which asserts the published cost.
//
// Level rules (input at level 0):
//   mul: max(la, lb) + 1          mulConst: la + 1          mulInt: la
//   add/sub: max(la, lb)          addConst: la
//   linear: max over terms of l, plus 1 unless every coefficient is an integer in [-4, 4]

export type PolyOp =
  | { op: "mul"; a: number; b: number }
  | { op: "mulConst"; a: number; c: number }
  | { op: "mulInt"; a: number; k: number }
  | { op: "add"; a: number; b: number }
  | { op: "sub"; a: number; b: number }
  | { op: "addConst"; a: number; c: number }
  | { op: "linear"; terms: [number, number][]; c: number };

export interface PolyCost {
  depth: number;
  nonScalarMultiplications: number;
  scalarMultiplications: number;
  additions: number;
}

export interface PolyProgram {
  version: 1;
  ops: PolyOp[];
  output: number;
  cost: PolyCost;
}

/** A coefficient that a `linear` op applies by repeated addition/negation (no rescale, no level). */
export function isSmallInteger(c: number): boolean {
  return Number.isInteger(c) && c >= -4 && c <= 4;
}

/** Level of every register (index = register), validating SSA references. */
export function programLevels(ops: readonly PolyOp[]): Int32Array {
  const lv = new Int32Array(ops.length + 1);
  const ref = (r: number, i: number): number => {
    if (!Number.isInteger(r) || r < 0 || r > i) {
      throw new RangeError(`PolyProgram op ${i}: register ${r} is not defined before this op (registers 0..${i})`);
    }
    return lv[r]!;
  };
  ops.forEach((o, i) => {
    let l: number;
    switch (o.op) {
      case "mul":
        l = Math.max(ref(o.a, i), ref(o.b, i)) + 1;
        break;
      case "mulConst":
        l = ref(o.a, i) + 1;
        break;
      case "mulInt":
        l = ref(o.a, i);
        break;
      case "add":
      case "sub":
        l = Math.max(ref(o.a, i), ref(o.b, i));
        break;
      case "addConst":
        l = ref(o.a, i);
        break;
      case "linear": {
        if (o.terms.length === 0) throw new RangeError(`PolyProgram op ${i}: linear needs at least one term`);
        l = 0;
        let allInt = true;
        for (const [r, c] of o.terms) {
          l = Math.max(l, ref(r, i));
          if (!isSmallInteger(c)) allInt = false;
        }
        if (!allInt) l += 1;
        break;
      }
      default:
        throw new RangeError(`PolyProgram op ${i}: unknown op ${JSON.stringify(o)}`);
    }
    lv[i + 1] = l;
  });
  return lv;
}

/** Cost of a program by the rules of INTERFACES.md section 1. */
export function programCost(ops: readonly PolyOp[], output: number): PolyCost {
  const lv = programLevels(ops);
  if (!Number.isInteger(output) || output < 0 || output > ops.length) {
    throw new RangeError(`PolyProgram: output register ${output} is not in 0..${ops.length}`);
  }
  let nonScalar = 0;
  let scalar = 0;
  let additions = 0;
  for (const o of ops) {
    switch (o.op) {
      case "mul":
        nonScalar++;
        break;
      case "mulConst":
        scalar++;
        break;
      case "add":
      case "sub":
      case "addConst":
        additions++;
        break;
      case "linear":
        for (const [, c] of o.terms) if (!Number.isInteger(c)) scalar++;
        additions += o.terms.length - 1 + (o.c !== 0 ? 1 : 0);
        break;
      case "mulInt":
        break;
    }
  }
  return { depth: lv[output]!, nonScalarMultiplications: nonScalar, scalarMultiplications: scalar, additions };
}

/** Executes a program in float64 on a batch of inputs (register 0 = x). */
export function runProgram(p: PolyProgram, x: Float64Array): Float64Array {
  const n = x.length;
  const regs: Float64Array[] = [x];
  p.ops.forEach((o, i) => {
    const r = new Float64Array(n);
    switch (o.op) {
      case "mul": {
        const A = regs[o.a]!, B = regs[o.b]!;
        for (let j = 0; j < n; j++) r[j] = A[j]! * B[j]!;
        break;
      }
      case "mulConst": {
        const A = regs[o.a]!;
        for (let j = 0; j < n; j++) r[j] = o.c * A[j]!;
        break;
      }
      case "mulInt": {
        const A = regs[o.a]!;
        for (let j = 0; j < n; j++) r[j] = o.k * A[j]!;
        break;
      }
      case "add": {
        const A = regs[o.a]!, B = regs[o.b]!;
        for (let j = 0; j < n; j++) r[j] = A[j]! + B[j]!;
        break;
      }
      case "sub": {
        const A = regs[o.a]!, B = regs[o.b]!;
        for (let j = 0; j < n; j++) r[j] = A[j]! - B[j]!;
        break;
      }
      case "addConst": {
        const A = regs[o.a]!;
        for (let j = 0; j < n; j++) r[j] = A[j]! + o.c;
        break;
      }
      case "linear": {
        r.fill(o.c);
        for (const [reg, c] of o.terms) {
          const A = regs[reg]!;
          for (let j = 0; j < n; j++) r[j] += c * A[j]!;
        }
        break;
      }
      default:
        throw new RangeError(`runProgram op ${i}: unknown op ${JSON.stringify(o)}`);
    }
    regs.push(r);
  });
  const out = regs[p.output];
  if (!out) throw new RangeError(`runProgram: output register ${p.output} is not in 0..${p.ops.length}`);
  return out === x ? Float64Array.from(x) : out;
}

/** Appends ops while tracking register levels (used by the compilers). */
export class ProgramBuilder {
  readonly ops: PolyOp[] = [];
  private readonly levels: number[] = [0];

  level(r: number): number {
    const l = this.levels[r];
    if (l === undefined) throw new RangeError(`ProgramBuilder: register ${r} is undefined`);
    return l;
  }

  emit(o: PolyOp): number {
    const l = this.levelOf(o);
    this.ops.push(o);
    this.levels.push(l);
    return this.ops.length; // register index of the new op
  }

  private levelOf(o: PolyOp): number {
    switch (o.op) {
      case "mul":
        return Math.max(this.level(o.a), this.level(o.b)) + 1;
      case "mulConst":
        return this.level(o.a) + 1;
      case "mulInt":
        return this.level(o.a);
      case "add":
      case "sub":
        return Math.max(this.level(o.a), this.level(o.b));
      case "addConst":
        return this.level(o.a);
      case "linear": {
        let l = 0;
        let allInt = true;
        for (const [r, c] of o.terms) {
          l = Math.max(l, this.level(r));
          if (!isSmallInteger(c)) allInt = false;
        }
        return allInt ? l : l + 1;
      }
    }
  }

  finish(output: number): PolyProgram {
    const ops = this.ops.slice();
    return { version: 1, ops, output, cost: programCost(ops, output) };
  }
}
