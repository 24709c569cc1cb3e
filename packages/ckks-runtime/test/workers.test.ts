import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ciphertext } from "../src/ciphertext.js";
import { MultiplexedLayout } from "../src/linear/layout.js";
import { compileConv2d } from "../src/linear/layers.js";
import { runLinearEncrypted } from "../src/linear/encrypted.js";
import { conv2dDirect } from "../src/linear/reference.js";
import { analyzeProgram, type SlotOp, type SlotProgram } from "../src/linear/program.js";
import { WorkerPool } from "../src/workers/pool.js";
import { makeFixture, maxAbsDiff, rng, SMALL, type Fixture } from "./helpers.js";

const slots = SMALL.N / 2;
const r = rng(77);
const randn = (len: number) => Float64Array.from({ length: len }, () => 2 * r() - 1);
const L = new MultiplexedLayout({ slots, channels: 4, height: 16, width: 16, gap: 1 });
const spec = { weight: randn(8 * 4 * 9), weightDims: [8, 4, 3, 3] as [number, number, number, number], bias: randn(8), stride: 2 as const, pad: 1 };
const plan = compileConv2d(L, spec, { hornerChains: 2 });
const x = randn(4 * 256);

let f: Fixture;
let pool1: WorkerPool | undefined;
let pool2: WorkerPool | undefined;
beforeAll(async () => {
  f = await makeFixture(SMALL, plan.program.steps);
  const keys = { relinKeys: f.client.relinKeys(), galoisKeys: f.client.galoisKeys(plan.program.steps) };
  [pool1, pool2] = await Promise.all([
    WorkerPool.create({ params: SMALL, keys, workers: 1, allowInsecure: true }),
    WorkerPool.create({ params: SMALL, keys, workers: 2, allowInsecure: true, plainCacheBytes: 2 ** 28 }),
  ]);
});
afterAll(async () => {
  await pool1?.close();
  await pool2?.close();
  f?.dispose();
});

describe("WorkerPool", () => {
  it("1 and 2 workers give bit-identical results, equal to the in-process run, correct vs direct conv", async () => {
    using ct = f.client.encrypt(L.pack(x), { level: 2 });
    const bytes = ct.toBytes();
    const a = await pool1!.run(plan.program, bytes);
    const b = await pool2!.run(plan.program, bytes);
    using local = runLinearEncrypted(plan.program, ct, f.ev);
    expect(Buffer.from(a.output).equals(Buffer.from(b.output))).toBe(true);
    using out = Ciphertext.fromBytes(f.ctx, b.output);
    // the pool's keys were generated separately from the fixture's, so compare the decrypted values: each run is
    // within 1e-6 of the direct conv, so they differ by at most 2e-6 (independent key-switching noise; a 1e-6
    // bound on the difference failed once in CI at 1.7e-6)
    const ref = plan.output!.pack(conv2dDirect(x, L, spec).data);
    expect(maxAbsDiff(f.client.decrypt(local), ref)).toBeLessThan(1e-6);
    expect(maxAbsDiff(f.client.decrypt(out), f.client.decrypt(local))).toBeLessThan(2e-6);
    expect(out.level).toBe(1);
    expect(maxAbsDiff(f.client.decrypt(out), ref)).toBeLessThan(1e-6);
    // both workers did work, every op ran once
    expect(b.stats.opsPerWorker.every((n) => n > 0)).toBe(true);
    expect(b.stats.opsPerWorker.reduce((s, n) => s + n, 0)).toBe(plan.program.ops.length);
    // the pool is reusable; the second run takes its diagonals from the workers' plaintext cache
    const c = await pool2!.run(plan.program, bytes);
    expect(Buffer.from(c.output).equals(Buffer.from(b.output))).toBe(true);
    // every intermediate (and the input and output) has been freed on every worker, and repeated runs do not
    // leak. Wasm heaps never shrink and grow in large steps, and the dynamic schedule decides how many values
    // are live on each worker at once, so after warm-up a worker's heap may still rise to the high-water mark
    // already reached by a worker running the same program, but not further: a leak of one ciphertext per op
    // would add 6 x ops x ciphertext bytes over the 6 runs, and we allow one run's worth above the mark.
    for (let k = 0; k < 3; k++) await pool2!.run(plan.program, bytes);
    const s1 = await pool2!.workerStats();
    expect(s1.map((s) => s.values)).toEqual([0, 0]);
    for (let k = 0; k < 6; k++) await pool2!.run(plan.program, bytes);
    const s2 = await pool2!.workerStats();
    expect(s2.map((s) => s.values)).toEqual([0, 0]);
    const highWater = Math.max(...s1.map((s) => s.wasmHeapBytes));
    const oneRunOfLeaks = plan.program.ops.length * bytes.length;
    for (const s of s2) expect(s.wasmHeapBytes).toBeLessThanOrEqual(highWater + oneRunOfLeaks);
  });

  it("propagates a worker-side failure with the worker, op and SEAL context", async () => {
    using ct = f.client.encrypt(L.pack(x), { level: 2 });
    const ops: SlotOp[] = [{ op: "rotate", a: 0, step: 1 }, { op: "rotate", a: 0, step: 7 }, { op: "add", a: 1, b: 2 }];
    const other: SlotProgram = { slots, ops, output: 3, plains: [], ...analyzeProgram(slots, ops, 3) };
    expect(plan.program.steps).not.toContain(7);
    await expect(pool2!.run(other, ct.toBytes())).rejects.toThrow(/worker \d, op 1 \(rotate 7\).*no Galois key for rotation step 7/);
    // a failed run leaves nothing behind and the pool keeps working
    expect((await pool2!.workerStats()).map((s) => s.values)).toEqual([0, 0]);
    const again = await pool2!.run(plan.program, ct.toBytes());
    expect(again.output.byteLength).toBeGreaterThan(0);
  });

  it("keyAffinity: each worker loads only its share of the Galois keys, same result", async () => {
    using ct = f.client.encrypt(L.pack(x), { level: 2 });
    const bytes = ct.toBytes();
    const keys = { relinKeys: f.client.relinKeys(), galoisKeys: f.client.galoisKeys(plan.program.steps) };
    const pa = await WorkerPool.create({ params: SMALL, keys, workers: 1, allowInsecure: true });
    const pb = await WorkerPool.create({ params: SMALL, keys, workers: 2, allowInsecure: true, keyAffinity: true });
    try {
      const a = await pa.run(plan.program, bytes);
      const b = await pb.run(plan.program, bytes);
      expect(Buffer.from(a.output).equals(Buffer.from(b.output))).toBe(true);
      const [w0, w1] = (await pb.workerStats()).map((s) => s.residentKeySteps);
      expect(w0!.length).toBeGreaterThan(0);
      expect(w1!.length).toBeGreaterThan(0);
      expect(w0!.filter((s) => w1!.includes(s))).toEqual([]);
      expect([...w0!, ...w1!].sort((p, q) => p - q)).toEqual(plan.program.steps);
    } finally {
      await pa.close();
      await pb.close();
    }
  });

  it("refuses bad sizes and closed pools", async () => {
    await expect(WorkerPool.create({ params: SMALL, keys: { relinKeys: new Uint8Array(), galoisKeys: new Map() }, workers: 0 })).rejects.toThrow(/workers must be/);
    const p = await WorkerPool.create({ params: SMALL, keys: { relinKeys: f.client.relinKeys(), galoisKeys: new Map() }, workers: 1, allowInsecure: true });
    await p.close();
    await expect(p.run(plan.program, new Uint8Array())).rejects.toThrow(/closed/);
  });
});
