import { describe, expect, it } from "vitest";
import { CkksClient, CkksContext, Evaluator, KeyStore, wasmHeapBytes, type ParameterSet } from "../src/index.js";
import { makeFixture, maxAbsDiff, SMALL, uniform } from "./helpers.js";

describe("memory: deterministic frees", () => {
  it("10,000 operations do not grow the wasm heap", async () => {
    // N = 2^12 keeps 10k ops at a few seconds; the leak being tested (a forgotten delete) is per op.
    const params: ParameterSet = {
      name: "test-mem",
      N: 4096,
      coeffModulusBits: [60, 40, 40, 60],
      logScale: 40,
      secret: { kind: "uniform-ternary" },
      insecure: true,
    };
    const f = await makeFixture(params, [1]);
    try {
      const x = uniform(f.ctx.slots, -1, 1, 3);
      using a = f.client.encrypt(x);
      using b = f.client.encrypt(x);
      using low = f.ev.mul(a, b); // level 1, for cross-level alignment
      const ops: (() => { dispose(): void })[] = [
        () => f.ev.add(a, b),
        () => f.ev.sub(a, b),
        () => f.ev.mul(a, b),
        () => f.ev.mulConst(a, 0.37),
        () => f.ev.mulPlain(a, x),
        () => f.ev.rotate(a, 1),
        () => f.ev.addConst(a, 1.5),
        () => f.ev.add(a, low), // alignment path: adjust + mod switch
        () => f.ev.modSwitchTo(a, 0),
        () => f.client.encrypt(x),
      ];
      const run = (n: number): void => {
        for (let i = 0; i < n; i++) ops[i % ops.length]!().dispose();
      };
      run(500); // warm-up: SEAL's memory pool reaches its working size
      const heap0 = wasmHeapBytes();
      const rss0 = process.memoryUsage().rss;
      expect(heap0).toBeGreaterThan(0);
      run(10_000);
      const heap1 = wasmHeapBytes();
      const rss1 = process.memoryUsage().rss;
      console.log(`wasm heap ${heap0} -> ${heap1} bytes; RSS ${(rss0 / 2 ** 20).toFixed(0)} -> ${(rss1 / 2 ** 20).toFixed(0)} MiB`);
      expect(heap1).toBe(heap0);
      expect(rss1 - rss0).toBeLessThan(64 * 2 ** 20);
    } finally {
      f.dispose();
    }
  });
});

describe("memory: the heap measure is live", () => {
  it("holding 200 ciphertexts at N = 2^13 grows the measured wasm heap", async () => {
    const f = await makeFixture(SMALL);
    try {
      const x = uniform(f.ctx.slots, -1, 1, 5);
      const before = wasmHeapBytes()!;
      const held = Array.from({ length: 200 }, () => f.client.encrypt(x));
      const after = wasmHeapBytes()!;
      for (const c of held) c.dispose();
      // 200 x 2 polynomials x 5 primes x 8192 x 8 bytes = 131 MB (unless the pool already had room).
      expect(after - before).toBeGreaterThan(64 * 2 ** 20);
    } finally {
      f.dispose();
    }
  });
});

describe("KeyStore", () => {
  it("loads Galois keys on demand under a byte budget and evicts the least recently used", async () => {
    const ctx = await CkksContext.create(SMALL, { allowInsecure: true });
    const client = new CkksClient(ctx);
    const gal = client.galoisKeys([1, 2, 4]);
    const keySize = gal.get(1)!.byteLength;
    // (L-1)·2·L·N·8 bytes with L = 6 primes (TOOLCHAIN §2.4), plus a small header.
    expect(keySize).toBeGreaterThanOrEqual(5 * 2 * 6 * SMALL.N * 8);
    expect(keySize).toBeLessThan(5 * 2 * 6 * SMALL.N * 8 * 1.02);
    const store = new KeyStore(ctx, { budgetBytes: Math.floor(2.5 * keySize) });
    const ev = new Evaluator(ctx, { relinKeys: client.relinKeys(), galoisKeys: gal }, { keyStore: store });
    try {
      const x = uniform(ctx.slots, -1, 1, 9);
      using a = client.encrypt(x);
      const rot = (k: number) => {
        using r = ev.rotate(a, k);
        const want = Float64Array.from({ length: ctx.slots }, (_, i) => x[(i + k) % ctx.slots]!);
        // fresh encryption + one key switch at 2^40 and N = 2^13: noise ~1e-6 (a wrong rotation errs by ~1)
        expect(maxAbsDiff(client.decrypt(r), want)).toBeLessThan(1e-5);
      };
      rot(1);
      rot(2);
      expect(store.stats()).toMatchObject({ loads: 2, evictions: 0, resident: [1, 2] });
      const loaded = store.stats().loadSeconds;
      expect(loaded).toBeGreaterThan(0);
      rot(1); // hit, 1 becomes most recent: no load time added
      expect(store.stats()).toMatchObject({ loads: 2, hits: 1, resident: [2, 1], loadSeconds: loaded });
      rot(4); // over budget: evicts 2 (least recently used)
      expect(store.stats()).toMatchObject({ loads: 3, evictions: 1, resident: [1, 4] });
      expect(store.stats().residentBytes).toBeLessThanOrEqual(store.budgetBytes);
      rot(2); // reloaded from bytes, evicts 1
      expect(store.stats()).toMatchObject({ loads: 4, evictions: 2, resident: [4, 2] });
      expect(store.stats().loadSeconds).toBeGreaterThan(loaded);
      expect(store.serializedBytes()).toBe(3 * keySize);
    } finally {
      ev.dispose();
      store.dispose();
      client.dispose();
      ctx.dispose();
    }
  });

  it("the evaluator side holds no secret key: it is built from public bytes only", async () => {
    const ctx = await CkksContext.create(SMALL, { allowInsecure: true });
    const client = new CkksClient(ctx);
    const keys = client.evaluationKeys([1]);
    expect(Object.keys(keys).sort()).toEqual(["galoisKeys", "relinKeys"]);
    const ev = new Evaluator(ctx, keys);
    expect(Object.values(ev).some((v) => v === client)).toBe(false);
    ev.dispose();
    client.dispose();
    ctx.dispose();
  });
});
