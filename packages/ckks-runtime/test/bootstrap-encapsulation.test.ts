import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CkksContext } from "../src/context.js";
import { CkksClient } from "../src/client.js";
import { Evaluator } from "../src/evaluator.js";
import { BOOT_N15, BOOT_N15_CNN, BOOT_N15_L6, BOOT_TEST_N12, layoutBits } from "../src/bootstrap/presets.js";
import { SecretEncapsulation, createBootstrapClient, makeEncapsulationKeys, type EncapsulationKeys } from "../src/bootstrap/encapsulation.js";
import { sampleSparseTernary, secretKeyBytes } from "../src/bootstrap/sparse-secret.js";
import { Bootstrapper, planBootstrap, type BootstrapStages } from "../src/bootstrap/bootstrapper.js";
import { CT } from "../src/bootstrap/seal-bytes.js";
import { coeffToSlotError } from "./bootstrap-helpers.js";
import { validateParameters } from "../src/params.js";
import { randInt, rng } from "./helpers.js";

const maxErr = (a: Float64Array, b: ArrayLike<number>, n = b.length) => {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe("sparse-secret encapsulation: forged switching keys (N=2^12, 4 primes)", () => {
  let ctx: CkksContext;
  let dense: CkksClient;
  let ephemeral: CkksClient;
  let keys: EncapsulationKeys;
  let enc: SecretEncapsulation;
  const N = 4096;
  const msg = Float64Array.from({ length: N / 2 }, (_, i) => Math.sin(0.37 * i) * 3);
  beforeAll(async () => {
    ctx = await CkksContext.create(
      { name: "sse-test", N, coeffModulusBits: [50, 40, 40, 60], logScale: 40, secret: { kind: "uniform-ternary" }, insecure: true },
      { allowInsecure: true },
    );
    dense = new CkksClient(ctx);
    keys = makeEncapsulationKeys(dense, 32, randInt(7));
    // the same generator sequence rebuilds the ephemeral secret, for checking only
    ephemeral = new CkksClient(ctx, { secretKey: secretKeyBytes(ctx, sampleSparseTernary(N, 32, randInt(7))) });
    enc = new SecretEncapsulation(ctx, keys);
  });
  afterAll(() => {
    enc?.dispose();
    ephemeral?.dispose();
    dense?.dispose();
    ctx?.dispose();
  });

  it("s -> s' at level 0: decrypts under the ephemeral secret, not under the main one; back again round-trips", () => {
    const ct = dense.encrypt(msg, { level: 0 });
    const e = enc.toEphemeral(ct);
    expect(maxErr(ephemeral.decrypt(e), msg)).toBeLessThan(1e-6);
    expect(maxErr(dense.decrypt(e), msg)).toBeGreaterThan(1);
    const back = enc.fromEphemeral(e);
    expect(back.level).toBe(0);
    expect(back.scale).toBe(ct.scale);
    expect(maxErr(dense.decrypt(back), msg)).toBeLessThan(1e-6);
    for (const c of [ct, e, back]) c.dispose();
  });

  it("s' -> s works at the top level (where the raised ciphertext is)", () => {
    const ce = ephemeral.encrypt(msg, { level: ctx.topLevel });
    const back = enc.fromEphemeral(ce);
    expect(back.level).toBe(ctx.topLevel);
    expect(maxErr(dense.decrypt(back), msg)).toBeLessThan(1e-6);
    ce.dispose();
    back.dispose();
  });

  it("the s -> s' key is refused above level 0, and publishes nothing under s' beyond the primes q0 and P", () => {
    const ct = dense.encrypt(msg, { level: 1 });
    expect(() => enc.toEphemeral(ct)).toThrow(/only defined at level 0/);
    ct.dispose();
    const dv = new DataView(keys.toEphemeral.buffer, keys.toEphemeral.byteOffset, keys.toEphemeral.byteLength);
    expect(Number(dv.getBigUint64(56, true))).toBe(1); // one decomposition entry
    const K = ctx.primes.length;
    const base = 64 + CT.data;
    for (let poly = 0; poly < 2; poly++) {
      for (let i = 0; i < K; i++) {
        let nonZero = 0;
        for (let k = 0; k < N; k++) if (dv.getBigUint64(base + 8 * ((poly * K + i) * N + k), true) !== 0n) nonZero++;
        if (i === 0 || i === K - 1) expect(nonZero).toBeGreaterThan(N / 2);
        else expect(nonZero).toBe(0);
      }
    }
    // the full key s' -> s has one entry per data prime
    const fv = new DataView(keys.fromEphemeral.buffer, keys.fromEphemeral.byteOffset, keys.fromEphemeral.byteLength);
    expect(Number(fv.getBigUint64(56, true))).toBe(K - 1);
  });

  it("rejects a foreign key blob with a clear error", () => {
    const bad = { ...keys, toEphemeral: keys.toEphemeral.slice(0, 1000) };
    expect(() => new SecretEncapsulation(ctx, bad)).toThrow(/encapsulation key/);
  });
});

describe("bootstrapping with encapsulation end to end (boot-test-n12: dense secret, ephemeral h=32)", () => {
  let ctx: CkksContext;
  let client: CkksClient;
  let ephemeral: CkksClient;
  let ev: Evaluator;
  let boot: Bootstrapper;
  beforeAll(async () => {
    ctx = await CkksContext.create(BOOT_TEST_N12.params, { allowInsecure: true });
    const made = createBootstrapClient(ctx, BOOT_TEST_N12, randInt(5));
    client = made.client;
    ephemeral = new CkksClient(ctx, { secretKey: secretKeyBytes(ctx, sampleSparseTernary(ctx.N, BOOT_TEST_N12.hammingWeight, randInt(5))) });
    const plan = planBootstrap(ctx, { layout: BOOT_TEST_N12.layout, hammingWeight: BOOT_TEST_N12.hammingWeight, failureLog2: BOOT_TEST_N12.failureLog2 });
    ev = new Evaluator(ctx, client.evaluationKeys(plan.rotationSteps));
    boot = new Bootstrapper(ctx, ev, plan, { encapsulation: new SecretEncapsulation(ctx, made.encapsulation!) });
  }, 60_000);
  afterAll(() => {
    boot?.dispose();
    ev?.dispose();
    ephemeral?.dispose();
    client?.dispose();
    ctx?.dispose();
  });

  it("the main secret is dense: a ciphertext does not decrypt under the ephemeral key", () => {
    const ct = client.encrypt(Float64Array.of(1, 2, 3), { level: 0 });
    expect(Math.abs(ephemeral.decrypt(ct)[0] - 1)).toBeGreaterThan(1);
    ct.dispose();
  });

  it("K follows the ephemeral weight (h=32 -> K=16, failure <= 2^-100) and EvalMod fits in 8 levels", () => {
    expect(boot.plan.evalMod.K).toBe(16);
    expect(boot.plan.evalMod.failureLog2).toBeLessThanOrEqual(-100);
    expect(boot.plan.evalMod.depth).toBe(8);
  });

  it("raised ciphertext is back under the main secret, and the whole bootstrap reaches >= 12 bits", () => {
    const n = ctx.slots;
    const r = rng(9);
    const msg = Float64Array.from({ length: n }, () => 2 * r() - 1);
    const ct = client.encrypt(msg, { level: 0 });
    const stages: BootstrapStages = {};
    const { ct: out } = boot.bootstrap(ct, stages);
    // after ModRaise under s' and the switch back, CoeffToSlot (under the main key) holds K·u = I + m_k/q0
    // with integer |I| < K: the overflow of the *ephemeral* secret, which the main key's ModRaise would
    // have made far larger
    const plan = boot.plan;
    const K = plan.evalMod.K;
    const { c2sErr, maxI } = coeffToSlotError(plan, ctx.N, msg, stages.c2s!.map((c) => client.decrypt(c)));
    expect(maxI).toBeGreaterThan(0);
    expect(maxI).toBeLessThan(K);
    expect(c2sErr).toBeLessThan(2 ** -28);
    const got = client.decrypt(out);
    let sum = 0;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.abs(got[i] - msg[i]);
      sum += e;
      max = Math.max(max, e);
    }
    const mean = -Math.log2(sum / n);
    console.log(`N=2^12 bootstrap with encapsulation: mean ${mean.toFixed(2)} bits, min ${(-Math.log2(max)).toFixed(2)}, max |I| ${maxI}, C2S err 2^${Math.log2(c2sErr).toFixed(1)}`);
    expect(mean).toBeGreaterThanOrEqual(12);
    expect(-Math.log2(max)).toBeGreaterThanOrEqual(10);
    expect(out.level).toBe(BOOT_TEST_N12.layout.appLevels);
    ct.dispose();
    out.dispose();
    for (const c of [stages.raised, ...(stages.c2s ?? []), ...(stages.evalMod ?? [])]) c?.dispose();
  }, 120_000);
});

describe("production bootstrapping presets", () => {
  it("boot-n15 and boot-n15-l6 are 128-bit by the HE standard table (dense secret) and their layouts add up", () => {
    for (const p of [BOOT_N15, BOOT_N15_L6, BOOT_N15_CNN]) {
      expect(p.encapsulation).toBe(true);
      expect(p.params.insecure).toBe(false);
      const v = validateParameters(p.params);
      expect(v.secure128).toBe(true);
      expect(v.logQP).toBeLessThanOrEqual(881);
      expect(layoutBits(p.params.logScale, p.layout)).toEqual(p.params.coeffModulusBits);
    }
    expect(BOOT_N15.layout.appLevels).toBe(7);
    expect(BOOT_N15_L6.layout.appLevels).toBe(6);
    expect(BOOT_N15_CNN.layout.appLevels).toBe(7);
    expect(BOOT_N15_CNN.layout.q0Bits - BOOT_N15_CNN.params.logScale).toBe(12);
  });
});
