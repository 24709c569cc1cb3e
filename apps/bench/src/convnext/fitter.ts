// The OLA fit used by the reproduction is the optimiser's default fitter (weighted least squares of the
// exact activation under the site's profiled histogram, with a 1e-3 floor weight), so the bench measures
// exactly what `ola optimize` would choose from.
import { defaultFitter, type WlsFitter } from "@ola/optimizer";

export const histogramWlsFitter: WlsFitter = defaultFitter;
