// The default implementations of the pipeline's pluggable steps, composed from the other packages:
// profiling with @ola/profile's streaming statistics over @ola/models' onnxruntime execution, the
// WLS fit and the composite sign construction of @ola/poly.
import type { ActivationSite, LoadedModel } from "@ola/models";
import { loadProfile, profileModel, type Profile, type SiteStats } from "@ola/profile";
import type { SiteDistribution } from "./candidates.js";

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
