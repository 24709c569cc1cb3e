/**
 * The k smallest and k largest values of a stream, exactly (the tails of the distribution, where
 * a histogram is coarsest relative to the few samples it holds). Per chunk, only values beyond the
 * current k-th extreme are collected; they are merged by sorting, so the cost is one comparison per
 * value once the first chunk has set the thresholds.
 */
export class StreamingExtremes {
  readonly k: number;
  /** Ascending. */
  smallest: Float64Array = new Float64Array(0);
  /** Descending. */
  largest: Float64Array = new Float64Array(0);

  constructor(k = 64) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`tail size must be a non-negative integer, got ${k}`);
    this.k = k;
  }

  addChunk(values: ArrayLike<number>, from = 0, to = values.length): void {
    if (this.k === 0) return;
    // Blocks of 4096: the first block sets the thresholds, so later values rarely become candidates
    // (collecting a whole first chunk of ~10^6 values and sorting it would dominate the cost).
    for (let s = from; s < to; s += 4096) this.addBlock(values, s, Math.min(to, s + 4096));
  }

  /** Values below this may enter the smallest set (Infinity while not full). */
  get lowThreshold(): number {
    return this.k === 0 ? -Infinity : this.smallest.length < this.k ? Infinity : this.smallest[this.k - 1]!;
  }

  /** Values above this may enter the largest set. */
  get highThreshold(): number {
    return this.k === 0 ? Infinity : this.largest.length < this.k ? -Infinity : this.largest[this.k - 1]!;
  }

  private addBlock(values: ArrayLike<number>, from: number, to: number): void {
    const lowT = this.lowThreshold;
    const highT = this.highThreshold;
    let lows: number[] | null = null;
    let highs: number[] | null = null;
    for (let i = from; i < to; i++) {
      const x = values[i]!;
      if (x < lowT) (lows ??= []).push(x);
      if (x > highT) (highs ??= []).push(x);
    }
    this.mergeCandidates(lows, highs);
  }

  /** Merge candidate values (e.g. those beyond the thresholds, collected by a fused caller loop). */
  mergeCandidates(lows: number[] | null, highs: number[] | null): void {
    const k = this.k;
    if (k === 0) return;
    if (lows && lows.length) {
      const all = new Float64Array(this.smallest.length + lows.length);
      all.set(this.smallest);
      all.set(lows, this.smallest.length);
      all.sort();
      this.smallest = all.slice(0, k);
    }
    if (highs && highs.length) {
      const all = new Float64Array(this.largest.length + highs.length);
      all.set(this.largest);
      all.set(highs, this.largest.length);
      all.sort();
      all.reverse();
      this.largest = all.slice(0, k);
    }
  }
}
