// A structural copy of @ola/poly's PolyProgram types (INTERFACES.md §1), so that the runtime's public
// types do not depend on the compiler's module. Programs from @ola/poly are assignable to these.
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

/** A coefficient applied by repeated addition (no level), as in @ola/poly. */
export function isSmallInteger(c: number): boolean {
  return Number.isInteger(c) && c >= -4 && c <= 4;
}

/** Depth (levels consumed from the input) of every register, by the rules of INTERFACES.md §1. */
export function registerDepths(p: PolyProgram): Int32Array {
  const d = new Int32Array(p.ops.length + 1);
  p.ops.forEach((o, i) => {
    const at = (r: number): number => {
      if (!Number.isInteger(r) || r < 0 || r > i) throw new RangeError(`PolyProgram op ${i}: register ${r} is not defined before it`);
      return d[r]!;
    };
    switch (o.op) {
      case "mul":
        d[i + 1] = Math.max(at(o.a), at(o.b)) + 1;
        break;
      case "mulConst":
        d[i + 1] = at(o.a) + 1;
        break;
      case "mulInt":
      case "addConst":
        d[i + 1] = at(o.a);
        break;
      case "add":
      case "sub":
        d[i + 1] = Math.max(at(o.a), at(o.b));
        break;
      case "linear": {
        let m = 0;
        for (const [r] of o.terms) m = Math.max(m, at(r));
        d[i + 1] = o.terms.every(([, c]) => isSmallInteger(c)) ? m : m + 1;
        break;
      }
      default:
        throw new RangeError(`PolyProgram op ${i}: unknown op ${JSON.stringify(o)}`);
    }
  });
  return d;
}
