// The OLA fit used by the reproduction: @ola/poly's weighted least squares of the exact activation
// (ReLU, or GELU with erf) under the site's profiled histogram (each bin integrated), plus a small
// floor weight — a uniform measure on the interval carrying 1e-3 of the mass — so the polynomial
// stays controlled where calibration saw little. Same settings as @ola/optimizer's default fitter.
import type { WlsFitter } from "@ola/optimizer";
import { wlsFit, type FitDistribution } from "@ola/poly";

export const FLOOR_WEIGHT = 1e-3;

export const histogramWlsFitter: WlsFitter = (kind, dist, degree, interval) => {
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
  const fit = wlsFit({ target: kind, degree, interval, distribution, floorWeight: FLOOR_WEIGHT });
  return { series: fit.poly, weightedRmse: fit.weightedRmse, maxError: fit.maxError };
};
