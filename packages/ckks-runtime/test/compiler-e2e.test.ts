// End to end: a tiny residual CNN (conv, polynomial activations, residual adds, stride-2 conv, option-A shortcut,
// avgpool + fc) compiled and run encrypted, against onnxruntime running the same polynomials (replaceActivations)
// and against the compiled program's plaintext slot simulation.
// 1) N = 2^13 with the secret-key bootstrap double (TEST ONLY) and 3 levels per refresh: many bootstraps,
//    including inside a polynomial deeper than one refresh.
// 2) N = 2^12 with the real Bootstrapper (BOOT_TEST_N12: 2 application levels).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findActivationSites, importOnnx, OnnxRunner, replaceActivations } from "@ola/models";
import { CkksContext } from "../src/context.js";
import { CkksClient } from "../src/client.js";
import { Evaluator } from "../src/evaluator.js";
import { BOOT_TEST_N12 } from "../src/bootstrap/presets.js";
import { Bootstrapper, planBootstrap } from "../src/bootstrap/bootstrapper.js";
import { SecretEncapsulation, createBootstrapClient, type EncapsulationKeys } from "../src/bootstrap/encapsulation.js";
import {
  compileHeProgram,
  decryptLogits,
  encryptImage,
  programRotationSteps,
  runHeProgram,
  sealBootstrapEngine,
  simulateHeProgram,
  type HeProgram,
} from "../src/compiler/index.js";
import type { PolyProgram } from "../src/program.js";
import { argmax, maxAbs, randomImage, relu, SecretKeyBootstrapDouble, tinyCnn, tinyResidualCnn } from "./compiler-helpers.js";

const bytes = tinyResidualCnn();
const graph = importOnnx(bytes);
const sites = findActivationSites(graph);

async function onnxLogits(programs: Map<string, PolyProgram>, image: Float32Array, model = bytes, siteList = sites): Promise<Float32Array> {
  const m = replaceActivations(model, siteList.map((s) => ({ siteId: s.id, program: programs.get(s.id)! })));
  const r = await OnnxRunner.create(m);
  try {
    return (await r.runBatch(image, [1, 2, 8, 8])).data;
  } finally {
    await r.release();
  }
}


describe("tiny residual CNN, N=2^13, secret-key bootstrap double (test only)", () => {
  const params = { name: "test-compiler", N: 8192, coeffModulusBits: [60, 40, 40, 40, 60], logScale: 40, secret: { kind: "uniform-ternary" as const }, insecure: true };
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

  it("matches onnxruntime and the slot simulation; bootstraps as compiled", async () => {
    expect(sites.length).toBe(5);
    // mixed plan: shallow, medium and one polynomial deeper than a refresh (3 levels)
    const degrees = [3, 7, 5, 15, 3];
    const programs = new Map(sites.map((s, i) => [s.id, relu(degrees[i]!, 4)]));
    expect(programs.get(sites[3]!.id)!.cost.depth).toBeGreaterThan(3);
    const p: HeProgram = compileHeProgram(graph, sites, programs, { slots: ctx.slots, levelsAfterBootstrap: 3 });
    expect(p.summary.innerBootstraps).toBeGreaterThan(0);
    const image = randomImage(2 * 64, 5);
    const ref = await onnxLogits(programs, image);
    const sim = simulateHeProgram(p, image);
    expect(maxAbs(sim, ref)).toBeLessThan(1e-4);
    // server: evaluation keys only
    const keys = client.evaluationKeys(programRotationSteps(p));
    using ev = new Evaluator(ctx, keys);
    const boot = new SecretKeyBootstrapDouble(client, 3);
    const ct = encryptImage(client, p, image);
    const progress: number[] = [];
    const { output, report } = runHeProgram(p, ev, ct, { bootstrapper: boot, onStep: (_t, done) => progress.push(done) });
    const got = decryptLogits(client, p, output);
    output.dispose();
    ct.dispose();
    expect(boot.calls).toBe(p.summary.bootstraps);
    expect(report.bootstraps).toBe(p.summary.bootstraps);
    expect(progress.length).toBe(p.steps.length - 1);
    expect(maxAbs(got, sim)).toBeLessThan(1e-3);
    expect(argmax(got)).toBe(argmax(ref));
    expect(report.byKind.conv).toBeGreaterThan(0);
    expect(report.byKind.activation).toBeGreaterThan(0);
  });
});

describe("tiny residual CNN, N=2^12, the real Bootstrapper", () => {
  let ctx: CkksContext;
  let client: CkksClient;
  let encapsulation: EncapsulationKeys | undefined;
  beforeAll(async () => {
    ctx = await CkksContext.create(BOOT_TEST_N12.params, { allowInsecure: true });
    let s = 99;
    const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
    // dense main secret + encapsulation keys, as the production preset does
    ({ client, encapsulation } = createBootstrapClient(ctx, BOOT_TEST_N12, (n) => Math.floor(r() * n)));
  });
  afterAll(() => {
    client?.dispose();
    ctx?.dispose();
  });

  // conv -> act -> avgpool+fc with L = 2: a bootstrap before the depth-2 activation and one before the classifier
  it("runs end to end with real bootstraps and agrees with onnxruntime", { timeout: 240_000 }, async () => {
    const small = tinyCnn();
    const g = importOnnx(small);
    const ss = findActivationSites(g);
    const plan = planBootstrap(ctx, { layout: BOOT_TEST_N12.layout, hammingWeight: BOOT_TEST_N12.hammingWeight, failureLog2: BOOT_TEST_N12.failureLog2 });
    const L = plan.levels.output;
    // degree-2 (depth 2) activations fit one refresh of L = 2 levels
    const programs = new Map(ss.map((s) => [s.id, relu(2, 4)]));
    const p = compileHeProgram(g, ss, programs, { slots: ctx.slots, levelsAfterBootstrap: L });
    expect(p.summary.bootstraps).toBe(2);
    const image = randomImage(2 * 64, 6);
    const ref = await onnxLogits(programs, image, small, ss);
    const keys = client.evaluationKeys(programRotationSteps(p, plan));
    using ev = new Evaluator(ctx, keys);
    using bootstrapper = new Bootstrapper(ctx, ev, plan, { encapsulation: new SecretEncapsulation(ctx, encapsulation!) });
    const ct = encryptImage(client, p, image);
    const { output, report } = runHeProgram(p, ev, ct, { bootstrapper: sealBootstrapEngine(ev, bootstrapper) });
    const got = decryptLogits(client, p, output);
    output.dispose();
    ct.dispose();
    console.log(`real bootstrapper: ${report.bootstraps} bootstraps, ${report.seconds.toFixed(1)} s, max |err| ${maxAbs(got, ref).toExponential(2)}`);
    expect(report.bootstraps).toBe(p.summary.bootstraps);
    expect(report.bootstraps).toBeGreaterThan(0);
    expect(maxAbs(got, ref)).toBeLessThan(1e-2);
    expect(argmax(got)).toBe(argmax(ref));
  });
});
