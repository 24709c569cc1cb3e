// From plan sites to PolyPrograms (the one description of how a polynomial is evaluated,
// INTERFACES §1), compiled by @ola/poly. The plan stores the mathematical polynomial; the program
// (and so the depth and multiplication counts) is always recompiled from it, never trusted as data.
import { ChebyshevPoly, compileChebyshev, compileCompositeRelu, type PolyProgram } from "@ola/poly";
import { isChebyshevSite, type Plan, type PlanSite } from "./plan.js";

/** The program of a Chebyshev series; odd series are compiled with the odd-only evaluation. */
export function chebyshevProgram(series: ChebyshevPoly): PolyProgram {
  return compileChebyshev(series, { odd: series.parity() === "odd" });
}

/** The composite ReLU x(1 + p(x/B))/2 with p = components (power basis, c0 first) composed. */
export function compositeReluProgram(components: number[][], B: number): PolyProgram {
  const comps = components.map((c) => ChebyshevPoly.fromPowerBasis(c, -1, 1));
  return compileCompositeRelu(comps, B);
}

export function planSiteProgram(site: PlanSite): PolyProgram {
  if (isChebyshevSite(site)) {
    return chebyshevProgram(new ChebyshevPoly(site.coefficients, site.interval[0], site.interval[1]));
  }
  return compositeReluProgram(site.composite.components, site.composite.B);
}

/** The interval on which a site's polynomial is meant to be used ([-B, B] for a composite). */
export function planSiteInterval(site: PlanSite): [number, number] {
  return isChebyshevSite(site) ? site.interval : [-site.composite.B, site.composite.B];
}

/**
 * Programs for every site of a plan, checking that the recorded depth matches the compiled program
 * (a mismatch means the plan was edited by hand or written by an incompatible compiler).
 */
export function planPrograms(plan: Plan): { siteId: string; program: PolyProgram }[] {
  return plan.sites.map((s, i) => {
    const program = planSiteProgram(s);
    if (program.cost.depth !== s.depth) {
      throw new Error(
        `plan site sites[${i}] (${s.id}): recorded depth ${s.depth} but its polynomial compiles to depth ${program.cost.depth}`,
      );
    }
    return { siteId: s.id, program };
  });
}
