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
    const k = this.k;
    const lowT = this.smallest.length < k ? Infinity : this.smallest[k - 1]!;
    const highT = this.largest.length < k ? -Infinity : this.largest[k - 1]!;
    const lows: number[] = [];
    const highs: number[] = [];
    for (let i = from; i < to; i++) {
      const x = values[i]!;
      if (x < lowT) lows.push(x);
      if (x > highT) highs.push(x);
    }
    if (lows.length) {
      const all = new Float64Array(this.smallest.length + lows.length);
      all.set(this.smallest);
      all.set(lows, this.smallest.length);
      all.sort();
      this.smallest = all.slice(0, k);
    }
    if (highs.length) {
      const all = new Float64Array(this.largest.length + highs.length);
      all.set(this.largest);
      all.set(highs, this.largest.length);
      all.sort();
      all.reverse();
      this.largest = all.slice(0, k);
    }
  }
}
