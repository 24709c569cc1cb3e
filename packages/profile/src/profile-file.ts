/**
 * profile.json: the versioned, documented file format (see README.md § Format).
 * Load refuses a wrong format/version or a stale profile (model sha256 mismatch) with a message
 * that names the file and both hashes. Saving is atomic (temp file + rename).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { decodeArray, encodeCounts, encodeFloat32, type EncodedArray } from "./encoding.js";
import { ProfileError } from "./errors.js";
import { quantile, type SiteStats, type StatsSettings } from "./site-stats.js";

export const PROFILE_FORMAT = "ola-profile";
export const PROFILE_VERSION = 1;

export interface CalibrationInfo {
  /** Dataset name (e.g. "cifar10-train") or path. */
  dataset: string;
  /** Resolved file the images were read from. */
  file: string;
  /** Records in the file. */
  available: number;
  images: number;
  /** How the records were chosen, in words. */
  selection: string;
  /** Seed of the selection (null: the first `images` records). */
  seed: number | null;
  /** sha256 of the selected record indices (Int32 little-endian), to compare calibration sets exactly. */
  indicesSha256: string;
}

export interface ProfileSite {
  id: string;
  kind: string;
  inputTensor: string;
  /** Static input shape, batch dim -1. */
  shape: number[];
  stats: SiteStats;
}

export interface Profile {
  format: typeof PROFILE_FORMAT;
  version: typeof PROFILE_VERSION;
  model: { name: string; sha256: string };
  calibration: CalibrationInfo;
  settings: StatsSettings;
  /** ISO time of creation and the producing tool. */
  createdAt: string;
  tool: string;
  sites: ProfileSite[];
}

/** Quantile levels written (for human readers; derived data, ignored on load). */
export const SUMMARY_QUANTILES = [1e-4, 1e-3, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999, 0.9999];

function statsToJson(s: SiteStats): Record<string, unknown> {
  return {
    count: s.count,
    nonFinite: s.nonFinite,
    min: s.min,
    max: s.max,
    mean: s.mean,
    std: s.std,
    quantiles: Object.fromEntries(SUMMARY_QUANTILES.map((p) => [String(p), quantile(s, p)])),
    histogram: { lo: s.histogram.lo, width: s.histogram.width, bins: s.histogram.bins, offset: s.histogram.offset, counts: encodeCounts(s.histogram.counts) },
    tails: s.tails,
    reservoir: encodeFloat32(s.reservoir),
  };
}

/** JSON text of a profile (numbers as JSON numbers: doubles round-trip exactly). */
export function serializeProfile(p: Profile): string {
  const doc = {
    format: p.format,
    version: p.version,
    model: p.model,
    calibration: p.calibration,
    settings: p.settings,
    createdAt: p.createdAt,
    tool: p.tool,
    sites: p.sites.map((s) => ({ id: s.id, kind: s.kind, inputTensor: s.inputTensor, shape: s.shape, stats: statsToJson(s.stats) })),
  };
  return JSON.stringify(doc, null, 1) + "\n";
}

/** Writes the profile atomically: a temp file in the same directory, then rename. */
export function saveProfile(path: string, p: Profile): void {
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, serializeProfile(p));
  renameSync(tmp, abs);
}

const num = (v: unknown, where: string): number => {
  // JSON has no NaN: an empty site's statistics are written as null.
  if (v === null) return NaN;
  if (typeof v !== "number") throw new ProfileError(`${where} must be a number`);
  return v;
};

function parseStats(raw: unknown, where: string): SiteStats {
  const s = raw as Record<string, unknown> | null;
  if (!s || typeof s !== "object") throw new ProfileError(`${where}: missing stats`);
  const h = s.histogram as Record<string, unknown> | undefined;
  if (!h || typeof h !== "object") throw new ProfileError(`${where}.histogram: missing`);
  const t = s.tails as { smallest?: unknown; largest?: unknown } | undefined;
  if (!t || !Array.isArray(t.smallest) || !Array.isArray(t.largest)) throw new ProfileError(`${where}.tails: expected {smallest: number[], largest: number[]}`);
  const counts = decodeArray(h.counts as EncodedArray, `${where}.histogram.counts`);
  const reservoir = decodeArray(s.reservoir as EncodedArray, `${where}.reservoir`);
  if (!(reservoir instanceof Float32Array)) throw new ProfileError(`${where}.reservoir: expected f32le-base64`);
  const bins = num(h.bins, `${where}.histogram.bins`);
  const offset = num(h.offset, `${where}.histogram.offset`);
  if (offset < 0 || offset + counts.length > bins) throw new ProfileError(`${where}.histogram: offset ${offset} + ${counts.length} counts exceed ${bins} bins`);
  const count = num(s.count, `${where}.count`);
  let held = 0;
  for (const c of counts) held += c;
  if (held !== count) throw new ProfileError(`${where}.histogram holds ${held} values but count is ${count}; the file is corrupt`);
  return {
    count,
    nonFinite: num(s.nonFinite, `${where}.nonFinite`),
    min: num(s.min, `${where}.min`),
    max: num(s.max, `${where}.max`),
    mean: num(s.mean, `${where}.mean`),
    std: num(s.std, `${where}.std`),
    histogram: { lo: num(h.lo, `${where}.histogram.lo`), width: num(h.width, `${where}.histogram.width`), bins, offset, counts: counts as Float64Array },
    tails: { smallest: t.smallest.map((v, i) => num(v, `${where}.tails.smallest[${i}]`)), largest: t.largest.map((v, i) => num(v, `${where}.tails.largest[${i}]`)) },
    reservoir,
  };
}

export interface LoadProfileOptions {
  /** The sha256 of the model the profile must belong to; a different one makes the profile stale. */
  expectedSha256?: string;
}

/** Parses profile JSON text; `file` names the source in every error message. */
export function parseProfile(text: string, file: string, opts: LoadProfileOptions = {}): Profile {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ProfileError(`profile ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || doc.format !== PROFILE_FORMAT) {
    throw new ProfileError(`${file} is not an OLA profile (expected "format": "${PROFILE_FORMAT}", found ${JSON.stringify(doc?.format)})`);
  }
  if (doc.version !== PROFILE_VERSION) {
    throw new ProfileError(`profile ${file} has format version ${JSON.stringify(doc.version)}; this version of @ola/profile reads version ${PROFILE_VERSION}. Re-run \`ola profile\` to regenerate it.`);
  }
  const model = doc.model as { name?: unknown; sha256?: unknown } | undefined;
  if (!model || typeof model.name !== "string" || typeof model.sha256 !== "string") throw new ProfileError(`profile ${file}: "model" must be {name, sha256}`);
  if (opts.expectedSha256 !== undefined && model.sha256 !== opts.expectedSha256) {
    throw new ProfileError(
      `profile ${file} is stale: it was computed for model '${model.name}' with sha256 ${model.sha256}, but the model now has sha256 ${opts.expectedSha256}. Re-run \`ola profile\` for this model.`,
    );
  }
  if (!Array.isArray(doc.sites)) throw new ProfileError(`profile ${file}: "sites" must be an array`);
  const sites: ProfileSite[] = doc.sites.map((raw: Record<string, unknown>, i: number) => {
    const where = `profile ${file}: sites[${i}]`;
    if (!raw || typeof raw.id !== "string" || typeof raw.inputTensor !== "string" || typeof raw.kind !== "string" || !Array.isArray(raw.shape)) {
      throw new ProfileError(`${where} must have string id, kind, inputTensor and a shape array`);
    }
    return { id: raw.id, kind: raw.kind, inputTensor: raw.inputTensor, shape: raw.shape as number[], stats: parseStats(raw.stats, `${where} (${raw.id}).stats`) };
  });
  const seen = new Set<string>();
  for (const s of sites) {
    if (seen.has(s.id)) throw new ProfileError(`profile ${file}: site id ${s.id} appears twice`);
    seen.add(s.id);
  }
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    model: { name: model.name, sha256: model.sha256 },
    calibration: doc.calibration as CalibrationInfo,
    settings: doc.settings as StatsSettings,
    createdAt: String(doc.createdAt ?? ""),
    tool: String(doc.tool ?? ""),
    sites,
  };
}

/** Reads and validates a profile file (see `parseProfile` for what is refused). */
export function loadProfile(path: string, opts: LoadProfileOptions = {}): Profile {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ProfileError(`profile file ${abs} does not exist (create it with \`ola profile --model NAME --out ${path}\`)`);
  return parseProfile(readFileSync(abs, "utf8"), abs, opts);
}
