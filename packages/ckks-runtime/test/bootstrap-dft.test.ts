import { describe, expect, it } from "vitest";
import { rng } from "./helpers.js";
import { complexZeros, maxAbsDiff } from "../src/bootstrap/complex.js";
import {
  buildEncodingFactors,
  coefficientsFromSlots,
  encodeDirect,
  encodeFactored,
  slotExponents,
} from "../src/bootstrap/encoding-map.js";
import { applyDftPlan, coeffToSlotPlan, slotToCoeffPlan } from "../src/bootstrap/dft-plan.js";


describe("generator-3 encoding map", () => {
  it("slot exponents are powers of 3 mod 2N and, with their negatives, cover every odd residue", () => {
    const N = 64;
    const g = slotExponents(N);
    expect(g[0]).toBe(1);
    expect(g[1]).toBe(3);
    const all = new Set<number>();
    for (const x of g) {
      all.add(x);
      all.add(2 * N - x);
    }
    expect(all.size).toBe(N);
  });

  for (const N of [8, 16, 64, 256]) {
    it(`factorised map equals the direct O(N²) evaluation at N=${N}`, () => {
      const r = rng(N);
      const f = buildEncodingFactors(N);
      expect(f.layers.length).toBe(Math.log2(N) - 2);
      const c = { re: Float64Array.from({ length: N }, () => r() - 0.5), im: Float64Array.from({ length: N }, () => r() - 0.5) };
      const ref = encodeDirect(c, N);
      expect(maxAbsDiff(encodeFactored(f, c), ref)).toBeLessThan(1e-12 * N);
      // each layer has only the offsets {0, ±n/2^{d+1}}
      f.layers.forEach((L, d) => {
        const h = f.n >> (d + 1);
        const allowed = new Set([0, h % f.n, (f.n - h) % f.n]);
        for (const p of L.offsets()) expect(allowed.has(p)).toBe(true);
      });
    });
  }

  it("coefficientsFromSlots inverts the map for real coefficients", () => {
    const N = 128;
    const r = rng(7);
    const f = buildEncodingFactors(N);
    const c = Float64Array.from({ length: N }, () => r() * 2 - 1);
    const z = encodeDirect(c, N);
    const back = coefficientsFromSlots(f, z);
    let m = 0;
    for (let k = 0; k < N; k++) m = Math.max(m, Math.abs(back[k] - c[k]));
    expect(m).toBeLessThan(1e-12);
    // and an arbitrary complex slot vector is hit exactly by its real coefficient vector
    const z2 = { re: Float64Array.from({ length: N / 2 }, () => r() - 0.5), im: Float64Array.from({ length: N / 2 }, () => r() - 0.5) };
    expect(maxAbsDiff(encodeDirect(coefficientsFromSlots(f, z2), N), z2)).toBeLessThan(1e-12);
  });
});

describe("CoeffToSlot / SlotToCoeff plans", () => {
  for (const [N, levels] of [
    [64, 2],
    [256, 3],
    [1024, 3],
  ] as const) {
    it(`CoeffToSlot (${levels} levels) maps U·t/S to the coefficient halves over q0·K at N=${N}`, () => {
      const r = rng(N + levels);
      const f = buildEncodingFactors(N);
      const S = 2 ** 50, q0 = 2 ** 48 - 59, K = 16;
      const t = Float64Array.from({ length: N }, () => Math.round((r() * 2 - 1) * 15 * q0));
      const z0 = encodeDirect(t, N);
      const z = { re: z0.re.map((v) => v / S), im: z0.im.map((v) => v / S) };
      const plan = coeffToSlotPlan(f, levels, S / (N * q0 * K));
      expect(plan.levels.length).toBe(levels);
      const [yA, yB] = applyDftPlan(plan, [z]);
      let m = 0;
      for (let s = 0; s < f.n; s++) {
        m = Math.max(m, Math.abs(2 * yA.re[s] - t[plan.permA[s]] / (q0 * K)), Math.abs(2 * yB.re[s] - t[plan.permB[s]] / (q0 * K)));
      }
      expect(m).toBeLessThan(1e-12);
      // permA ∪ permB is a permutation of [0, N) with A the low half
      const seen = new Set([...plan.permA, ...plan.permB]);
      expect(seen.size).toBe(N);
      expect(Math.max(...plan.permA)).toBeLessThan(N / 2);
      // diagonal counts per merged level stay small (sparse factorisation)
      for (const lvl of plan.levels) for (const row of lvl.matrices) for (const M of row) expect(M.diags.size).toBeLessThanOrEqual(2 ** (Math.ceil((Math.log2(N) - 1) / levels) + 2));
    });

    it(`SlotToCoeff (${levels} levels) equals the direct encoding of the permuted halves at N=${N}`, () => {
      const r = rng(3 * N + levels);
      const f = buildEncodingFactors(N);
      const plan = slotToCoeffPlan(f, levels, 0.37);
      const c = Float64Array.from({ length: N }, () => r() * 2 - 1);
      const a = complexZeros(f.n);
      const b = complexZeros(f.n);
      for (let s = 0; s < f.n; s++) {
        a.re[s] = c[plan.permA[s]];
        b.re[s] = c[plan.permB[s]];
      }
      const [z] = applyDftPlan(plan, [a, b]);
      const ref = encodeDirect(c, N);
      const scaled = { re: ref.re.map((v) => v * 0.37), im: ref.im.map((v) => v * 0.37) };
      expect(maxAbsDiff(z, scaled)).toBeLessThan(1e-12 * Math.sqrt(N));
    });
  }
});

describe("sparse packing (n < N/2): repacked CoeffToSlot and unpacking SlotToCoeff", () => {
  it("CoeffToSlot on the sub-ring map puts both coefficient halves side by side in one 2n-periodic vector", () => {
    const n = 64;
    const f = buildEncodingFactors(2 * n);
    const r = rng(99);
    const S = 2 ** 50, q0 = 2 ** 48 - 59, K = 12;
    const t = Float64Array.from({ length: 2 * n }, () => Math.round((r() * 2 - 1) * 10 * q0));
    const z0 = encodeDirect(t, 2 * n);
    const z = { re: z0.re.map((v) => v / S), im: z0.im.map((v) => v / S) };
    const plan = coeffToSlotPlan(f, 3, S / (2 * n * q0 * K), true);
    const outs = applyDftPlan(plan, [z]);
    expect(outs.length).toBe(1);
    expect(outs[0].re.length).toBe(2 * n);
    let m = 0;
    for (let s = 0; s < n; s++) {
      m = Math.max(m, Math.abs(2 * outs[0].re[s] - t[plan.permA[s]] / (q0 * K)), Math.abs(2 * outs[0].re[s + n] - t[plan.permB[s]] / (q0 * K)));
    }
    expect(m).toBeLessThan(1e-12);
  });

  it("SlotToCoeff's first level unpacks A | B and the result is the sub-ring encoding (n-periodic)", () => {
    const n = 64;
    const f = buildEncodingFactors(2 * n);
    const r = rng(5);
    const plan = slotToCoeffPlan(f, 2, 1.5, true);
    const c = Float64Array.from({ length: 2 * n }, () => r() * 2 - 1);
    const v = complexZeros(2 * n);
    for (let s = 0; s < n; s++) {
      v.re[s] = c[plan.permA[s]];
      v.re[s + n] = c[plan.permB[s]];
    }
    const [z] = applyDftPlan(plan, [v]);
    const ref = encodeDirect(c, 2 * n);
    for (let s = 0; s < z.re.length; s++) {
      expect(Math.abs(z.re[s] - 1.5 * ref.re[s % n])).toBeLessThan(1e-12);
      expect(Math.abs(z.im[s] - 1.5 * ref.im[s % n])).toBeLessThan(1e-12);
    }
  });
});
