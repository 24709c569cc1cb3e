// Two threads per bootstrap through the whole executor (N = 2^12, the real bootstrapper, dense secret +
// encapsulation): HeInferenceSession({ bootstrapThreads: 2 }) starts one half worker, every full-slot bootstrap
// of the program runs CoeffToSlot's second output and its EvalMod half there, and the logits match onnxruntime within the one-thread
// run's tolerance (compiler-e2e.test.ts). Bit-identity with one thread is checked per bootstrap in
// bootstrap-half-worker.test.ts (a session encrypts with fresh randomness, so two sessions cannot be compared byte for byte).
import { describe, expect, it } from "vitest";
import { findActivationSites, importOnnx, OnnxRunner, replaceActivations } from "@ola/models";
import { BOOT_TEST_N12 } from "../src/bootstrap/presets.js";
import { compileHeProgram, HeInferenceSession } from "../src/compiler/index.js";
import { argmax, maxAbs, randomImage, relu, tinyResidualCnn } from "./compiler-helpers.js";


describe("two threads per bootstrap in the encrypted executor (N=2^12)", () => {
  it("tiny residual CNN: every bootstrap uses the half worker; logits match onnxruntime", { timeout: 240_000 }, async () => {
    const bytes = tinyResidualCnn();
    const g = importOnnx(bytes);
    const sites = findActivationSites(g);
    const programs = new Map(sites.map((s) => [s.id, relu(2, 4)]));
    const p = compileHeProgram(g, sites, programs, { slots: BOOT_TEST_N12.params.N / 2, levelsAfterBootstrap: BOOT_TEST_N12.layout.appLevels });
    expect(p.summary.bootstraps).toBeGreaterThan(0);
    const image = randomImage(2 * 64, 8);
    const m = replaceActivations(bytes, sites.map((s) => ({ siteId: s.id, program: programs.get(s.id)! })));
    const r = await OnnxRunner.create(m);
    const ref = (await r.runBatch(image, [1, 2, 8, 8])).data;
    await r.release();

    await expect(HeInferenceSession.create(p, { bootstrapPreset: BOOT_TEST_N12, allowInsecure: true, bootstrapThreads: 3 as 2 })).rejects.toThrow(/bootstrapThreads must be 1 or 2, got 3/);
    using session = await HeInferenceSession.create(p, { bootstrapPreset: BOOT_TEST_N12, allowInsecure: true, bootstrapThreads: 2 });
    expect(session.bootstrapThreads).toBe(2);
    const { values, report } = session.run(p, image);
    expect(report.bootstraps).toBe(p.summary.bootstraps);
    expect(session.halfWorker!.halves).toBe(p.summary.bootstraps);
    // the session gives the worker the giant-step keys: it also evaluates CoeffToSlot's second output
    expect(session.halfWorker!.dftOutputs).toBe(p.summary.bootstraps);
    // and the negative giant chains of the single-output DFT levels
    expect(session.halfWorker!.chains).toBeGreaterThanOrEqual(2 * p.summary.bootstraps);
    const err = maxAbs(values, ref);
    console.log(`${p.summary.bootstraps} two-thread bootstraps: ${report.byKind.bootstrap.toFixed(1)} s, max |err| vs onnxruntime ${err.toExponential(2)}, waited ${session.halfWorker!.waitSeconds.toFixed(1)} s for the worker`);
    expect(err).toBeLessThan(1e-2);
    expect(argmax(values)).toBe(argmax(ref));
  });
});
