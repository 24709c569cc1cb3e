import { describe, expect, it } from "vitest";
import { rng } from "./helpers.js";
import { MultiplexedLayout } from "../src/linear/layout.js";
import { compileAvgPoolFc, compileConv2d, compileShortcutA } from "../src/linear/layers.js";
import { avgPoolFcDirect, conv2dDirect, shortcutADirect } from "../src/linear/reference.js";
import { rotateSlots, simulateSlotProgram } from "../src/linear/simulator.js";

const randn = (len: number, r: () => number) => Float64Array.from({ length: len }, () => 2 * r() - 1);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe("MultiplexedLayout", () => {
  it("places channels as MPCNN's gap layout and round-trips", () => {
    const L = new MultiplexedLayout({ slots: 4096, channels: 8, height: 4, width: 4, gap: 2 });
    expect([L.gridRows, L.gridCols, L.blockStride, L.groups, L.period, L.copies]).toEqual([8, 8, 64, 2, 128, 32]);
    // channel 5: group 1, a = 0, b = 1; (h, w) = (1, 2) → 64 + 8·2 + 4 + 1
    expect(L.slotOf(5, 1, 2)).toBe(64 + 16 + 5);
    const t = randn(8 * 16, rng(1));
    const v = L.pack(t);
    for (let u = 0; u < L.copies; u++) expect(maxAbsDiff(L.unpack(v, u), t)).toBe(0);
    // zeros elsewhere, all slots of a copy distinct
    const occ = L.occupancy();
    let count = 0;
    for (let s = 0; s < v.length; s++) {
      if (occ[s]) count++;
      else expect(v[s]).toBe(0);
    }
    expect(count).toBe(8 * 16 * L.copies);
  });
  it("has ResNet-20 stage periods 16384 / 8192 / 4096 at N = 2^15", () => {
    const s1 = new MultiplexedLayout({ slots: 16384, channels: 16, height: 32, width: 32, gap: 1 });
    const s2 = new MultiplexedLayout({ slots: 16384, channels: 32, height: 16, width: 16, gap: 2 });
    const s3 = new MultiplexedLayout({ slots: 16384, channels: 64, height: 8, width: 8, gap: 4 });
    expect([s1.period, s2.period, s3.period]).toEqual([16384, 8192, 4096]);
    expect([s1.copies, s2.copies, s3.copies]).toEqual([1, 2, 4]);
  });
  it("rejects tensors that do not fit, naming the sizes", () => {
    expect(() => new MultiplexedLayout({ slots: 4096, channels: 16, height: 32, width: 32, gap: 1 })).toThrow(/needs 16384 slots, only 4096/);
    expect(() => new MultiplexedLayout({ slots: 4096, channels: 4, height: 6, width: 8, gap: 1 })).toThrow(/powers of two/);
  });
});

describe("rotation convention", () => {
  it("rot(x, s)[j] = x[(j + s) mod n]", () => {
    const x = Float64Array.from({ length: 8 }, (_, i) => i);
    expect([...rotateSlots(x, 3)]).toEqual([3, 4, 5, 6, 7, 0, 1, 2]);
    expect([...rotateSlots(x, -1)]).toEqual([7, 0, 1, 2, 3, 4, 5, 6]);
  });
});

function checkConv(slots: number, C: number, Co: number, H: number, gap: number, stride: 1 | 2, seed: number, chains = 1) {
  const r = rng(seed);
  const L = new MultiplexedLayout({ slots, channels: C, height: H, width: H, gap });
  const weight = randn(Co * C * 9, r);
  const bias = randn(Co, r);
  const x = randn(C * H * H, r);
  const plan = compileConv2d(L, { weight, weightDims: [Co, C, 3, 3], bias, stride, pad: 1 }, { hornerChains: chains });
  const y = simulateSlotProgram(plan.program, L.pack(x));
  const ref = conv2dDirect(x, L, { weight, weightDims: [Co, C, 3, 3], bias, stride, pad: 1 });
  // Every slot: tensor values in every copy and exact zeros elsewhere.
  expect(maxAbsDiff(y, plan.output!.pack(ref.data))).toBeLessThan(1e-12);
  expect(plan.program.counts.levels).toBe(1);
  return plan;
}

describe("packed convolution vs direct convolution (slot simulator)", () => {
  it("stride 1, gap 1, several groups and copies", () => {
    checkConv(4096, 4, 4, 16, 1, 1, 11);
  });
  it("stride 1 at gap 2 and gap 4 (stage-2/3 geometry)", () => {
    checkConv(4096, 8, 8, 8, 2, 1, 12);
    checkConv(4096, 16, 16, 4, 4, 1, 13);
  });
  it("stride 2 with a fold (period halves)", () => {
    const p = checkConv(4096, 4, 8, 16, 1, 2, 14);
    expect(p.info!.folds).toBe(1);
    expect(p.output!.gap).toBe(2);
    checkConv(4096, 8, 16, 8, 2, 2, 15);
  });
  it("interleaved Horner chains give the same result with the same rotation count", () => {
    const a = checkConv(4096, 16, 16, 4, 4, 1, 16, 1);
    const b = checkConv(4096, 16, 16, 4, 4, 1, 16, 2);
    expect(b.program.counts.rotations).toBe(a.program.counts.rotations);
  });
  it("output period larger than the input period (conv0: 3 channels, 4-periodic image → 16 channels)", () => {
    const r = rng(21);
    const L = new MultiplexedLayout({ slots: 16384, channels: 3, height: 32, width: 32, gap: 1 });
    expect([L.period, L.copies]).toEqual([4096, 4]);
    const weight = randn(16 * 3 * 9, r);
    const bias = randn(16, r);
    const x = randn(3 * 1024, r);
    const plan = compileConv2d(L, { weight, weightDims: [16, 3, 3, 3], bias, stride: 1, pad: 1 });
    const ref = conv2dDirect(x, L, { weight, weightDims: [16, 3, 3, 3], bias, stride: 1, pad: 1 });
    expect(maxAbsDiff(simulateSlotProgram(plan.program, L.pack(x)), plan.output!.pack(ref.data))).toBeLessThan(1e-12);
    // note §1.3(e): 36 diagonals, 11 rotations
    expect([plan.info!.diagonals, plan.program.counts.rotations]).toEqual([36, 11]);
  });
  it("adversarial coordinate image, identity kernel reproduces the input", () => {
    const L = new MultiplexedLayout({ slots: 4096, channels: 4, height: 16, width: 16, gap: 1 });
    const w = new Float64Array(4 * 4 * 9);
    for (let c = 0; c < 4; c++) w[(c * 4 + c) * 9 + 4] = 1;
    const x = Float64Array.from({ length: 4 * 256 }, (_, i) => 1000 * Math.floor(i / 256) + (i % 256));
    const plan = compileConv2d(L, { weight: w, weightDims: [4, 4, 3, 3], stride: 1, pad: 1 });
    expect(maxAbsDiff(simulateSlotProgram(plan.program, L.pack(x)), L.pack(x))).toBe(0);
    expect(plan.program.counts.rotations).toBe(0); // only the δ = 0 diagonal
  });
});

describe("ResNet-20 layer plans at N = 2^15 (16384 slots)", () => {
  const s1 = new MultiplexedLayout({ slots: 16384, channels: 16, height: 32, width: 32, gap: 1 });
  const s2 = new MultiplexedLayout({ slots: 16384, channels: 32, height: 16, width: 16, gap: 2 });
  const s3 = new MultiplexedLayout({ slots: 16384, channels: 64, height: 8, width: 8, gap: 4 });
  const r = rng(7);
  const conv = (L: MultiplexedLayout, Co: number, stride: 1 | 2) =>
    compileConv2d(L, { weight: randn(Co * L.channels * 9, r), weightDims: [Co, L.channels, 3, 3], stride, pad: 1 });
  // Golden numbers: the note's table §1.3(e) has 44 for S2 and 17 for the 2→3 shortcut; the R search finds 43 and 13.
  it("rotation and ct×pt counts (≤ shared/notes/packed-convolution.md §1.3(e))", () => {
    const rows = [
      ["S1", conv(s1, 16, 1)],
      ["S2-down", conv(s1, 32, 2)],
      ["S2", conv(s2, 32, 1)],
      ["S3-down", conv(s2, 64, 2)],
      ["S3", conv(s3, 64, 1)],
      ["shortcut 1→2", compileShortcutA(s1, 8)],
      ["shortcut 2→3", compileShortcutA(s2, 16)],
    ] as const;
    const got = Object.fromEntries(rows.map(([n, p]) => [n, [p.program.counts.rotations, p.info!.diagonals]]));
    expect(got).toEqual({
      S1: [23, 144],
      "S2-down": [23, 128],
      S2: [43, 392],
      "S3-down": [37, 324],
      S3: [60, 900],
      "shortcut 1→2": [11, 16],
      "shortcut 2→3": [13, 16],
    });
    for (const [, p] of rows) expect(p.program.counts.levels).toBe(1);
    // the conv/shortcut key set stays small (no per-diagonal keys)
    const keys = new Set(rows.flatMap(([, p]) => p.program.steps));
    expect(keys.size).toBeLessThanOrEqual(11); // ±1, ±32, ±64, ±96, 1024, 4096, 8192
  });
  it("S2-down against the direct convolution in every slot", () => {
    const x = randn(16 * 1024, r);
    const w = randn(32 * 16 * 9, r);
    const plan = compileConv2d(s1, { weight: w, weightDims: [32, 16, 3, 3], stride: 2, pad: 1 });
    const y = simulateSlotProgram(plan.program, s1.pack(x));
    const ref = conv2dDirect(x, s1, { weight: w, weightDims: [32, 16, 3, 3], stride: 2, pad: 1 });
    expect(maxAbsDiff(y, s2.pack(ref.data))).toBeLessThan(1e-11);
  });
});

describe("option-A shortcut and average pooling + FC", () => {
  it("shortcut 2→3 at the ResNet geometry matches in every slot", () => {
    const s2 = new MultiplexedLayout({ slots: 16384, channels: 32, height: 16, width: 16, gap: 2 });
    const x = randn(32 * 256, rng(9));
    const plan = compileShortcutA(s2, 16);
    const y = simulateSlotProgram(plan.program, s2.pack(x));
    expect(maxAbsDiff(y, plan.output!.pack(shortcutADirect(x, s2, 16)))).toBe(0);
    expect(plan.output!.period).toBe(4096);
  });
  it("shortcut pads channels on both sides", () => {
    const L = new MultiplexedLayout({ slots: 4096, channels: 4, height: 8, width: 8, gap: 2 });
    const x = randn(4 * 64, rng(3));
    const plan = compileShortcutA(L, 2);
    expect(plan.output!.channels).toBe(8);
    const y = simulateSlotProgram(plan.program, L.pack(x));
    expect(maxAbsDiff(y, plan.output!.pack(shortcutADirect(x, L, 2)))).toBe(0);
  });
  it("avgpool+FC at the ResNet stage-3 geometry (14 rotations, 1 level)", () => {
    const r = rng(5);
    const L = new MultiplexedLayout({ slots: 16384, channels: 64, height: 8, width: 8, gap: 4 });
    const w = randn(10 * 64, r);
    const b = randn(10, r);
    const x = randn(64 * 64, r);
    const plan = compileAvgPoolFc(L, w, 10, b);
    const y = simulateSlotProgram(plan.program, L.pack(x));
    const ref = avgPoolFcDirect(x, L, w, 10, b);
    expect(maxAbsDiff(plan.outputSlots!.map((s) => y[s]!), ref)).toBeLessThan(1e-12);
    expect(plan.program.counts.rotations).toBe(14);
    expect(plan.program.counts.levels).toBe(1);
    expect(plan.program.counts.mulPlain).toBe(3);
  });
  it("avgpool+FC on a small test geometry", () => {
    const r = rng(6);
    const L = new MultiplexedLayout({ slots: 4096, channels: 16, height: 4, width: 4, gap: 2 });
    const w = randn(5 * 16, r);
    const x = randn(16 * 16, r);
    const plan = compileAvgPoolFc(L, w, 5);
    const y = simulateSlotProgram(plan.program, L.pack(x));
    expect(maxAbsDiff(plan.outputSlots!.map((s) => y[s]!), avgPoolFcDirect(x, L, w, 5))).toBeLessThan(1e-12);
  });
});
