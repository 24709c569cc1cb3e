import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PlanFormatError, parsePlan, readPlan, validatePlan, writePlan, type Plan } from "../src/index.js";

const sha = "a".repeat(64);
function samplePlan(): Plan {
  return {
    version: 1,
    model: { name: "resnet20", sha256: sha },
    sites: [
      { id: "00:/relu/Relu", kind: "relu", interval: [-3.5, 7.25], basis: "chebyshev", coefficients: [1.5, 2, 0.25, -0.125], degree: 3, depth: 2 },
      { id: "01:/layer1/relu/Relu", kind: "relu", depth: 15, composite: { alpha: 13, B: 40, components: [[0, 1.5, 0, -0.5], [0, 2, 0, -1]] } },
    ],
    predicted: { impact: 0.0125, timeSeconds: 123.5, bootstraps: 4, costModel: "analytic" },
    validated: { top1: { "cifar10-test": 80.5 }, baselineTop1: { "cifar10-test": 81.03 }, images: { "cifar10-test": 10000 }, outOfRange: { "cifar10-test": { "00:/relu/Relu": 3 } } },
  };
}

function expectError(mutate: (p: any) => void, path: string, fragment?: RegExp) {
  const p = JSON.parse(JSON.stringify(samplePlan()));
  mutate(p);
  try {
    validatePlan(p, "x.json");
  } catch (e) {
    expect(e).toBeInstanceOf(PlanFormatError);
    expect((e as PlanFormatError).path).toBe(path);
    expect((e as Error).message).toContain("x.json");
    if (fragment) expect((e as Error).message).toMatch(fragment);
    return;
  }
  throw new Error(`expected a PlanFormatError at ${path}`);
}

describe("plan format", () => {
  it("round-trips through an atomic write and a validated read", () => {
    const dir = mkdtempSync(join(tmpdir(), "ola-plan-"));
    const file = join(dir, "sub", "plan.json");
    writePlan(file, samplePlan());
    expect(readdirSync(join(dir, "sub"))).toEqual(["plan.json"]); // no temp file left behind
    expect(readPlan(file)).toEqual(samplePlan());
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(samplePlan());
  });

  it("names the offending field", () => {
    expectError((p) => (p.version = 2), "version", /version 2/);
    expectError((p) => delete p.model.sha256, "model.sha256");
    expectError((p) => (p.model.sha256 = "xyz"), "model.sha256", /64/);
    expectError((p) => (p.sites = []), "sites");
    expectError((p) => (p.sites[0].coefficients[2] = "0.5"), "sites[0].coefficients[2]");
    expectError((p) => (p.sites[0].degree = 4), "sites[0].coefficients", /degree is 4/);
    expectError((p) => (p.sites[0].interval = [2, 1]), "sites[0].interval");
    expectError((p) => (p.sites[0].basis = "power"), "sites[0].basis");
    expectError((p) => (p.sites[1].kind = "tanh"), "sites[1].kind");
    expectError((p) => (p.sites[1].composite.B = -1), "sites[1].composite.B");
    expectError((p) => (p.sites[1].composite.components[1] = [1]), "sites[1].composite.components[1]");
    expectError((p) => (p.sites[1].id = p.sites[0].id), "sites[1].id", /duplicate/);
    expectError((p) => (p.sites[0].depth = -1), "sites[0].depth");
    expectError((p) => (p.predicted.bootstraps = 1.5), "predicted.bootstraps");
    expectError((p) => (p.validated.top1["cifar10-test"] = null), "validated.top1.cifar10-test");
    expectError((p) => (p.sites[1].basis = "chebyshev"), "sites[1]", /both/);
  });

  it("rejects text that is not JSON and refuses to write an invalid plan", () => {
    expect(() => parsePlan("{", "bad.json")).toThrow(/bad\.json: \$: not valid JSON/);
    const dir = mkdtempSync(join(tmpdir(), "ola-plan-"));
    const bad = samplePlan();
    (bad.sites[0] as any).degree = 7;
    expect(() => writePlan(join(dir, "p.json"), bad)).toThrow(PlanFormatError);
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(join(dir, "q.json"), "[]");
    expect(() => readPlan(join(dir, "q.json"))).toThrow(/q\.json: \$: expected an object/);
    expect(() => readPlan(join(dir, "missing.json"))).toThrow(/cannot read plan file .*missing\.json: ENOENT/);
  });
});
