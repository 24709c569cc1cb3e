/**
 * Per-site streaming statistics: exact count/min/max, mean/std (Chan–Welford), a 4096-cell
 * doubling histogram over the whole observed range, the exact k smallest/largest values (tails),
 * and a uniform reservoir sample. Quantiles and tail counts are read from these.
 */
import { DoublingHistogram } from "./histogram.js";
import { StreamingExtremes } from "./extremes.js";
import { StreamingMoments } from "./moments.js";
import { Reservoir } from "./reservoir.js";

export interface StatsSettings {
  /** Histogram cells (even). Default 4096. */
  bins: number;
  /** Reservoir capacity. Default 4096. */
  reservoirSize: number;
  /** Exact extremes kept on each side. Default 64. */
  tailSize: number;
  /** Reservoir seed. Default 0. */
  seed: number;
}

export const DEFAULT_STATS_SETTINGS: Readonly<StatsSettings> = Object.freeze({ bins: 4096, reservoirSize: 4096, tailSize: 64, seed: 0 });

export interface HistogramData {
  /** Cell i (global index) covers [lo + i·width, lo + (i+1)·width); the last stored cell is closed. */
  lo: number;
  width: number;
  /** Total number of cells of the grid. */
  bins: number;
  /** Global index of counts[0] (leading/trailing empty cells are not stored). */
  offset: number;
  counts: Float64Array;
}

export interface SiteStats {
  /** Finite values observed. */
  count: number;
  /** NaN/±Infinity values observed (excluded from everything else). */
  nonFinite: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  histogram: HistogramData;
  /** The `tailSize` smallest values ascending and largest values descending, exact. */
  tails: { smallest: number[]; largest: number[] };
  /** Uniform sample without replacement (Algorithm L, seeded). */
  reservoir: Float32Array;
}

export class SiteStatsAccumulator {
  readonly settings: StatsSettings;
  private readonly moments = new StreamingMoments();
  private readonly hist: DoublingHistogram;
  private readonly extremes: StreamingExtremes;
  private readonly reservoir: Reservoir;
  private min = Infinity;
  private max = -Infinity;
  private nonFinite = 0;
  private scratch = new Float64Array(0);

  constructor(settings: Partial<StatsSettings> = {}) {
    this.settings = { ...DEFAULT_STATS_SETTINGS, ...settings };
    this.hist = new DoublingHistogram(this.settings.bins);
    this.extremes = new StreamingExtremes(this.settings.tailSize);
    this.reservoir = new Reservoir(this.settings.reservoirSize, this.settings.seed);
  }

  /**
   * Adds a chunk. Two fused passes: (1) min, max, sum and a finiteness check (non-finite values are
   * counted and compacted away only if present); (2) per block of 4096 values, histogram cell,
   * squared deviation from the chunk mean (for the Chan update) and tail candidates.
   */
  add(values: ArrayLike<number>): void {
    const n = values.length;
    let lo = Infinity;
    let hi = -Infinity;
    let sum = 0;
    let finite = 0;
    for (let i = 0; i < n; i++) {
      const x = values[i]!;
      if (x - x === 0) {
        finite++;
        sum += x;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
    let v: ArrayLike<number> = values;
    if (finite < n) {
      if (this.scratch.length < finite) this.scratch = new Float64Array(finite);
      let m = 0;
      for (let i = 0; i < n; i++) {
        const x = values[i]!;
        if (x - x === 0) this.scratch[m++] = x;
      }
      v = this.scratch;
      this.nonFinite += n - finite;
    }
    const m = finite;
    if (m === 0) return;
    if (lo < this.min) this.min = lo;
    if (hi > this.max) this.max = hi;
    const h = this.hist;
    h.cover(lo, hi);
    const counts = h.counts;
    const hlo = h.lo;
    const inv = 1 / h.width;
    const top = h.bins - 1;
    const mean = sum / m;
    let m2 = 0;
    const ex = this.extremes;
    for (let s = 0; s < m; s += 4096) {
      const e = Math.min(m, s + 4096);
      const lowT = ex.lowThreshold;
      const highT = ex.highThreshold;
      let lows: number[] | null = null;
      let highs: number[] | null = null;
      for (let i = s; i < e; i++) {
        const x = v[i]!;
        // x ≥ lo (covered), so truncation is the floor; |0 also maps a rounding-negative to 0
        let k = ((x - hlo) * inv) | 0;
        if (k > top) k = top;
        counts[k]!++;
        const d = x - mean;
        m2 += d * d;
        if (x < lowT) (lows ??= []).push(x);
        if (x > highT) (highs ??= []).push(x);
      }
      if (lows !== null || highs !== null) ex.mergeCandidates(lows, highs);
    }
    this.moments.merge(m, mean, m2);
    this.reservoir.addChunk(v, 0, m);
  }

  finish(): SiteStats {
    const h = this.hist;
    let first = 0;
    let last = h.bins - 1;
    while (first < h.bins && h.counts[first] === 0) first++;
    while (last >= 0 && h.counts[last] === 0) last--;
    const counts = first <= last ? h.counts.slice(first, last + 1) : new Float64Array(0);
    return {
      count: this.moments.count,
      nonFinite: this.nonFinite,
      min: this.moments.count ? this.min : NaN,
      max: this.moments.count ? this.max : NaN,
      mean: this.moments.count ? this.moments.mean : NaN,
      std: this.moments.std,
      histogram: { lo: h.lo, width: h.width, bins: h.bins, offset: first <= last ? first : 0, counts },
      tails: { smallest: Array.from(this.extremes.smallest), largest: Array.from(this.extremes.largest) },
      reservoir: this.reservoir.values(),
    };
  }
}

/**
 * The p-quantile, defined as the order statistic x_(k), k = ⌊p·(n−1)⌋ (0-based, ascending).
 * Exact when x_(k) lies among the stored tails (k < tailSize or n−1−k < tailSize) and at p = 0, 1;
 * otherwise interpolated inside the histogram cell that holds x_(k), so the error is below one cell
 * width (`histogram.width`).
 */
export function quantile(stats: SiteStats, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`);
  const n = stats.count;
  if (n === 0) return NaN;
  const k = Math.floor(p * (n - 1));
  if (k === 0) return stats.min;
  if (k === n - 1) return stats.max;
  if (k < stats.tails.smallest.length) return stats.tails.smallest[k]!;
  if (n - 1 - k < stats.tails.largest.length) return stats.tails.largest[n - 1 - k]!;
  const h = stats.histogram;
  let cum = 0;
  for (let j = 0; j < h.counts.length; j++) {
    const c = h.counts[j]!;
    if (k < cum + c) {
      const x = h.lo + h.width * (h.offset + j + (k - cum + 0.5) / c);
      return Math.min(stats.max, Math.max(stats.min, x));
    }
    cum += c;
  }
  return stats.max;
}

/**
 * Number of observed values < x (a lower-tail count). Exact when x is at or beyond the stored tails
 * (x ≤ the tailSize-th smallest value, or x > the tailSize-th largest) or outside [min, max];
 * otherwise the histogram count with the cell holding x split linearly.
 */
export function countBelow(stats: SiteStats, x: number): number {
  const n = stats.count;
  if (n === 0 || x <= stats.min) return 0;
  if (x > stats.max) return n;
  const s = stats.tails.smallest;
  if (s.length > 0 && (x <= s[s.length - 1]! || s.length === n)) {
    let c = 0;
    while (c < s.length && s[c]! < x) c++;
    return c;
  }
  const l = stats.tails.largest;
  if (l.length > 0 && x > l[l.length - 1]!) {
    let c = 0;
    while (c < l.length && l[c]! >= x) c++;
    return n - c;
  }
  const h = stats.histogram;
  const pos = (x - h.lo) / h.width - h.offset;
  let cum = 0;
  for (let j = 0; j < h.counts.length; j++) {
    if (pos < j + 1) return cum + h.counts[j]! * Math.max(0, pos - j);
    cum += h.counts[j]!;
  }
  return cum;
}

/** Number of observed values > x (an upper-tail count); same exactness as `countBelow`. */
export function countAbove(stats: SiteStats, x: number): number {
  const n = stats.count;
  if (n === 0 || x >= stats.max) return 0;
  if (x < stats.min) return n;
  const l = stats.tails.largest;
  if (l.length > 0 && (x >= l[l.length - 1]! || l.length === n)) {
    let c = 0;
    while (c < l.length && l[c]! > x) c++;
    return c;
  }
  const s = stats.tails.smallest;
  if (s.length > 0 && x < s[s.length - 1]!) {
    let c = 0;
    while (c < s.length && s[c]! <= x) c++;
    return n - c;
  }
  const h = stats.histogram;
  const pos = (x - h.lo) / h.width - h.offset;
  let cum = 0;
  for (let j = h.counts.length - 1; j >= 0; j--) {
    if (pos >= j) return cum + h.counts[j]! * Math.max(0, j + 1 - pos);
    cum += h.counts[j]!;
  }
  return cum;
}
