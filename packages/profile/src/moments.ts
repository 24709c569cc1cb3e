/**
 * Streaming count/mean/variance. Each chunk is summarised exactly in two passes (mean, then the sum
 * of squared deviations) and merged into the running totals with the pairwise update of Chan,
 * Golub & LeVeque ("Updating formulae and a pairwise algorithm for computing sample variances",
 * 1979, eq. 2.1) — Welford's update generalised from one value to a chunk. Numerically stable:
 * no sum of squares of raw values is ever formed.
 */
export class StreamingMoments {
  count = 0;
  mean = 0;
  /** Σ (x − mean)². */
  m2 = 0;

  /** Adds values[from, to) (only finite values must be passed). */
  addChunk(values: ArrayLike<number>, from = 0, to = values.length): void {
    const nb = to - from;
    if (nb <= 0) return;
    let s = 0;
    for (let i = from; i < to; i++) s += values[i]!;
    const mb = s / nb;
    let m2b = 0;
    for (let i = from; i < to; i++) {
      const d = values[i]! - mb;
      m2b += d * d;
    }
    this.merge(nb, mb, m2b);
  }

  merge(nb: number, mb: number, m2b: number): void {
    if (nb === 0) return;
    const na = this.count;
    const n = na + nb;
    const delta = mb - this.mean;
    this.mean += (delta * nb) / n;
    this.m2 += m2b + (delta * delta * na * nb) / n;
    this.count = n;
  }

  /** Population standard deviation (divides by n). */
  get std(): number {
    return this.count > 0 ? Math.sqrt(this.m2 / this.count) : NaN;
  }
}
