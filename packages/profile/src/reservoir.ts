import { mulberry32, openUnit } from "./prng.js";

/**
 * A uniform random sample of fixed size from a stream: Li's "Algorithm L" (K.-H. Li, "Reservoir-
 * sampling algorithms of time complexity O(n(1 + log(N/n)))", ACM TOMS 20(4), 1994). Instead of one
 * random number per item (Vitter's Algorithm R) it draws the gap to the next accepted item from its
 * exact distribution, so the cost per value is O(1) with O(k·log(N/k)) random draws overall.
 * Deterministic for a given seed and item order (chunk boundaries do not matter).
 */
export class Reservoir {
  readonly capacity: number;
  readonly sample: Float32Array;
  /** Items seen so far. */
  seen = 0;
  private readonly rnd: () => number;
  private w = 0;
  /** Global index of the next item to accept (once the reservoir is full). */
  private next = 0;

  constructor(capacity = 4096, seed = 0) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`reservoir size must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
    this.sample = new Float32Array(capacity);
    this.rnd = mulberry32(seed);
  }

  private advance(): void {
    this.next += Math.floor(Math.log(openUnit(this.rnd)) / Math.log(1 - this.w)) + 1;
  }

  addChunk(values: ArrayLike<number>, from = 0, to = values.length): void {
    const k = this.capacity;
    if (k === 0) {
      this.seen += to - from;
      return;
    }
    let i = from;
    while (i < to && this.seen < k) this.sample[this.seen++] = values[i++]!;
    if (i > from && this.seen === k && this.w === 0) {
      // Just filled: initialise W and the first gap (the item with global index `seen` is next).
      this.w = Math.exp(Math.log(openUnit(this.rnd)) / k);
      this.next = k - 1;
      this.advance();
    }
    if (i >= to) return;
    const base = this.seen - i; // global index of values[j] is base + j
    const end = base + to;
    while (this.next < end) {
      const j = this.next - base;
      this.sample[Math.floor(this.rnd() * k)] = values[j]!;
      this.w *= Math.exp(Math.log(openUnit(this.rnd)) / k);
      this.advance();
    }
    this.seen = end;
  }

  /** The sample (shorter than capacity if fewer items were seen). */
  values(): Float32Array {
    return this.sample.slice(0, Math.min(this.seen, this.capacity));
  }
}
