/**
 * A fixed-size histogram whose range adapts by exact doubling.
 *
 * `bins` equal cells of width w cover [lo, lo + bins·w] (the last cell is closed). The first chunk
 * sets lo = its minimum and w = (its range)/bins. When later data falls outside, the range doubles
 * (possibly repeatedly) towards that side: adjacent pairs of cells merge into one cell of width 2w
 * (growing upwards), or the merged cells move into the upper half while lo moves down by bins·w
 * (growing downwards). Cell edges after a doubling are a subset of the previous edges, so counts are
 * never split or estimated: the histogram is exactly the histogram of all data on its final grid.
 * Cost: the final width is at most 2^k times the first chunk's, where k doublings were needed; for
 * activation profiling the first batch already spans nearly the whole range, so k is 0–2.
 * The alternative — a first pass for the range, a second for counts — would run the network twice.
 */
export class DoublingHistogram {
  readonly bins: number;
  lo = 0;
  width = 0;
  counts: Float64Array;
  private initialised = false;

  constructor(bins = 4096) {
    if (!Number.isInteger(bins) || bins < 2 || bins % 2 !== 0) throw new RangeError(`histogram bins must be an even integer ≥ 2, got ${bins}`);
    this.bins = bins;
    this.counts = new Float64Array(bins);
  }

  /** Make [min, max] fall inside the range (min ≤ max, both finite). */
  cover(min: number, max: number): void {
    if (!this.initialised) {
      let span = max - min;
      if (!(span > 0)) span = Math.max(Math.abs(min), 1e-30) * 2 ** -20;
      this.lo = min;
      this.width = span / this.bins;
      this.initialised = true;
    }
    while (min < this.lo) this.growDown();
    while ((max - this.lo) / this.width > this.bins) this.growUp();
  }

  private growUp(): void {
    const B = this.bins;
    const c = this.counts;
    const n = new Float64Array(B);
    for (let j = 0; j < B / 2; j++) n[j] = c[2 * j]! + c[2 * j + 1]!;
    this.counts = n;
    this.width *= 2;
  }

  private growDown(): void {
    const B = this.bins;
    const c = this.counts;
    const n = new Float64Array(B);
    for (let i = 0; i < B; i++) n[B / 2 + (i >> 1)]! += c[i]!;
    this.counts = n;
    this.lo -= B * this.width;
    this.width *= 2;
  }

  /** Cell of x (x must be covered). */
  cell(x: number): number {
    const k = Math.floor((x - this.lo) / this.width);
    return k < 0 ? 0 : k >= this.bins ? this.bins - 1 : k;
  }

  /** Adds values[from, to); call `cover` with their min/max first. */
  addCovered(values: ArrayLike<number>, from = 0, to = values.length): void {
    const c = this.counts;
    const lo = this.lo;
    const inv = 1 / this.width;
    const top = this.bins - 1;
    for (let i = from; i < to; i++) {
      const x = values[i]!;
      if (x !== x || x === Infinity || x === -Infinity) continue;
      let k = Math.floor((x - lo) * inv);
      if (k < 0) k = 0;
      else if (k > top) k = top;
      c[k]!++;
    }
  }
}
