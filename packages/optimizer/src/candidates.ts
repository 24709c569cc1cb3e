// Candidates: for each activation site, the polynomials the optimiser may choose from.
// - Chebyshev fits of each degree in the candidate set, by weighted least squares under the site's
//   profiled input distribution (@ola/poly), on the profiled range widened by a safety margin;
// - for ReLU sites, the uniform composite family x(1 + p_alpha(x/B))/2, alpha in 4..14 (Lee et al.),
//   so that the paper's uniform baseline is one point of the same search space.
import { ChebyshevPoly, chebyshevEvalCost, type PolyCost, type PolyProgram } from "@ola/poly";
import { chebyshevProgram, compositeReluProgram } from "./plan-programs.js";
import type { PlanSite } from "./plan.js";

/**
 * The default degrees: depth-efficient degrees in 2..31 (2^k - 1, the largest of each depth, plus a
 * cheaper one inside each depth class) and 47, 63 for sites that need more. Under bootstrapping the
 * depth dominates the cost, so intermediate degrees add measurement time but rarely a better plan;
 * any list can be given instead (--degrees 2..31).
 */
export const DEFAULT_DEGREES: readonly number[] = [2, 3, 5, 7, 11, 15, 23, 31, 47, 63];
export const DEFAULT_ALPHAS: readonly number[] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

/** A site's input distribution as the optimiser uses it (from @ola/profile). */
export interface SiteDistribution {
  min: number;
  max: number;
  /** Equal-width histogram over [lo, hi]; weights for the WLS fit. */
  histogram?: { lo: number; hi: number; counts: ArrayLike<number> };
  /** Raw samples (a reservoir); used when no histogram is given. */
  samples?: ArrayLike<number>;
}

export interface FitResult {
  series: ChebyshevPoly;
  weightedRmse?: number;
  maxError?: number;
}

/** A weighted least-squares fitter (provided by @ola/poly; injected to keep this file small). */
export type WlsFitter = (
  kind: "relu" | "gelu",
  dist: SiteDistribution,
  degree: number,
  interval: [number, number],
) => FitResult;

export type CandidateSpec =
  | { family: "chebyshev"; degree: number; interval: [number, number]; coefficients: number[] }
  | { family: "composite"; alpha: number; B: number; components: number[][] };

export interface Candidate {
  /** "deg 7", "alpha 13". */
  label: string;
  spec: CandidateSpec;
  program: PolyProgram;
  cost: PolyCost;
  fit?: { weightedRmse?: number; maxError?: number };
}

/** The fit interval: the profiled range widened by `margin` times its width on each side. */
export function fitInterval(dist: SiteDistribution, margin: number): [number, number] {
  if (!(Number.isFinite(dist.min) && Number.isFinite(dist.max))) {
    throw new Error(`site distribution has a non-finite range [${dist.min}, ${dist.max}]`);
  }
  const w = Math.max(dist.max - dist.min, 1e-6);
  return [dist.min - margin * w, dist.max + margin * w];
}

/**
 * Keep, among degrees with the same evaluation cost class (depth, non-scalar multiplications), only
 * the highest: a lower degree of the same class is never cheaper where it matters (levels and
 * key-switching products) and fits no better. Returns the kept degrees ascending.
 */
export function costEfficientDegrees(degrees: readonly number[]): number[] {
  const best = new Map<string, number>();
  for (const d of degrees) {
    const c = chebyshevEvalCost(d);
    const key = `${c.depth}/${c.nonScalarMultiplications}`;
    best.set(key, Math.max(best.get(key) ?? -1, d));
  }
  return [...best.values()].sort((a, b) => a - b);
}

export function chebyshevCandidate(series: ChebyshevPoly, fit?: FitResult): Candidate {
  const program = chebyshevProgram(series);
  const c: Candidate = {
    label: `deg ${series.degree}`,
    spec: { family: "chebyshev", degree: series.degree, interval: [series.a, series.b], coefficients: Array.from(series.coeffs) },
    program,
    cost: program.cost,
  };
  if (fit) {
    c.fit = {};
    if (fit.weightedRmse !== undefined) c.fit.weightedRmse = fit.weightedRmse;
    if (fit.maxError !== undefined) c.fit.maxError = fit.maxError;
  }
  return c;
}

export function compositeCandidate(alpha: number, B: number, components: number[][]): Candidate {
  const program = compositeReluProgram(components, B);
  return { label: `alpha ${alpha}`, spec: { family: "composite", alpha, B, components }, program, cost: program.cost };
}

/** Chebyshev candidates of a site, one per degree, ordered by cost. */
export function fitCandidates(
  kind: "relu" | "gelu",
  dist: SiteDistribution,
  degrees: readonly number[],
  margin: number,
  fitter: WlsFitter,
): Candidate[] {
  const interval = fitInterval(dist, margin);
  return degrees.map((d) => {
    const fit = fitter(kind, dist, d, interval);
    if (fit.series.degree !== d) {
      // A fitter may trim trailing zero coefficients; keep the requested degree so that the plan and
      // the cost agree with what was asked for.
      const c = new Float64Array(d + 1);
      c.set(fit.series.coeffs.subarray(0, Math.min(d + 1, fit.series.coeffs.length)));
      return chebyshevCandidate(new ChebyshevPoly(c, fit.series.a, fit.series.b), fit);
    }
    return chebyshevCandidate(fit.series, fit);
  });
}

/** The plan entry for a site and a chosen candidate. */
export function planSiteFor(
  site: { id: string; kind: "relu" | "gelu" },
  cand: Candidate,
  extra: { impact?: number; seconds?: number } = {},
): PlanSite {
  const common = { id: site.id, kind: site.kind, depth: cand.cost.depth, cost: { ...cand.cost }, ...extra };
  if (cand.spec.family === "chebyshev") {
    return {
      ...common,
      interval: cand.spec.interval,
      basis: "chebyshev",
      coefficients: cand.spec.coefficients,
      degree: cand.spec.degree,
    };
  }
  return { ...common, composite: { alpha: cand.spec.alpha, B: cand.spec.B, components: cand.spec.components } };
}
