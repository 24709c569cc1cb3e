import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rng, SMALL } from "./helpers.js";
import { CkksContext } from "../src/context.js";
import { CkksClient } from "../src/client.js";
import { Evaluator } from "../src/evaluator.js";
import { BOOT_TEST_N12 } from "../src/bootstrap/presets.js";
import { sampleSparseTernary, secretKeyBytes } from "../src/bootstrap/sparse-secret.js";
import { Bootstrapper, halfWorkerGaloisSteps, planBootstrap } from "../src/bootstrap/bootstrapper.js";
import { HalfWorker } from "../src/bootstrap/half-worker.js";
import { giantStepsOf } from "../src/bootstrap/hom-dft.js";
import type { EvaluationKeys } from "../src/client.js";

function meanBits(out: Float64Array, ref: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < ref.length; i++) sum += Math.abs(out[i] - ref[i]);
  return -Math.log2(sum / ref.length);
}

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);

describe("full-slot bootstrap on two threads (HalfWorker, N=2^12 test chain)", () => {
  let ctx: CkksContext;
  let client: CkksClient;
  let keys: EvaluationKeys;
  let ev: Evaluator;
  let boot: Bootstrapper;
  let half: HalfWorker;
  /** Without the giant-step keys: the EvalMod half only. */
  let halfEm: HalfWorker;
  /** Every key halfWorkerGaloisSteps names: CoeffToSlot's output, the negative giant chains, SlotToCoeff's baby steps. */
  let halfAll: HalfWorker;
  /** The chain and baby-step keys but not CoeffToSlot's giant steps: EvalMod half + chains + baby steps. */
  let halfNoC2S: HalfWorker;
  /** Single-output DFT levels with negative giants (the chains a worker can take). */
  let chainLevels: number;
  /** Single-input DFT levels whose baby steps split at a jump. */
  let jumpLevels: number;
  /** The plan's keys alone (no baby-step jumps): the default one-thread bootstrap. */
  let planKeysOnly: EvaluationKeys;
  beforeAll(async () => {
    ctx = await CkksContext.create(BOOT_TEST_N12.params, { allowInsecure: true });
    const r = rng(41);
    client = new CkksClient(ctx, { secretKey: secretKeyBytes(ctx, sampleSparseTernary(ctx.N, 64, (n) => Math.floor(r() * n))) });
    const plan = planBootstrap(ctx, { layout: BOOT_TEST_N12.layout, hammingWeight: 64, failureLog2: -32 });
    // the bootstrapper's thread holds the worker's keys too: it then uses the baby-step jumps on one thread as well
    keys = client.evaluationKeys([...new Set([...plan.rotationSteps, ...halfWorkerGaloisSteps(plan)])]);
    ev = new Evaluator(ctx, keys);
    boot = new Bootstrapper(ctx, ev, plan);
    jumpLevels = [...plan.c2sSchedules, ...plan.s2cSchedules].filter((sch) => sch.babyJump > 0).length;
    planKeysOnly = client.evaluationKeys(plan.rotationSteps);
    const giant = new Map(giantStepsOf(plan.c2sSchedules[plan.c2sSchedules.length - 1]!).map((k) => [k, keys.galoisKeys.get(k)!]));
    const all = new Map(halfWorkerGaloisSteps(plan).map((k) => [k, keys.galoisKeys.get(k)!]));
    const noC2S = new Map([...all].filter(([k]) => !giant.has(k)));
    chainLevels = [...plan.c2sSchedules.slice(0, -1), ...plan.s2cSchedules].filter((s) => Math.min(...s.giants) < 0).length;
    const make = (galoisKeys?: Map<number, Uint8Array>) =>
      HalfWorker.create({ params: BOOT_TEST_N12.params, allowInsecure: true, relinKeys: keys.relinKeys, conjugationKey: keys.galoisKeys.get(0)!, ...(galoisKeys ? { galoisKeys } : {}) });
    [half, halfEm, halfAll, halfNoC2S] = await Promise.all([make(giant), make(), make(all), make(noC2S)]);
  });
  afterAll(async () => {
    await half?.close();
    await halfEm?.close();
    await halfAll?.close();
    await halfNoC2S?.close();
    boot?.dispose();
    ev?.dispose();
    client?.dispose();
    ctx?.dispose();
  });

  it("gives the bit-identical ciphertext of the one-thread bootstrap, with CoeffToSlot's second output and its EvalMod half on the worker", () => {
    const r = rng(5);
    const msg = Float64Array.from({ length: ctx.slots }, () => 2 * r() - 1);
    using ct = client.encrypt(msg, { level: 0 });
    // everything precomputed at N=2^12: the bytes held are the NTT data plus one header per plaintext
    expect(boot.allPrecomputedBytes).toBeLessThanOrEqual(boot.plaintextBytes);
    expect(boot.allPrecomputedBytes).toBeGreaterThan(0.99 * boot.plaintextBytes);
    boot.useHalfWorker(undefined);
    const one = boot.bootstrap(ct);
    const outs = [one.ct];
    try {
      // with the giant-step keys the worker takes CoeffToSlot's second output; without, the EvalMod half only
      // with every key it also runs the negative giant chains, the upper baby steps of single-input levels
      // and answers SlotToCoeff's baby steps
      expect(chainLevels).toBeGreaterThanOrEqual(2);
      expect(jumpLevels).toBeGreaterThanOrEqual(2);
      // the baby-step jumps change the rotations, not the result: the bootstrap with the plan's keys alone
      // (chained baby steps) decrypts to the same values within the bootstrap's precision
      {
        using ev0 = new Evaluator(ctx, planKeysOnly);
        using boot0 = new Bootstrapper(ctx, ev0, boot.plan);
        using chained = boot0.bootstrap(ct).ct;
        const a = client.decrypt(chained);
        const b = client.decrypt(one.ct);
        expect(meanBits(a, msg)).toBeGreaterThanOrEqual(12);
        expect(meanBits(a, b)).toBeGreaterThanOrEqual(15);
        expect(equalBytes(chained.toBytes(), one.ct.toBytes())).toBe(false);
      }
      for (const [hw, takesC2S, more] of [
        [half, true, false],
        [halfEm, false, false],
        [halfAll, true, true],
        [halfNoC2S, false, true],
      ] as const) {
        boot.useHalfWorker(hw);
        expect(boot.halfWorkerTakesCoeffToSlot).toBe(takesC2S);
        expect(boot.halfWorkerParts).toEqual({ coeffToSlotOutput: takesC2S, giantChains: more ? chainLevels : 0, slotToCoeffBabySteps: more, babySplits: more ? jumpLevels : 0 });
        const before = { halves: hw.halves, dft: hw.dftOutputs, chains: hw.chains, babies: hw.babyRanges };
        const two = boot.bootstrap(ct);
        outs.push(two.ct);
        expect(hw.halves).toBe(before.halves + 1);
        expect(hw.dftOutputs).toBe(before.dft + (takesC2S ? 1 : 0));
        expect(hw.chains).toBe(before.chains + (more ? chainLevels : 0));
        expect(hw.babyRanges).toBe(before.babies + (more ? jumpLevels : 0));
        expect(two.ct.level).toBe(one.ct.level);
        expect(equalBytes(two.ct.toBytes(), one.ct.toBytes())).toBe(true);
        const bits = meanBits(client.decrypt(two.ct), msg);
        console.log(`two-thread bootstrap N=2^12 (worker parts ${JSON.stringify(boot.halfWorkerParts)}): mean ${bits.toFixed(2)} bits; timings 1 thread ${JSON.stringify(one.timings)}, 2 threads ${JSON.stringify(two.timings)}`);
        expect(bits).toBeGreaterThanOrEqual(12);
      }
    } finally {
      for (const o of outs) o.dispose();
      boot.useHalfWorker(undefined);
    }
    // detaching forgets what the bootstrapper registered on each worker
    for (const hw of [half, halfEm, halfAll, halfNoC2S]) expect(hw.registeredIds()).toEqual([]);
  });

  it("reports a failure inside the worker's half by name and stays usable", () => {
    const job = { evalMod: boot.plan.evalMod, startLevel: boot.plan.levels.evalMod, startScale: boot.plan.evalModScale, toLevel: boot.plan.levels.slotToCoeff, realPartFirst: true };
    // a ciphertext at the wrong level for EvalMod
    using wrong = client.encrypt(new Float64Array(ctx.slots), { level: 1 });
    half.start(wrong, job);
    expect(() => half.finish(ctx)).toThrow(/bootstrap half worker: .*EvalMod input does not match its scale ledger/);
    expect(() => half.finish(ctx)).toThrow(/no half is running/);
    // an output id the worker never registered
    half.startDftOutput(999, [[wrong]], boot.plan.evalModScale, job);
    expect(() => half.finish(ctx)).toThrow(/bootstrap half worker: DFT output 999 is not registered/);
    half.startChain(999, [[wrong]]);
    expect(() => half.finish(ctx)).toThrow(/bootstrap half worker: DFT output 999 is not registered/);
    // a chain of a registered output from baby steps at the wrong level (SEAL refuses the product)
    boot.useHalfWorker(halfAll);
    halfAll.startChain(halfAll.registeredIds()[1]!, [[wrong]]);
    expect(() => halfAll.finish(ctx)).toThrow(/bootstrap half worker: DFT level \d+ negative giant chain: /);
    boot.useHalfWorker(undefined);
    // baby steps: a range that does not start after x_0, and a rotation whose key the worker lacks
    expect(() => halfEm.startBabyRange(wrong, 1, 0, 3, 0)).toThrow(/need 1 <= from <= to, got 0..3/);
    halfEm.startBabyRange(wrong, 1, 2, 3, 2);
    expect(() => halfEm.finishAll(ctx)).toThrow(/bootstrap half worker: baby steps 2..3: .*Galois key/i);
    // the next bootstrap through the worker is still exact
    const r = rng(9);
    const msg = Float64Array.from({ length: ctx.slots }, () => 2 * r() - 1);
    using ct = client.encrypt(msg, { level: 0 });
    boot.useHalfWorker(half);
    try {
      const { ct: out } = boot.bootstrap(ct);
      using o = out;
      expect(meanBits(client.decrypt(o), msg)).toBeGreaterThanOrEqual(12);
    } finally {
      boot.useHalfWorker(undefined);
    }
  });

  it("refuses a worker of another parameter set, and keys that do not load", async () => {
    const other = await CkksContext.create(SMALL, { allowInsecure: true });
    try {
      const otherClient = new CkksClient(other);
      try {
        const k = otherClient.evaluationKeys([0]);
        const foreign = await HalfWorker.create({ params: SMALL, allowInsecure: true, relinKeys: k.relinKeys, conjugationKey: k.galoisKeys.get(0)! });
        try {
          expect(() => boot.useHalfWorker(foreign)).toThrow(/half worker was built for parameter set 'test-small'.*boot-test-n12/);
        } finally {
          await foreign.close();
        }
        // keys of test-small handed to a worker told to build boot-test-n12
        await expect(
          HalfWorker.create({ params: BOOT_TEST_N12.params, allowInsecure: true, relinKeys: k.relinKeys, conjugationKey: k.galoisKeys.get(0)! }),
        ).rejects.toThrow(/bootstrap half worker/);
      } finally {
        otherClient.dispose();
      }
    } finally {
      other.dispose();
    }
  });
});
