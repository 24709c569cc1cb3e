// The runtime executes @ola/poly's PolyProgram (INTERFACES.md §1) as it is: one description of how a
// polynomial is evaluated, so the levels and multiplications the runtime asserts are @ola/poly's own.
import { isSmallInteger, programLevels, type PolyCost, type PolyOp, type PolyProgram } from "@ola/poly";

export { isSmallInteger, type PolyCost, type PolyOp, type PolyProgram };

/** Depth (levels consumed from the input) of every register, by the rules of INTERFACES.md §1. */
export function registerDepths(p: PolyProgram): Int32Array {
  return programLevels(p.ops);
}
