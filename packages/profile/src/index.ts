// @ola/profile — activation statistics over a calibration set, saved as a versioned profile.json.
export { ProfileError } from "./errors.js";
export { StreamingMoments } from "./moments.js";
export { DoublingHistogram } from "./histogram.js";
export { StreamingExtremes } from "./extremes.js";
export { Reservoir } from "./reservoir.js";
export {
  SiteStatsAccumulator,
  DEFAULT_STATS_SETTINGS,
  quantile,
  countBelow,
  countAbove,
  type SiteStats,
  type HistogramData,
  type StatsSettings,
} from "./site-stats.js";
export {
  PROFILE_FORMAT,
  PROFILE_VERSION,
  SUMMARY_QUANTILES,
  serializeProfile,
  parseProfile,
  saveProfile,
  loadProfile,
  type Profile,
  type ProfileSite,
  type CalibrationInfo,
  type LoadProfileOptions,
} from "./profile-file.js";
export { profileModel, DEFAULT_CALIBRATION_DATASET, DEFAULT_CALIBRATION_IMAGES, type ProfileOptions } from "./profiler.js";
