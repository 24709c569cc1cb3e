// The uniform baseline the paper compares OLA against: one polynomial of a given degree for every
// site, fitted on a fixed symmetric range [-R, R] without looking at any site's distribution.
// Two classical fits: least squares with uniform weight on [-R, R] (the continuous L2 fit,
// discretised on a fine equispaced grid) and minimax (Remez exchange, @ola/poly).
import { ChebyshevPoly, remez } from "@ola/poly";
import type { SiteDistribution, WlsFitter } from "@ola/optimizer";

/** The smallest integer R >= 1 with every profiled range inside [-R, R]. */
export function coveringRange(ranges: readonly { min: number; max: number }[]): number {
  if (ranges.length === 0) throw new Error("coveringRange: no site ranges given");
  let m = 0;
  for (const r of ranges) {
    if (!(Number.isFinite(r.min) && Number.isFinite(r.max))) throw new Error(`coveringRange: non-finite site range [${r.min}, ${r.max}]`);
    m = Math.max(m, Math.abs(r.min), Math.abs(r.max));
  }
  return Math.max(1, Math.ceil(m));
}

/**
 * The flat "distribution" on [-R, R]: equal weight in every cell, so a weighted least-squares fitter
 * computes the unweighted L2 fit on the range (the distribution is deliberately ignored).
 */
export function flatDistribution(R: number, cells = 4096): SiteDistribution {
  if (!(R > 0)) throw new Error(`flatDistribution: R must be positive, got ${R}`);
  return { min: -R, max: R, histogram: { lo: -R, hi: R, counts: new Float64Array(cells).fill(1) } };
}

/** Least squares of `kind` on [-R, R] with uniform weight, by the same fitter OLA uses. */
export function uniformLeastSquares(fitter: WlsFitter, kind: "relu" | "gelu", degree: number, R: number): ChebyshevPoly {
  return fitter(kind, flatDistribution(R), degree, [-R, R]).series;
}

/** Minimax (best uniform) approximation of f on [-R, R]. */
export function uniformMinimax(f: (x: number) => number, degree: number, R: number): { poly: ChebyshevPoly; maxError: number; converged: boolean } {
  const r = remez({ f, degree, intervals: [[-R, R]] });
  return { poly: r.poly, maxError: r.certificate.maxError, converged: r.converged };
}
