import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ciphertext, LevelError } from "../src/index.js";
import { makeFixture, maxAbsDiff, SMALL, uniform, type Fixture } from "./helpers.js";

let f: Fixture;
const slots = SMALL.N / 2;
const x = uniform(slots, -1, 1, 1);
const y = uniform(slots, -1, 1, 2);

beforeAll(async () => {
  f = await makeFixture(SMALL, [1, -1, 5, 0]);
});
afterAll(() => f?.dispose());

function check(ct: Ciphertext, expected: ArrayLike<number>, tol = 2 ** -20): void {
  const got = f.client.decrypt(ct);
  expect(maxAbsDiff(got, expected, slots)).toBeLessThan(tol);
}

describe("encrypt / decrypt and bookkeeping", () => {
  it("fresh ciphertexts are at the top level with the canonical scale", () => {
    using a = f.client.encrypt(x);
    expect(a.level).toBe(4);
    expect(a.scale).toBe(f.ctx.topScale);
    check(a, x, 2 ** -25);
  });

  it("encrypts at a lower level", () => {
    using a = f.client.encrypt(x, { level: 2 });
    expect(a.level).toBe(2);
    expect(a.scale).toBe(f.ctx.levels[2]!.canonicalScale);
    check(a, x, 2 ** -25);
  });
});

describe("arithmetic", () => {
  it("add / sub / negate / addConst / mulInt keep level and scale", () => {
    using a = f.client.encrypt(x);
    using b = f.client.encrypt(y);
    using s = f.ev.add(a, b);
    using d = f.ev.sub(a, b);
    using n = f.ev.negate(a);
    using c = f.ev.addConst(a, 0.75);
    using k = f.ev.mulInt(a, -3);
    for (const r of [s, d, n, c, k]) {
      expect(r.level).toBe(4);
      expect(r.scale).toBe(a.scale);
    }
    check(s, x.map((v, i) => v + y[i]!));
    check(d, x.map((v, i) => v - y[i]!));
    check(n, x.map((v) => -v));
    check(c, x.map((v) => v + 0.75));
    check(k, x.map((v) => -3 * v));
  });

  it("mul relinearises and rescales: one level, canonical scale", () => {
    using a = f.client.encrypt(x);
    using b = f.client.encrypt(y);
    using p = f.ev.mul(a, b);
    expect(p.level).toBe(3);
    expect(p.scale).toBe(f.ctx.levels[3]!.canonicalScale);
    expect(p.handle.size).toBe(2);
    check(p, x.map((v, i) => v * y[i]!));
    using q = f.ev.square(p);
    expect(q.level).toBe(2);
    expect(q.scale).toBe(f.ctx.levels[2]!.canonicalScale);
    check(q, x.map((v, i) => (v * y[i]!) ** 2));
  });

  it("mulConst and mulPlain land exactly on the next level's canonical scale", () => {
    using a = f.client.encrypt(x);
    using c = f.ev.mulConst(a, -1.7);
    expect(c.level).toBe(3);
    expect(c.scale).toBe(f.ctx.levels[3]!.canonicalScale);
    check(c, x.map((v) => -1.7 * v));
    using p = f.ev.mulPlain(c, y);
    expect(p.level).toBe(2);
    expect(p.scale).toBe(f.ctx.levels[2]!.canonicalScale);
    check(p, x.map((v, i) => -1.7 * v * y[i]!));
  });

  it("aligns operands at different levels automatically (exact scale)", () => {
    using a = f.client.encrypt(x);
    using b = f.client.encrypt(y);
    using ab = f.ev.mul(a, b); // level 3
    using abb = f.ev.mul(ab, b); // level 2; b brought down from 4
    expect(abb.level).toBe(2);
    check(abb, x.map((v, i) => v * y[i]! * y[i]!));
    using s = f.ev.add(a, abb); // a brought to level 2
    expect(s.level).toBe(2);
    expect(s.scale).toBe(abb.scale);
    check(s, x.map((v, i) => v + v * y[i]! * y[i]!));
    using t = f.ev.sub(abb, a);
    check(t, x.map((v, i) => v * y[i]! * y[i]! - v));
    expect(f.ev.counts.scaleAdjust).toBeGreaterThan(0);
  });

  it("matches different scales at the same level by consuming one level", () => {
    using a = f.client.encrypt(x);
    using b = f.client.encrypt(y, { scale: 2 ** 35 });
    using s = f.ev.add(a, b);
    expect(s.level).toBe(3);
    check(s, x.map((v, i) => v + y[i]!), 2 ** -18);
  });

  it("modSwitchTo keeps the scale; rescale divides by the level's prime", () => {
    using a = f.client.encrypt(x);
    using m = f.ev.modSwitchTo(a, 1);
    expect(m.level).toBe(1);
    expect(m.scale).toBe(a.scale);
    check(m, x);
    using raw = f.ev.mulConst(a, 2, { rescale: false });
    expect(raw.level).toBe(4);
    using r = f.ev.rescale(raw);
    expect(r.scale).toBeCloseTo(raw.scale / Number(f.ctx.primeAt(4)), 0);
    check(r, x.map((v) => 2 * v));
  });

  it("fails early with a clear message when no level is left", () => {
    using a = f.client.encrypt(x, { level: 0 });
    expect(() => f.ev.mul(a, a)).toThrow(LevelError);
    expect(() => f.ev.mul(a, a)).toThrow(/mul needs 1 level\(s\) but the ciphertext is at level 0/);
    expect(() => f.ev.mulConst(a, 2)).toThrow(/mulConst needs 1 level/);
  });
});

describe("rotations", () => {
  it("rotate(k) shifts slots left: out[i] = in[(i + k) mod N/2]", () => {
    using a = f.client.encrypt(x);
    for (const k of [1, -1, 5]) {
      using r = f.ev.rotate(a, k);
      expect(r.level).toBe(a.level);
      const expected = new Float64Array(slots);
      for (let i = 0; i < slots; i++) expected[i] = x[(((i + k) % slots) + slots) % slots]!;
      // Key switching adds ~2^-20 of noise at N = 2^13 with one 60-bit special prime.
      check(r, expected, 2 ** -18);
    }
    // step slots-1 uses the same Galois element as -1
    using r = f.ev.rotate(a, slots - 1);
    check(r, Float64Array.from({ length: slots }, (_, i) => x[(i + slots - 1) % slots]!), 2 ** -18);
  });

  it("conjugation leaves real slots unchanged; a missing key is named", () => {
    using a = f.client.encrypt(x);
    using c = f.ev.conjugate(a);
    check(c, x, 2 ** -18);
    expect(() => f.ev.rotate(a, 3)).toThrow(/no Galois key for rotation step 3; keys present: \[-1, 0, 1, 5\]/);
  });
});

describe("serialisation", () => {
  it("ciphertexts round-trip through bytes", () => {
    using a = f.client.encrypt(x);
    const bytes = a.toBytes();
    using b = Ciphertext.fromBytes(f.ctx, bytes);
    expect(b.level).toBe(a.level);
    expect(b.scale).toBe(a.scale);
    check(b, x);
  });
});

describe("constant plaintexts", () => {
  it("constPlain equals the vector encoder's constant, at every level, for large scales too", () => {
    for (const [c, level, scale] of [
      [-1.37, 4, f.ctx.topScale],
      [0.001, 1, 2 ** 40],
      [123.5, 2, 2 ** 79],
      [-7, 3, 2 ** 30],
    ] as const) {
      using fast = f.ev.constPlain(c, level, scale);
      using ref = f.ev.encoder.encodeConstant(c, { level, scale });
      expect(fast.level).toBe(level);
      expect(fast.scale).toBe(scale);
      const a = f.ev.encoder.decode(fast);
      const b = f.ev.encoder.decode(ref);
      expect(maxAbsDiff(a, b)).toBeLessThan(Math.abs(c) * 1e-9 + 1e-9);
      expect(Math.abs(a[17]! - c)).toBeLessThan(1e-6);
    }
  });
});
