// The default implementations of the pipeline's pluggable steps, composed from the other packages:
// profiling with @ola/profile's streaming statistics over @ola/models' onnxruntime execution, the
// WLS fit and the composite sign construction of @ola/poly.
import type { ActivationSite, LoadedModel } from "@ola/models";
import { loadProfile, profileModel, type Profile, type SiteStats } from "@ola/profile";
import { compositeSign, wlsFit, type FitDistribution } from "@ola/poly";
import type { FitResult, SiteDistribution } from "./candidates.js";

/** A profile entry as the optimiser uses it: range and histogram weights. */
export function distributionFromStats(s: SiteStats): SiteDistribution {
  const h = s.histogram;
  const lo = h.lo + h.offset * h.width;
  return {
    min: s.min,
    max: s.max,
    histogram: { lo, hi: lo + h.counts.length * h.width, counts: h.counts },
    samples: s.reservoir,
  };
}

export interface ProfilerOptions {
  /** Calibration dataset (default @ola/profile's: the JPEG-decoded training subset, disjoint from the test files). */
  dataset?: string;
  threads?: number;
  /** Use this saved profile.json instead of profiling (refused if it is for other model bytes). */
  profilePath?: string;
  onProgress?: (stage: string, done: number, total: number, label?: string) => void;
}

/** Distributions per site id from an @ola/profile Profile. */
export function distributionsFromProfile(profile: Profile, sites: ActivationSite[]): Map<string, SiteDistribution> {
  const byId = new Map(profile.sites.map((s) => [s.id, s]));
  const out = new Map<string, SiteDistribution>();
  for (const s of sites) {
    const p = byId.get(s.id);
    if (!p) throw new Error(`the profile has no entry for site ${s.id}`);
    if (p.stats.count === 0) throw new Error(`profile: site ${s.id} saw no finite input values`);
    out.set(s.id, distributionFromStats(p.stats));
  }
  return out;
}

/** Profiles every site's input over `calib` calibration images with @ola/profile (or loads a saved profile). */
export function defaultProfiler(opts: ProfilerOptions = {}) {
  return async (model: LoadedModel, sites: ActivationSite[], calib: number): Promise<Map<string, SiteDistribution>> => {
    const profile = opts.profilePath
      ? loadProfile(opts.profilePath, { expectedSha256: model.sha256 })
      : await profileModel(model, {
          images: calib,
          threads: opts.threads ?? 2,
          sites,
          ...(opts.dataset ? { dataset: opts.dataset } : {}),
          onProgress: (d, t) => opts.onProgress?.("profile", d, t),
        });
    return distributionsFromProfile(profile, sites);
  };
}

/**
 * The default fitter: @ola/poly's weighted least squares of the exact activation (ReLU, or GELU with
 * erf) under the site's histogram, each bin integrated, plus a small floor weight (a uniform measure
 * on the interval, 1e-3 of the mass) so the polynomial stays controlled where calibration saw little.
 */
export function defaultFitter(kind: "relu" | "gelu", dist: SiteDistribution, degree: number, interval: [number, number]): FitResult {
  let distribution: FitDistribution;
  if (dist.histogram && dist.histogram.counts.length > 0) {
    const h = dist.histogram;
    const n = h.counts.length;
    const edges = Float64Array.from({ length: n + 1 }, (_, i) => h.lo + ((h.hi - h.lo) * i) / n);
    distribution = { kind: "histogram", edges, counts: h.counts };
  } else if (dist.samples && dist.samples.length > 0) {
    distribution = { kind: "samples", values: dist.samples };
  } else {
    throw new Error("site distribution has neither a histogram nor samples");
  }
  const fit = wlsFit({ target: kind, degree, interval, distribution, floorWeight: 1e-3 });
  return { series: fit.poly, weightedRmse: fit.weightedRmse, maxError: fit.maxError };
}

const compositeCache = new Map<number, number[][]>();

/** Components (power basis, c0 first) of @ola/poly's composite sign of precision alpha (cached). */
export function defaultComposite(alpha: number): number[][] {
  let c = compositeCache.get(alpha);
  if (!c) {
    c = compositeSign(alpha).components.map((p) => Array.from(p.toPowerBasis()));
    compositeCache.set(alpha, c);
  }
  return c;
}
