// Cost model: per-level timings of every primitive (a CostTable, INTERFACES.md §4, measured by
// `ola he calibrate`) and an estimator that predicts a PolyProgram's time by replaying the exact operation
// schedule evaluateProgram performs (alignments included) and pricing each primitive at its level.
import { performance } from "node:perf_hooks";
import type { CkksClient } from "./client.js";
import type { Ciphertext } from "./ciphertext.js";
import { zeroCounts, type Evaluator, type OpCounts } from "./evaluator.js";
import { isSmallInteger, registerDepths, type PolyProgram } from "./program.js";

/** Median seconds of one primitive at one level. */
export interface PrimitiveSeconds {
  /** ct x ct multiply + relinearise (no rescale). */
  mulRelin: number;
  /** Additive extension: ct squaring + relinearise (no rescale); priced as mulRelin when absent. */
  square?: number;
  /** Rescale from this level to the next (0 at level 0, where it is impossible). */
  rescale: number;
  /** ct x encoded vector (no rescale). */
  mulPlain: number;
  /** ct x constant, including building the constant plaintext (no rescale). */
  mulConst: number;
  add: number;
  /** One rotation (key already resident). */
  rotate: number;
  /** Additive extension: mod switch from this level one level down. */
  modSwitch?: number;
  /** Additive extension: ct + constant, including building the constant plaintext. */
  addConst?: number;
}

export interface CostTable {
  version: 1;
  preset: string;
  N: number;
  logScale: number;
  levels: { level: number; primes: number; seconds: PrimitiveSeconds }[];
  bootstrapSeconds?: number;
  levelsAfterBootstrap?: number;
  /** Additive extension: how the table was measured. */
  measured?: { repeats: number; clock?: "wall" | "cpu"; date: string; node: string };
}

/** Per-level op counts of a planned evaluation (what the estimator prices). */
export type LevelCounts = Map<number, OpCounts>;

function bump(m: LevelCounts, level: number, k: keyof OpCounts, n = 1): void {
  let c = m.get(level);
  if (!c) m.set(level, (c = zeroCounts()));
  c[k] += n;
}

export interface PlanOptions {
  /** Canonical scales per level; two levels with equal scales align by a plain mod switch. Default: all distinct. */
  canonicalScales?: readonly number[];
}

/**
 * The primitive operations evaluateProgram performs for `program` on a ciphertext at `startLevel`, per
 * level (the level an operation runs at). Mirrors poly-eval.ts and Evaluator alignment exactly; a test
 * checks the totals against a real run's Evaluator counters.
 */
export function planProgram(program: PolyProgram, startLevel: number, opts: PlanOptions = {}): LevelCounts {
  const depths = registerDepths(program);
  const m: LevelCounts = new Map();
  const lv = (r: number): number => startLevel - depths[r]!;
  const sameScale = (l1: number, l2: number): boolean => {
    const s = opts.canonicalScales;
    return !!s && Math.abs(s[l1]! / s[l2]! - 1) < 1e-11;
  };
  // Evaluator.adjust(from level hi to level lo)
  const adjust = (hi: number, lo: number): void => {
    if (hi === lo) return;
    if (sameScale(hi, lo)) {
      bump(m, hi, "modSwitch");
      return;
    }
    bump(m, hi, "scaleAdjust");
    bump(m, hi, "rescale");
    if (hi - 1 > lo) bump(m, hi - 1, "modSwitch");
  };
  const add = (la: number, lb: number): number => {
    const l = Math.min(la, lb);
    adjust(Math.max(la, lb), l);
    bump(m, l, "add");
    return l;
  };
  const mulInt = (l: number, k: number): void => {
    let n = Math.abs(k);
    let first = true;
    while (n > 0) {
      if (n & 1) {
        if (!first) bump(m, l, "add");
        first = false;
      }
      n >>= 1;
      if (n > 0) bump(m, l, "add");
    }
    if (k < 0) bump(m, l, "add");
  };
  program.ops.forEach((o) => {
    switch (o.op) {
      case "mul": {
        const la = lv(o.a);
        const lb = lv(o.b);
        const l = Math.min(la, lb);
        if (o.a !== o.b) adjust(Math.max(la, lb), l);
        bump(m, l, o.a === o.b ? "square" : "mulRelin");
        bump(m, l, "rescale");
        break;
      }
      case "mulConst":
        bump(m, lv(o.a), "mulConst");
        bump(m, lv(o.a), "rescale");
        break;
      case "mulInt":
        mulInt(lv(o.a), o.k);
        break;
      case "add":
      case "sub":
        add(lv(o.a), lv(o.b));
        break;
      case "addConst":
        if (o.c !== 0) bump(m, lv(o.a), "addConst");
        break;
      case "linear": {
        const terms = o.terms.filter(([, c]) => c !== 0);
        if (o.terms.every(([, c]) => isSmallInteger(c))) {
          let acc: number | undefined;
          for (const [r, k] of terms) {
            if (k !== 1) mulInt(lv(r), k);
            acc = acc === undefined ? lv(r) : add(acc, lv(r));
          }
          if (o.c !== 0 && acc !== undefined) bump(m, acc, "addConst");
        } else {
          const l = Math.min(...o.terms.map(([r]) => lv(r)));
          terms.forEach(([r], i) => {
            if (lv(r) > l) bump(m, lv(r), "modSwitch");
            bump(m, l, "mulConst");
            if (i > 0) bump(m, l, "add");
          });
          if (o.c !== 0) bump(m, l, "addConst");
          bump(m, l, "rescale");
        }
        break;
      }
    }
  });
  return m;
}

/** Sum of per-level counts. */
export function totalCounts(m: LevelCounts): OpCounts {
  const t = zeroCounts();
  for (const c of m.values()) for (const k of Object.keys(t) as (keyof OpCounts)[]) t[k] += c[k];
  return t;
}

/** Seconds for the counts at each level, priced with `table`. */
export function priceCounts(m: LevelCounts, table: CostTable): number {
  let s = 0;
  for (const [level, c] of m) {
    const row = table.levels.find((r) => r.level === level);
    if (!row) throw new RangeError(`cost table '${table.preset}' has no entry for level ${level}`);
    const p = row.seconds;
    const modSwitch = p.modSwitch ?? p.add;
    const addConst = p.addConst ?? p.mulConst - p.mulPlain + p.add;
    s +=
      c.mulRelin * p.mulRelin +
      c.square * (p.square ?? p.mulRelin) +
      c.rescale * p.rescale +
      c.mulPlain * p.mulPlain +
      c.mulConst * p.mulConst +
      c.add * p.add +
      c.addConst * addConst +
      c.rotate * p.rotate +
      c.modSwitch * modSwitch +
      c.scaleAdjust * p.mulConst;
  }
  return s;
}

/** Predicted seconds of evaluateProgram(program) on a ciphertext at startLevel. */
export function estimateProgramSeconds(program: PolyProgram, startLevel: number, table: CostTable, opts: PlanOptions = {}): number {
  return priceCounts(planProgram(program, startLevel, opts), table);
}

/** CPU seconds used by this process (user + system). */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface CalibrateOptions {
  /** Timed repeats per primitive and level (median reported). Default 5. */
  repeats?: number;
  /** Rotation step to time (its key must be in the evaluator's KeyStore). Default 1. */
  rotationStep?: number;
  /**
   * "wall" (default): elapsed time. "cpu": this process's CPU time (process.cpuUsage), which on a shared,
   * oversubscribed machine is far more stable; SEAL runs single-threaded, so on an idle machine both agree.
   */
  clock?: "wall" | "cpu";
  /** Only these levels (default: every level of the chain). */
  levels?: readonly number[];
  /** Called after each level with (levels done, total). */
  onProgress?: (done: number, total: number, level: number) => void;
}

/**
 * Measures every primitive at every level (median of `repeats` after one warm-up) into a CostTable.
 * Uses real ciphertexts encrypted by `client` at each level.
 */
export function calibrate(ev: Evaluator, client: CkksClient, opts: CalibrateOptions = {}): CostTable {
  const ctx = ev.ctx;
  const repeats = opts.repeats ?? 5;
  const step = opts.rotationStep ?? 1;
  if (!ev.keyStore.has(step)) throw new Error(`calibrate needs the Galois key for rotation step ${step}`);
  const slots = ctx.slots;
  const xs = new Float64Array(slots);
  for (let i = 0; i < slots; i++) xs[i] = Math.sin(i + 1) * 0.9;
  const now = opts.clock === "cpu" ? cpuSeconds : () => performance.now() / 1000;
  const time = (make: () => { dispose(): void } | void): number => {
    const samples: number[] = [];
    for (let r = 0; r <= repeats; r++) {
      const t0 = now();
      const out = make();
      const dt = now() - t0;
      if (out) out.dispose();
      if (r > 0) samples.push(dt);
    }
    return median(samples);
  };
  const seal = ev.sealEvaluator;
  const rows: CostTable["levels"] = [];
  const todo = [...new Set(opts.levels ?? ctx.levels.map((l) => l.level))].sort((x, y) => y - x);
  for (const l of todo) ctx.levelInfo(l);
  const total = todo.length;
  let done = 0;
  for (const level of todo) {
    // At level 0 a product of two 2^40-scaled operands would not fit q0 ("scale out of bounds"): time the
    // same operations at scale 2^20 there (their cost does not depend on the scale).
    const opScale = level === 0 ? 2 ** 20 : ctx.levelInfo(level).canonicalScale;
    const a = client.encrypt(xs, { level, scale: opScale });
    const b = client.encrypt(xs, { level, scale: opScale });
    const withDst = (f: (d: Ciphertext["handle"]) => void): (() => { dispose(): void }) => () => {
      const d = ctx.seal.CipherText();
      f(d);
      return { dispose: () => d.delete() };
    };
    try {
      const mulRelin = time(
        withDst((d) => {
          seal.multiply(a.handle, b.handle, d);
          seal.relinearize(d, ev.relinKeys, d);
        }),
      );
      const square = time(
        withDst((d) => {
          seal.square(a.handle, d);
          seal.relinearize(d, ev.relinKeys, d);
        }),
      );
      let rescale = 0;
      let mulConstSec = 0;
      let mulPlainSec = 0;
      if (level >= 1) {
        const raw = ev.mulNoRescale(a, b);
        rescale = time(withDst((d) => seal.rescaleToNext(raw.handle, d)));
        raw.dispose();
      }
      const pt = ev.encoder.encode(xs, { level, scale: opScale });
      mulPlainSec = time(withDst((d) => seal.multiplyPlain(a.handle, pt.handle, d)));
      pt.dispose();
      mulConstSec = time(
        withDst((d) => {
          const c = ev.constPlain(0.731, level, opScale);
          seal.multiplyPlain(a.handle, c.handle, d);
          c.dispose();
        }),
      );
      const add = time(withDst((d) => seal.add(a.handle, b.handle, d)));
      const addConst = time(
        withDst((d) => {
          const c = ev.constPlain(0.731, level, a.scale);
          seal.addPlain(a.handle, c.handle, d);
          c.dispose();
        }),
      );
      const gk = ev.keyStore.get(step);
      const rotate = time(withDst((d) => seal.rotateVector(a.handle, step, gk, d)));
      const modSwitch = level >= 1 ? time(withDst((d) => seal.cipherModSwitchToNext(a.handle, d))) : 0;
      rows.push({
        level,
        primes: level + 1,
        seconds: { mulRelin, square, rescale, mulPlain: mulPlainSec, mulConst: mulConstSec, add, rotate, modSwitch, addConst },
      });
    } finally {
      a.dispose();
      b.dispose();
    }
    opts.onProgress?.(++done, total, level);
  }
  rows.sort((x, y) => x.level - y.level);
  return {
    version: 1,
    preset: ctx.params.name,
    N: ctx.N,
    logScale: ctx.params.logScale,
    levels: rows,
    measured: { repeats, clock: opts.clock ?? "wall", date: new Date().toISOString(), node: process.version },
  };
}

/** Validates a parsed costs.json (e.g. from `ola he calibrate --out`). */
export function parseCostTable(json: unknown, source = "cost table"): CostTable {
  const t = json as CostTable;
  if (!t || typeof t !== "object" || t.version !== 1 || !Array.isArray(t.levels)) {
    throw new Error(`${source}: not a version-1 CostTable (expected {version: 1, preset, N, logScale, levels: [...]})`);
  }
  for (const r of t.levels) {
    for (const k of ["mulRelin", "rescale", "mulPlain", "mulConst", "add", "rotate"] as const) {
      if (typeof r.seconds?.[k] !== "number" || !(r.seconds[k] >= 0)) {
        throw new Error(`${source}: level ${r.level}: seconds.${k} must be a non-negative number`);
      }
    }
  }
  return t;
}
