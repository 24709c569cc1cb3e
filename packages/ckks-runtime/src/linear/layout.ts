// Multiplexed ("gap") slot layout for a C×H×W tensor in one CKKS slot vector.
//
// Source: Lee et al., "Low-Complexity Deep Convolutional Neural Networks on FHE Using Multiplexed Parallel
// Convolutions" (MPCNN, ICML 2022, eprint 2021/1688) §4, and Orion (arXiv 2311.03470) which keeps the
// same layout through single-shot strided convolutions. Design discussion: shared/notes/packed-convolution.md §1, §5.1.
//
// With gap k, a group holds k² channels interleaved on a (k·H)×(k·W) grid: channel c sits in group
// g = ⌊c/k²⌋ at grid cell (k·h + a, k·w + b) with a = ⌊(c mod k²)/k⌋, b = c mod k. Groups are stacked with
// stride B = (k·H)·(k·W) ("block"). The populated prefix t·B is padded to the period T (the next power of two)
// and repeated n/T times, so the vector is T-periodic. Every slot that is not a tensor element holds 0.
//
// Why this layout: a stride-2 convolution maps gap k to gap 2k without moving data, so every convolution is a
// position-independent set of slot offsets (one diagonal-method transform, one level), and the grid stride
// (row stride k·W, block stride B) stays the same through the network, so one small set of rotation keys
// (±1, ±row, block) serves every layer.

export interface TensorShape {
  channels: number;
  height: number;
  width: number;
}

export interface MultiplexedLayoutSpec extends TensorShape {
  /** Number of CKKS slots (N/2). */
  slots: number;
  /** Gap k ≥ 1 (power of two). */
  gap: number;
}

const isPow2 = (x: number): boolean => Number.isInteger(x) && x >= 1 && (x & (x - 1)) === 0;

export class MultiplexedLayout {
  readonly slots: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly gap: number;
  /** Grid size (rows × columns of one group). */
  readonly gridRows: number;
  readonly gridCols: number;
  /** Slot distance between two grid rows (= gridCols). */
  readonly rowStride: number;
  /** Slot distance between two groups (= gridRows·gridCols). */
  readonly blockStride: number;
  /** Number of groups t = ⌈C/k²⌉. */
  readonly groups: number;
  /** Period T (power of two ≥ t·B); the vector holds slots/T identical copies. */
  readonly period: number;
  readonly copies: number;

  constructor(spec: MultiplexedLayoutSpec) {
    const { slots, channels, height, width, gap } = spec;
    if (!isPow2(slots)) throw new Error(`MultiplexedLayout: slots must be a power of two, got ${slots}`);
    if (!isPow2(gap)) throw new Error(`MultiplexedLayout: gap must be a power of two ≥ 1, got ${gap}`);
    if (!isPow2(height) || !isPow2(width))
      throw new Error(`MultiplexedLayout: height and width must be powers of two, got ${height}×${width}`);
    if (!Number.isInteger(channels) || channels < 1)
      throw new Error(`MultiplexedLayout: channels must be a positive integer, got ${channels}`);
    this.slots = slots;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.gap = gap;
    this.gridRows = gap * height;
    this.gridCols = gap * width;
    this.rowStride = this.gridCols;
    this.blockStride = this.gridRows * this.gridCols;
    this.groups = Math.ceil(channels / (gap * gap));
    let period = this.blockStride;
    while (period < this.groups * this.blockStride) period *= 2;
    if (period > slots)
      throw new Error(
        `MultiplexedLayout: tensor ${channels}×${height}×${width} at gap ${gap} needs ${period} slots, only ${slots} available`,
      );
    this.period = period;
    this.copies = slots / period;
  }

  /** Slot (within the first copy) of element (c, h, w). */
  slotOf(c: number, h: number, w: number): number {
    const k = this.gap;
    const g = Math.floor(c / (k * k));
    const r = c % (k * k);
    const a = Math.floor(r / k);
    const b = r % k;
    return g * this.blockStride + (k * h + a) * this.rowStride + (k * w + b);
  }

  /** Pack a CHW tensor (row-major) into a slot vector: T-periodic, zeros elsewhere. */
  pack(tensor: ArrayLike<number>): Float64Array {
    const { channels: C, height: H, width: W } = this;
    if (tensor.length !== C * H * W)
      throw new Error(`MultiplexedLayout.pack: expected ${C}×${H}×${W} = ${C * H * W} values, got ${tensor.length}`);
    const v = new Float64Array(this.slots);
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) {
          const s = this.slotOf(c, h, w);
          const x = tensor[(c * H + h) * W + w]!;
          for (let u = 0; u < this.copies; u++) v[s + u * this.period] = x;
        }
    return v;
  }

  /** Read the CHW tensor back from copy `copy` (default 0) of a slot vector. */
  unpack(vec: ArrayLike<number>, copy = 0): Float64Array {
    const { channels: C, height: H, width: W } = this;
    if (vec.length !== this.slots)
      throw new Error(`MultiplexedLayout.unpack: expected ${this.slots} slots, got ${vec.length}`);
    const out = new Float64Array(C * H * W);
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) out[(c * H + h) * W + w] = vec[this.slotOf(c, h, w) + copy * this.period]!;
    return out;
  }

  /** Boolean mask of tensor slots in the whole vector (all copies). */
  occupancy(): Uint8Array {
    const m = new Uint8Array(this.slots);
    for (let c = 0; c < this.channels; c++)
      for (let h = 0; h < this.height; h++)
        for (let w = 0; w < this.width; w++) {
          const s = this.slotOf(c, h, w);
          for (let u = 0; u < this.copies; u++) m[s + u * this.period] = 1;
        }
    return m;
  }

  describe(): string {
    return `${this.channels}×${this.height}×${this.width} gap ${this.gap} (grid ${this.gridRows}×${this.gridCols}, ${this.groups} groups, period ${this.period}, ${this.copies} copies of ${this.slots} slots)`;
  }
}
