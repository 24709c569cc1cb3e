// CostTable (INTERFACES §4): per level, median seconds per CKKS primitive. A measured table comes
// from `ola he calibrate` (@ola/ckks-runtime); until then the optimiser uses the analytic default
// below, derived from the node-seal 6.0.3 timings in TOOLCHAIN.md §2.3 (N = 2^15).
import { readFileSync } from "node:fs";

export interface OpSeconds {
  mulRelin: number;
  rescale: number;
  mulPlain: number;
  mulConst: number;
  add: number;
  rotate: number;
}

export interface CostTable {
  version: 1;
  preset: string;
  N: number;
  logScale: number;
  levels: { level: number; primes: number; seconds: OpSeconds }[];
  /** Whole bootstrap, measured. */
  bootstrapSeconds?: number;
  /** Levels available to the network after a bootstrap. */
  levelsAfterBootstrap?: number;
}

const OPS: (keyof OpSeconds)[] = ["mulRelin", "rescale", "mulPlain", "mulConst", "add", "rotate"];

/**
 * Measured node-seal 6.0.3 op times (ms, Node 20, one thread, scale 2^40) at N = 2^15 with the
 * 60+40*19+60 modulus, from TOOLCHAIN.md §2.3: "top" = 20 primes, "low" = 2 primes. mulConst was
 * not measured there; ct x pt (mulPlain) is used for it (SEAL multiplies by an encoded constant).
 */
const MEASURED_N15 = {
  low: { primes: 2, ms: { mulRelin: 11.0, rescale: 2.8, mulPlain: 0.95, mulConst: 0.95, add: 0.08, rotate: 10.4 } },
  top: { primes: 20, ms: { mulRelin: 339, rescale: 26.9, mulPlain: 9.4, mulConst: 9.4, add: 1.14, rotate: 319 } },
};

/**
 * The analytic default table for N = 2^15, 20 data primes (levels 0..19). Between the two measured
 * points each primitive is interpolated as a power law in the number of primes,
 * t(p) = t_low * (p / p_low)^e with e = log(t_top / t_low) / log(p_top / p_low): key switching
 * (mulRelin, rotate) grows faster than linearly in the number of primes, additions linearly, and a
 * power law through two measurements captures both without pretending to know more.
 */
export function analyticCostTable(): CostTable {
  const { low, top } = MEASURED_N15;
  const levels: CostTable["levels"] = [];
  for (let primes = 1; primes <= top.primes; primes++) {
    const seconds = {} as OpSeconds;
    for (const op of OPS) {
      const e = Math.log(top.ms[op] / low.ms[op]) / Math.log(top.primes / low.primes);
      seconds[op] = (low.ms[op] * Math.pow(primes / low.primes, e)) / 1000;
    }
    levels.push({ level: primes - 1, primes, seconds });
  }
  return { version: 1, preset: "analytic-n15", N: 1 << 15, logScale: 40, levels };
}

export class CostTableError extends Error {
  constructor(source: string, path: string, detail: string) {
    super(`invalid cost table ${source}: ${path}: ${detail}`);
    this.name = "CostTableError";
  }
}

/** Validate a parsed costs.json. */
export function validateCostTable(v: unknown, source = "<costs>"): CostTable {
  const fail = (path: string, d: string): never => {
    throw new CostTableError(source, path, d);
  };
  const pos = (x: unknown, path: string): number => {
    if (typeof x !== "number" || !Number.isFinite(x) || x < 0) fail(path, `expected a non-negative number, got ${JSON.stringify(x)}`);
    return x as number;
  };
  if (typeof v !== "object" || v === null) fail("$", "expected an object");
  const o = v as Record<string, unknown>;
  if (o.version !== 1) fail("version", `expected 1, got ${JSON.stringify(o.version)}`);
  if (typeof o.preset !== "string") fail("preset", "expected a string");
  pos(o.N, "N");
  pos(o.logScale, "logScale");
  if (!Array.isArray(o.levels) || o.levels.length === 0) fail("levels", "expected a non-empty array");
  const levels = (o.levels as unknown[]).map((l, i) => {
    if (typeof l !== "object" || l === null) fail(`levels[${i}]`, "expected an object");
    const lo = l as Record<string, unknown>;
    const s = lo.seconds as Record<string, unknown> | undefined;
    if (typeof s !== "object" || s === null) fail(`levels[${i}].seconds`, "expected an object");
    const seconds = {} as OpSeconds;
    for (const op of OPS) seconds[op] = pos(s![op], `levels[${i}].seconds.${op}`);
    const primes = pos(lo.primes, `levels[${i}].primes`);
    if (!Number.isInteger(primes) || primes < 1) fail(`levels[${i}].primes`, `expected an integer >= 1, got ${primes}`);
    return { level: pos(lo.level, `levels[${i}].level`), primes, seconds };
  });
  const t: CostTable = { version: 1, preset: o.preset as string, N: o.N as number, logScale: o.logScale as number, levels };
  if (o.bootstrapSeconds !== undefined) t.bootstrapSeconds = pos(o.bootstrapSeconds, "bootstrapSeconds");
  if (o.levelsAfterBootstrap !== undefined) {
    const l = pos(o.levelsAfterBootstrap, "levelsAfterBootstrap");
    if (!Number.isInteger(l) || l < 1) fail("levelsAfterBootstrap", `expected an integer >= 1, got ${l}`);
    t.levelsAfterBootstrap = l;
  }
  return t;
}

export function readCostTable(path: string): CostTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read cost table ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CostTableError(path, "$", `not valid JSON (${(e as Error).message})`);
  }
  return validateCostTable(v, path);
}
