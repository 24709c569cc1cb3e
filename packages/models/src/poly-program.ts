// Structural copy of @ola/poly's PolyProgram (INTERFACES.md section 1). @ola/models must not depend on @ola/poly;
// the program is plain JSON, so the same value flows from poly to here unchanged.

// Registers are SSA: register 0 is the input x; op i (0-based) defines register i+1.
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

/** Checks the SSA discipline (every operand defined before use, finite constants); throws naming the op. */
export function validatePolyProgram(p: PolyProgram, where = "program"): void {
  if (!p || p.version !== 1 || !Array.isArray(p.ops)) throw new TypeError(`${where}: not a PolyProgram version 1`);
  const reg = (r: unknown, i: number, field: string) => {
    if (!Number.isInteger(r) || (r as number) < 0 || (r as number) > i) {
      throw new TypeError(`${where}: op ${i} (${p.ops[i]!.op}) operand ${field}=${String(r)} is not a register defined before it (0..${i})`);
    }
  };
  const num = (v: unknown, i: number, field: string) => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`${where}: op ${i} has a non-finite ${field}`);
  };
  p.ops.forEach((o, i) => {
    switch (o.op) {
      case "mul":
      case "add":
      case "sub":
        reg(o.a, i, "a");
        reg(o.b, i, "b");
        break;
      case "mulConst":
      case "addConst":
        reg(o.a, i, "a");
        num(o.c, i, "c");
        break;
      case "mulInt":
        reg(o.a, i, "a");
        if (!Number.isInteger(o.k)) throw new TypeError(`${where}: op ${i} (mulInt) k=${o.k} is not an integer`);
        break;
      case "linear":
        if (!Array.isArray(o.terms) || o.terms.length === 0) throw new TypeError(`${where}: op ${i} (linear) has no terms`);
        o.terms.forEach(([r, c], j) => {
          reg(r, i, `terms[${j}]`);
          num(c, i, `terms[${j}] coefficient`);
        });
        num(o.c, i, "c");
        break;
      default:
        throw new TypeError(`${where}: op ${i} has unknown kind '${(o as { op: string }).op}'`);
    }
  });
  if (!Number.isInteger(p.output) || p.output < 0 || p.output > p.ops.length) {
    throw new TypeError(`${where}: output register ${p.output} is not in 0..${p.ops.length}`);
  }
}
