// Bootstrap placement (CompileHeOptions.placement): "lazy" refreshes right before the convolution that finds
// its input at level 0, so it runs at the top level; "before-activation" (MPCNN's phase) refreshes before the
// activation, which then leaves one level for the next linear layer. With the input encrypted one level higher
// the count of refreshes does not grow and every convolution but the first runs on level 1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findActivationSites, importOnnx, OnnxRunner, replaceActivations } from "@ola/models";
import { CkksContext } from "../src/context.js";
import { CkksClient } from "../src/client.js";
import { Evaluator } from "../src/evaluator.js";
import { compileHeProgram, encryptImage, decryptLogits, programHash, programRotationSteps, runHeProgram, simulateHeProgram, type HeProgram } from "../src/compiler/index.js";
import { maxAbs, randomImage, relu, SecretKeyBootstrapDouble, tinyResidualCnn } from "./compiler-helpers.js";

const bytes = tinyResidualCnn();
const graph = importOnnx(bytes);
const sites = findActivationSites(graph);
const programs = new Map(sites.map((s) => [s.id, relu(2, 4)]));
// L = depth + 1: an activation plus its convolution fill one refresh exactly
const L = programs.get(sites[0]!.id)!.cost.depth + 1;
const convLevels = (p: HeProgram) => p.steps.flatMap((s) => (s.kind === "linear" && s.layer === "conv" ? [s.inLevel] : []));

describe("bootstrap placement", () => {
  const slots = 4096;
  const lazy = compileHeProgram(graph, sites, programs, { slots, levelsAfterBootstrap: L });
  const before = compileHeProgram(graph, sites, programs, { slots, levelsAfterBootstrap: L, inputLevel: L + 1, placement: "before-activation" });

  it("before-activation + one more input level: no more refreshes, every convolution after the first on level 1", () => {
    expect(L).toBeGreaterThanOrEqual(3);
    expect(before.summary.bootstraps).toBeLessThanOrEqual(lazy.summary.bootstraps);
    expect(lazy.summary.bootstraps).toBeGreaterThan(0);
    const lz = convLevels(lazy);
    const ba = convLevels(before);
    // lazy: convolutions right after a refresh run at the top level
    expect(lz.filter((l) => l === L).length).toBeGreaterThan(1);
    expect(ba[0]).toBe(L + 1);
    expect(ba.slice(1).every((l) => l === 1)).toBe(true);
    expect(ba.reduce((a, b) => a + b, 0)).toBeLessThan(lz.reduce((a, b) => a + b, 0));
    // every refresh of before-activation sits right before an activation
    for (const s of before.steps) if (s.kind === "bootstrap") expect(s.reason).toMatch(/^activation /);
    expect(before.placement).toBe("before-activation");
  });

  it("the default keeps its program (and hash: checkpoints and results refer to it); bad values are refused", () => {
    const explicit = compileHeProgram(graph, sites, programs, { slots, levelsAfterBootstrap: L, placement: "lazy" });
    expect(programHash(explicit)).toBe(programHash(lazy));
    expect("placement" in lazy).toBe(false);
    expect(programHash(before)).not.toBe(programHash(lazy));
    expect(() => compileHeProgram(graph, sites, programs, { slots, levelsAfterBootstrap: L, placement: "early" as "lazy" })).toThrow(/placement must be "lazy" or "before-activation", got 'early'/);
  });

  describe("encrypted (N=2^13, secret-key refresh double: test only)", () => {
    const params = { name: "test-placement", N: 8192, coeffModulusBits: [60, ...Array<number>(L + 1).fill(40), 60], logScale: 40, secret: { kind: "uniform-ternary" as const }, insecure: true };
    let ctx: CkksContext;
    let client: CkksClient;
    beforeAll(async () => {
      ctx = await CkksContext.create(params, { allowInsecure: true });
      client = new CkksClient(ctx);
    });
    afterAll(() => {
      client?.dispose();
      ctx?.dispose();
    });

    it("both placements give onnxruntime's logits; before-activation encrypts at level L+1", async () => {
      const image = randomImage(2 * 64, 9);
      const m = replaceActivations(bytes, sites.map((s) => ({ siteId: s.id, program: programs.get(s.id)! })));
      const r = await OnnxRunner.create(m);
      const ref = (await r.runBatch(image, [1, 2, 8, 8])).data;
      await r.release();
      for (const p of [lazy, before]) {
        expect(maxAbs(simulateHeProgram(p, image), ref)).toBeLessThan(1e-4);
        const ev = new Evaluator(ctx, client.evaluationKeys(programRotationSteps(p)));
        try {
          const boot = new SecretKeyBootstrapDouble(client, L);
          using ct = encryptImage(client, p, image);
          expect(ct.level).toBe(p.inputLevel);
          const { output, report } = runHeProgram(p, ev, ct, { bootstrapper: boot });
          using out = output;
          expect(boot.calls).toBe(p.summary.bootstraps);
          expect(report.bootstraps).toBe(p.summary.bootstraps);
          const logits = decryptLogits(client, p, out);
          expect(maxAbs(logits, ref)).toBeLessThan(1e-3);
        } finally {
          ev.dispose();
        }
      }
    });
  });
});
