import { describe, expect, it } from "vitest";
import { DoublingHistogram, Reservoir, SiteStatsAccumulator, countAbove, countBelow, quantile } from "../src/index.js";

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Chunks whose range drifts outward on both sides, so the histogram must double both ways. */
function driftingChunks(seed: number, nChunks: number, size: number): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: nChunks }, (_, c) => {
    const a = new Float32Array(size);
    const scale = 1 + c * 0.7;
    for (let i = 0; i < size; i++) a[i] = (gauss(r) * scale + (c % 2 ? 0.5 * c : -0.3 * c)) * (r() < 0.01 ? 4 : 1);
    return a;
  });
}

function flat(chunks: Float32Array[]): Float64Array {
  const n = chunks.reduce((s, c) => s + c.length, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

describe("SiteStatsAccumulator", () => {
  const chunks = driftingChunks(7, 12, 5000);
  const all = flat(chunks);
  const sorted = all.slice().sort();
  const acc = new SiteStatsAccumulator({ bins: 1024, tailSize: 32, reservoirSize: 500, seed: 3 });
  for (const c of chunks) acc.add(c);
  const st = acc.finish();

  it("has exact count, min, max and accurate mean/std (vs a two-pass float64 reference)", () => {
    expect(st.count).toBe(all.length);
    expect(st.min).toBe(sorted[0]);
    expect(st.max).toBe(sorted[sorted.length - 1]);
    let s = 0;
    for (const x of all) s += x;
    const mean = s / all.length;
    let m2 = 0;
    for (const x of all) m2 += (x - mean) ** 2;
    expect(Math.abs(st.mean - mean)).toBeLessThan(1e-12 * Math.max(1, Math.abs(mean)) * 100);
    expect(st.std).toBeCloseTo(Math.sqrt(m2 / all.length), 10);
  });

  it("histogram counts equal a brute-force recount on its final grid, and the range doubled both ways", () => {
    const h = st.histogram;
    const ref = new Float64Array(h.bins);
    for (const x of all) ref[Math.min(h.bins - 1, Math.max(0, Math.floor((x - h.lo) / h.width)))]!++;
    const stored = new Float64Array(h.bins);
    stored.set(h.counts, h.offset);
    // Float rounding at cell edges could move a value by one cell; demand exact equality of totals
    // and at most a handful of boundary moves.
    let moved = 0;
    for (let i = 0; i < h.bins; i++) moved += Math.abs(stored[i]! - ref[i]!);
    expect(stored.reduce((a, b) => a + b, 0)).toBe(all.length);
    expect(moved).toBeLessThanOrEqual(4);
    // The first chunk alone spanned much less than the final range.
    const first = chunks[0]!;
    const span0 = Math.max(...first) - Math.min(...first);
    expect(h.width * h.bins).toBeGreaterThan(2 * span0);
    expect(h.lo).toBeLessThanOrEqual(st.min);
    expect(h.lo + h.width * h.bins).toBeGreaterThanOrEqual(st.max);
  });

  it("quantiles agree with exact sorted order statistics (within one cell; exact in the tails)", () => {
    const n = all.length;
    for (const p of [0, 1e-5, 1e-4, 0.0005, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1]) {
      const k = Math.floor(p * (n - 1));
      const exact = sorted[k]!;
      const est = quantile(st, p);
      if (k < 32 || n - 1 - k < 32) expect(est).toBe(exact);
      else expect(Math.abs(est - exact)).toBeLessThanOrEqual(st.histogram.width);
    }
  });

  it("tails are the exact extremes; tail counts are exact beyond them and within one cell elsewhere", () => {
    expect(st.tails.smallest).toEqual(Array.from(sorted.slice(0, 32)));
    expect(st.tails.largest).toEqual(Array.from(sorted.slice(-32)).reverse());
    const below = (x: number) => all.reduce((c, v) => c + (v < x ? 1 : 0), 0);
    const above = (x: number) => all.reduce((c, v) => c + (v > x ? 1 : 0), 0);
    for (const x of [st.min - 1, sorted[3]!, sorted[20]!, sorted[30]!, sorted[sorted.length - 10]!, sorted[sorted.length - 31]!, st.max + 1]) {
      expect(countBelow(st, x)).toBe(below(x));
      expect(countAbove(st, x)).toBe(above(x));
    }
    const h = st.histogram;
    for (const q of [0.01, 0.2, 0.5, 0.8, 0.99]) {
      const x = sorted[Math.floor(q * sorted.length)]! + 1e-4;
      const cell = Math.floor((x - h.lo) / h.width) - h.offset;
      const cellCount = h.counts[cell] ?? 0;
      expect(Math.abs(countBelow(st, x) - below(x))).toBeLessThanOrEqual(cellCount + 2);
      expect(Math.abs(countAbove(st, x) - above(x))).toBeLessThanOrEqual(cellCount + 2);
    }
  });

  it("does not depend on how the stream is cut into chunks, and counts non-finite values apart", () => {
    const a2 = new SiteStatsAccumulator({ bins: 1024, tailSize: 32, reservoirSize: 500, seed: 3 });
    const big = Float32Array.from(all);
    // same first chunk (it fixes the initial grid), then different cuts
    a2.add(big.subarray(0, 5000));
    for (let o = 5000; o < big.length; o += 7777) a2.add(big.subarray(o, Math.min(big.length, o + 7777)));
    const s2 = a2.finish();
    expect(s2.count).toBe(st.count);
    expect(Array.from(s2.histogram.counts)).toEqual(Array.from(st.histogram.counts));
    expect(Array.from(s2.reservoir)).toEqual(Array.from(st.reservoir));
    expect(s2.mean).toBeCloseTo(st.mean, 12);
    const a3 = new SiteStatsAccumulator();
    a3.add(new Float32Array([1, NaN, 2, Infinity, 3, -Infinity]));
    const s3 = a3.finish();
    expect([s3.count, s3.nonFinite, s3.min, s3.max, s3.mean]).toEqual([3, 3, 1, 3, 2]);
  });

  it("handles a constant stream and an empty one", () => {
    const a = new SiteStatsAccumulator({ bins: 64 });
    a.add(new Float32Array(100).fill(0.25));
    const s = a.finish();
    expect([s.min, s.max, s.mean, s.std, quantile(s, 0.5)]).toEqual([0.25, 0.25, 0.25, 0, 0.25]);
    const e = new SiteStatsAccumulator().finish();
    expect(e.count).toBe(0);
    expect(Number.isNaN(quantile(e, 0.5))).toBe(true);
  });
});

describe("DoublingHistogram", () => {
  it("preserves counts exactly through doublings in both directions", () => {
    const h = new DoublingHistogram(8);
    h.cover(0, 8); // width 1, cells [0,1) … [7,8]
    h.addCovered([0.5, 1.5, 2.5, 7.9]);
    h.cover(-1, 8); // grows down: lo = -8, width 2
    expect([h.lo, h.width]).toEqual([-8, 2]);
    expect(Array.from(h.counts)).toEqual([0, 0, 0, 0, 2, 1, 0, 1]);
    h.cover(-1, 30); // grows up: width 4, covers [-8, 24], then width 8: [-8, 56]
    expect([h.lo, h.width]).toEqual([-8, 8]);
    expect(Array.from(h.counts)).toEqual([0, 4, 0, 0, 0, 0, 0, 0]); // cells [-8,0), [0,8), …
  });
});

describe("Reservoir (Algorithm L)", () => {
  it("is deterministic, independent of chunking, and a subset of the stream", () => {
    const stream = Float32Array.from({ length: 10000 }, (_, i) => i);
    const a = new Reservoir(100, 42);
    a.addChunk(stream);
    const b = new Reservoir(100, 42);
    for (let o = 0; o < stream.length; o += 333) b.addChunk(stream.subarray(o, o + 333));
    expect(Array.from(b.values())).toEqual(Array.from(a.values()));
    expect(new Set(a.values()).size).toBe(100);
    const c = new Reservoir(100, 43);
    c.addChunk(stream);
    expect(Array.from(c.values())).not.toEqual(Array.from(a.values()));
    const short = new Reservoir(100, 1);
    short.addChunk(stream.subarray(0, 30));
    expect(Array.from(short.values())).toEqual(Array.from(stream.subarray(0, 30)));
  });

  it("samples uniformly: inclusion frequencies over many seeds match k/n (chi-square)", () => {
    const n = 200, k = 20, trials = 4000;
    const hits = new Float64Array(n);
    const stream = Float32Array.from({ length: n }, (_, i) => i);
    for (let s = 0; s < trials; s++) {
      const r = new Reservoir(k, s + 1000);
      r.addChunk(stream.subarray(0, 50));
      r.addChunk(stream.subarray(50));
      for (const v of r.values()) hits[v]!++;
    }
    const expected = (trials * k) / n;
    let chi2 = 0;
    for (const h of hits) chi2 += (h - expected) ** 2 / expected;
    // 199 degrees of freedom: mean 199, sd ≈ 20; 300 is beyond the 99.99th percentile.
    expect(chi2).toBeLessThan(300);
    // the first and last deciles are sampled equally often (no positional bias)
    const firstDecile = hits.slice(0, 20).reduce((a, b) => a + b, 0);
    const lastDecile = hits.slice(180).reduce((a, b) => a + b, 0);
    expect(Math.abs(firstDecile - lastDecile) / expected / 20).toBeLessThan(0.1);
  });
});
