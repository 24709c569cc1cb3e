// Sparse-slot bootstraps end to end (N = 2^12, the real Bootstrapper, dense secret + encapsulation): the tiny
// residual CNN's values have copies > 1 (period 256 = 8 copies before the stride-2 conv, 128 = 16 copies after
// it), so HeInferenceSession({ sparseBootstraps: true }) plans 256- and 128-slot bootstrappers and refreshes
// every value with the one of its period. The logits match onnxruntime (same polynomials) and the slot
// simulation within the full-slot run's tolerance, and the report lists the sparse slot count of every bootstrap.
import { describe, expect, it } from "vitest";
import { findActivationSites, importOnnx, OnnxRunner, replaceActivations } from "@ola/models";
import { BOOT_TEST_N12 } from "../src/bootstrap/presets.js";
import { bootstrapSites, compileHeProgram, HeInferenceSession, simulateHeProgram } from "../src/compiler/index.js";
import { argmax, maxAbs, randomImage, relu, tinyResidualCnn } from "./compiler-helpers.js";


describe("sparse-slot bootstraps in the encrypted executor (N=2^12, real bootstrapper)", () => {
  it("tiny residual CNN: sparse 256/128-slot bootstraps match onnxruntime within the full-slot tolerance", { timeout: 180_000 }, async () => {
    const bytes = tinyResidualCnn();
    const g = importOnnx(bytes);
    const sites = findActivationSites(g);
    const programs = new Map(sites.map((s) => [s.id, relu(2, 4)]));
    const slots = BOOT_TEST_N12.params.N / 2;
    const p = compileHeProgram(g, sites, programs, { slots, levelsAfterBootstrap: BOOT_TEST_N12.layout.appLevels });
    const periods = bootstrapSites(p).map((b) => b.period!);
    expect(new Set(periods)).toEqual(new Set([256, 128]));
    const image = randomImage(2 * 64, 6);
    const m = replaceActivations(bytes, sites.map((s) => ({ siteId: s.id, program: programs.get(s.id)! })));
    const r = await OnnxRunner.create(m);
    const ref = (await r.runBatch(image, [1, 2, 8, 8])).data;
    await r.release();
    const sim = simulateHeProgram(p, image);
    expect(maxAbs(sim, ref)).toBeLessThan(1e-4);

    using session = await HeInferenceSession.create(p, { bootstrapPreset: BOOT_TEST_N12, allowInsecure: true, sparseBootstraps: true });
    const { values, report } = session.run(p, image);
    const sparse = { values, report, boots: session.bootstrapperSlots };
    expect(session.engine!.name).toContain("slots 128/256");
    expect(sparse.boots).toEqual([256, 128]);
    expect(sparse.report.bootstraps).toBe(p.summary.bootstraps);
    // every bootstrap used the sparse slot count of its value's period
    expect(sparse.report.bootstrapSlots).toEqual(periods);
    const err = maxAbs(sparse.values, ref);
    console.log(`${p.summary.bootstraps} sparse bootstraps: ${sparse.report.byKind.bootstrap.toFixed(1)} s, max |err| vs onnxruntime ${err.toExponential(2)}`);
    // the full-slot run's tolerance (compiler-e2e.test.ts)
    expect(err).toBeLessThan(1e-2);
    expect(maxAbs(sparse.values, sim)).toBeLessThan(1e-2);
    expect(argmax(sparse.values)).toBe(argmax(ref));
    // the full-slot comparison doubles the test time: only on request (README figures)
    if (process.env.OLA_SPARSE_COMPARE_FULL === "1") {
      using fs = await HeInferenceSession.create(p, { bootstrapPreset: BOOT_TEST_N12, allowInsecure: true });
      const full = fs.run(p, image);
      expect(fs.bootstrapperSlots).toEqual([slots]);
      expect(full.report.bootstrapSlots).toEqual(periods.map(() => slots));
      const errFull = maxAbs(full.values, ref);
      console.log(`${p.summary.bootstraps} full-slot bootstraps: ${full.report.byKind.bootstrap.toFixed(1)} s, max |err| vs onnxruntime ${errFull.toExponential(2)}`);
      expect(errFull).toBeLessThan(1e-2);
    }
  });
});
