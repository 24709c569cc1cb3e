import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CkksContext } from "../src/context.js";
import { CkksClient } from "../src/client.js";
import { Evaluator, LevelError } from "../src/evaluator.js";
import { switchingKeyMaxLevel, truncateSwitchingKey } from "../src/key-levels.js";

describe("Galois keys truncated to the levels they are used at", () => {
  let ctx: CkksContext;
  let client: CkksClient;
  const N = 4096;
  const msg = Float64Array.from({ length: N / 2 }, (_, i) => Math.cos(0.11 * i));
  beforeAll(async () => {
    ctx = await CkksContext.create(
      { name: "keylevels", N, coeffModulusBits: [50, 40, 40, 40, 40, 60], logScale: 40, secret: { kind: "uniform-ternary" }, insecure: true },
      { allowInsecure: true },
    );
    client = new CkksClient(ctx);
  });
  afterAll(() => {
    client?.dispose();
    ctx?.dispose();
  });

  it("a full key covers the top level; a truncated one is smaller by the dropped samples and reports its level", () => {
    const full = client.galoisKeys([3]).get(3)!;
    expect(switchingKeyMaxLevel(full)).toBe(ctx.topLevel);
    const low = client.galoisKeys([3], { maxLevel: 1 }).get(3)!;
    expect(switchingKeyMaxLevel(low)).toBe(1);
    // 5 data primes -> 2 samples kept: the key shrinks by 3/5 of its samples
    const sample = (full.byteLength - 64 - 8 * N) / 5; // header + vector counts aside
    expect(full.byteLength - low.byteLength).toBeGreaterThan(2.9 * sample);
    expect(truncateSwitchingKey(full, 1)).toEqual(low.byteLength === truncateSwitchingKey(full, 1).byteLength ? truncateSwitchingKey(full, 1) : low);
    expect(truncateSwitchingKey(full, 99).byteLength).toBe(full.byteLength);
  });

  it("rotations with a truncated key are exact at its levels and refused above them", () => {
    const keys = client.evaluationKeys([], { steps: [3], maxLevel: 1 });
    using ev = new Evaluator(ctx, keys);
    for (const level of [0, 1]) {
      const ct = client.encrypt(msg, { level });
      const r = ev.rotate(ct, 3);
      const got = client.decrypt(r);
      let err = 0;
      for (let i = 0; i < N / 2; i++) err = Math.max(err, Math.abs(got[i] - msg[(i + 3) % (N / 2)]));
      expect(err).toBeLessThan(1e-5);
      ct.dispose();
      r.dispose();
    }
    const high = client.encrypt(msg, { level: 2 });
    expect(() => ev.rotate(high, 3)).toThrow(LevelError);
    expect(() => ev.rotate(high, 3)).toThrow(/covers levels <= 1/);
    high.dispose();
  });

  it("rejects bytes that are not an uncompressed key-switching key", () => {
    expect(() => switchingKeyMaxLevel(new Uint8Array(100))).toThrow(/not an uncompressed SEAL key-switching key/);
    const full = client.galoisKeys([1]).get(1)!;
    expect(() => switchingKeyMaxLevel(full.subarray(0, full.byteLength - 8))).toThrow(/size field|truncated|trailing/);
  });
});
