import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rng } from "./helpers.js";
import { CkksContext } from "../src/context.js";
import { CkksClient } from "../src/client.js";
import { Evaluator } from "../src/evaluator.js";
import { BOOT_TEST_N12 } from "../src/bootstrap/presets.js";
import { sampleSparseTernary, secretKeyBytes } from "../src/bootstrap/sparse-secret.js";
import { Bootstrapper, planBootstrap, type BootstrapStages } from "../src/bootstrap/bootstrapper.js";
import { encodeDirect } from "../src/bootstrap/encoding-map.js";
import { coeffToSlotError } from "./bootstrap-helpers.js";


function precision(out: Float64Array, ref: Float64Array): { mean: number; min: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(out[i] - ref[i]);
    sum += e;
    max = Math.max(max, e);
  }
  return { mean: -Math.log2(sum / ref.length), min: -Math.log2(max) };
}

describe("bootstrapping end to end (N=2^12, h=64, insecure test chain)", () => {
  let ctx: CkksContext;
  let client: CkksClient;
  let ev: Evaluator;
  let boot: Bootstrapper;
  beforeAll(async () => {
    ctx = await CkksContext.create(BOOT_TEST_N12.params, { allowInsecure: true });
    const r = rng(11);
    client = new CkksClient(ctx, { secretKey: secretKeyBytes(ctx, sampleSparseTernary(ctx.N, 64, (n) => Math.floor(r() * n))) });
    const plan = planBootstrap(ctx, { layout: BOOT_TEST_N12.layout, hammingWeight: 64, failureLog2: -32 });
    ev = new Evaluator(ctx, client.evaluationKeys(plan.rotationSteps));
    // a small budget: SlotToCoeff precomputed as NTT bytes, CoeffToSlot kept lazily (both paths exercised)
    boot = new Bootstrapper(ctx, ev, plan, { plaintextBudgetBytes: 12 * 2 ** 20 });
  });
  afterAll(() => {
    boot?.dispose();
    ev?.dispose();
    client?.dispose();
    ctx?.dispose();
  });

  it("plans a small key set and the levels of the layout", () => {
    const p = boot.plan;
    expect(p.levels.output).toBe(BOOT_TEST_N12.layout.appLevels);
    expect(p.rotationSteps.length).toBeLessThanOrEqual(12);
    expect(p.evalMod.failureLog2).toBeLessThanOrEqual(-32);
    expect(boot.plaintextBytes).toBeGreaterThan(0);
  });

  it("each stage matches its plaintext reference, and the whole bootstrap reaches >= 12 bits", () => {
    const n = ctx.slots;
    const r = rng(3);
    const msg = Float64Array.from({ length: n }, () => 2 * r() - 1);
    const ct = client.encrypt(msg, { level: 0 });
    const stages: BootstrapStages = {};
    const { ct: out, timings } = boot.bootstrap(ct, stages);
    const plan = boot.plan;
    const K = plan.evalMod.K;
    // CoeffToSlot: K·u = I + m_k/q0 with integer I, |I| < K, and m_k/Δ0 = the message's coefficients
    const halves = stages.c2s!.map((c) => client.decrypt(c));
    const { c2sErr, maxI } = coeffToSlotError(plan, ctx.N, msg, halves);
    expect(maxI).toBeGreaterThan(0);
    expect(maxI).toBeLessThan(K);
    expect(c2sErr).toBeLessThan(2 ** -30);
    // EvalMod: ≈ sin(2π x) of its (decrypted) input
    let emErr = 0;
    const emOut = stages.evalMod!.map((c) => client.decrypt(c));
    emOut.forEach((y, h) => {
      for (let s = 0; s < n; s++) emErr = Math.max(emErr, Math.abs(y[s] / 2 - Math.sin(2 * Math.PI * K * halves[h][s])));
    });
    expect(emErr).toBeLessThan(2 ** -20);
    // SlotToCoeff: the encoding (float64, direct map) of the coefficients EvalMod produced
    const coeffOut = new Float64Array(ctx.N);
    emOut.forEach((y, h) => {
      const perm = h === 0 ? plan.slotToCoeff.permA : plan.slotToCoeff.permB;
      for (let s = 0; s < n; s++) coeffOut[perm[s]] = (y[s] / 2) * plan.q0 / (2 * Math.PI * plan.inputScale);
    });
    const s2cRef = encodeDirect(coeffOut, ctx.N);
    // whole bootstrap
    expect(out.level).toBe(plan.levels.output);
    expect(out.scale).toBe(ctx.levelInfo(plan.levels.output).canonicalScale);
    const got = client.decrypt(out);
    const s2cPrec = precision(got, s2cRef.re);
    expect(s2cPrec.min).toBeGreaterThan(20);
    const p = precision(got, msg);
    console.log(`SlotToCoeff vs its float64 reference: min ${s2cPrec.min.toFixed(1)} bits`);
    console.log(`N=2^12 bootstrap: mean ${p.mean.toFixed(2)} bits, min ${p.min.toFixed(2)} bits, C2S err 2^${Math.log2(c2sErr).toFixed(1)}, EvalMod err 2^${Math.log2(emErr).toFixed(1)}, timings ${JSON.stringify(timings)}`);
    expect(p.mean).toBeGreaterThanOrEqual(12);
    // the output is usable: one multiplication at the output level
    const sq = ev.mul(out, out);
    const d = client.decrypt(sq);
    expect(precision(d, msg.map((v) => v * v)).mean).toBeGreaterThan(10);
    [ct, out, sq, stages.raised!, ...stages.c2s!, ...stages.evalMod!].forEach((c) => c.dispose());
  });

  it("a bootstrapped ciphertext, brought back to level 0, bootstraps again without losing precision", () => {
    const n = ctx.slots;
    const r = rng(23);
    const msg = Float64Array.from({ length: n }, () => 2 * r() - 1);
    let ct = client.encrypt(msg, { level: 0 });
    const bits: number[] = [];
    for (let round = 0; round < 2; round++) {
      const { ct: out } = boot.bootstrap(ct);
      ct.dispose();
      bits.push(precision(client.decrypt(out), msg).mean);
      ct = ev.adjust(out, 0); // level 0 at its canonical scale (one multiplication by 1)
      out.dispose();
    }
    ct.dispose();
    console.log(`repeated bootstrap: mean precision ${bits.map((b) => b.toFixed(2)).join(" -> ")} bits`);
    expect(bits[0]).toBeGreaterThanOrEqual(12);
    expect(bits[1]).toBeGreaterThan(bits[0] - 1.5);
  });

  it("sparse packing (n = 256 of 2048 slots): trace, one repacked EvalMod, n-periodic output", () => {
    const n = 256;
    const plan = planBootstrap(ctx, { layout: BOOT_TEST_N12.layout, hammingWeight: 64, failureLog2: -32, slots: n });
    expect(plan.traceSteps).toEqual([256, 512, 1024]);
    const sev = new Evaluator(ctx, client.evaluationKeys(plan.rotationSteps));
    const sboot = new Bootstrapper(ctx, sev, plan);
    try {
      const r = rng(17);
      const vals = Float64Array.from({ length: n }, () => 2 * r() - 1);
      const msg = Float64Array.from({ length: ctx.slots }, (_, i) => vals[i % n]);
      const ct = client.encrypt(msg, { level: 0 });
      const stages: BootstrapStages = {};
      const { ct: out } = sboot.bootstrap(ct, stages);
      expect(stages.c2s!.length).toBe(1);
      const got = client.decrypt(out);
      const p = precision(got, msg);
      console.log(`N=2^12 sparse n=${n} bootstrap: mean ${p.mean.toFixed(2)} bits, min ${p.min.toFixed(2)} bits, K=${plan.evalMod.K}`);
      expect(p.mean).toBeGreaterThanOrEqual(12);
      [ct, out, stages.raised!, ...stages.c2s!, ...stages.evalMod!].forEach((c) => c.dispose());
    } finally {
      sboot.dispose();
      sev.dispose();
    }
  });
});
