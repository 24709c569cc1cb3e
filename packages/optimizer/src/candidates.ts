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

/**
 * The default fit-interval margins (fraction of the profiled range added on each side). The margin
 * is a dimension of the candidate set, not a constant: a wide interval protects a high-degree fit
 * against test inputs just outside the profiled range (a ReLU fit of degree d grows like x^d out
 * there), but spends the polynomial's few degrees of freedom on inputs that barely occur (a cubic
 * GELU fit on a range 2x too wide loses most of its accuracy where the data is). Which margin is
 * right depends on the site, the degree and the activation, so each degree is fitted at every
 * margin and the measured impact picks; the plaintext validation then guards the test drop.
 */
export const DEFAULT_MARGINS: readonly number[] = [0, 0.1, 0.5];

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
  /** Chebyshev fits: the fit-interval margin the candidate was fitted with. */
  margin?: number;
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

/**
 * Chebyshev candidates of a site: one per (degree, margin), degree-major in the order given (so
 * cost-ordered for ascending degrees), margins in the order given. With a single margin the labels
 * are "deg d"; with several, "deg d m<margin>". Margins giving the same interval are fitted once.
 */
export function fitCandidates(
  kind: "relu" | "gelu",
  dist: SiteDistribution,
  degrees: readonly number[],
  margins: number | readonly number[],
  fitter: WlsFitter,
): Candidate[] {
  const ms = typeof margins === "number" ? [margins] : [...margins];
  if (ms.length === 0) throw new Error("fitCandidates: no fit-interval margin given");
  for (const m of ms) if (!(Number.isFinite(m) && m >= 0)) throw new Error(`fitCandidates: margin ${m} must be a finite number >= 0`);
  const intervals: { margin: number; interval: [number, number] }[] = [];
  for (const m of ms) {
    const iv = fitInterval(dist, m);
    if (!intervals.some((x) => x.interval[0] === iv[0] && x.interval[1] === iv[1])) intervals.push({ margin: m, interval: iv });
  }
  const out: Candidate[] = [];
  for (const d of degrees) {
    for (const { margin, interval } of intervals) {
      const fit = fitter(kind, dist, d, interval);
      let c: Candidate;
      if (fit.series.degree !== d) {
        // A fitter may trim trailing zero coefficients; keep the requested degree so that the plan
        // and the cost agree with what was asked for.
        const co = new Float64Array(d + 1);
        co.set(fit.series.coeffs.subarray(0, Math.min(d + 1, fit.series.coeffs.length)));
        c = chebyshevCandidate(new ChebyshevPoly(co, fit.series.a, fit.series.b), fit);
      } else {
        c = chebyshevCandidate(fit.series, fit);
      }
      c.margin = margin;
      if (ms.length > 1) c.label = `deg ${d} m${margin}`;
      out.push(c);
    }
  }
  return out;
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
