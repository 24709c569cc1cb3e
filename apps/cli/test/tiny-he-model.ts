// Fixtures for the compile/infer CLI tests: a tiny CNN for 3x32x32 CIFAR images (conv 3->4, ReLU, global
// average pool, fc 4->10) written as an .onnx file, and a Chebyshev plan for it in the optimiser's format.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findActivationSites, importOnnx, sha256Hex } from "@ola/models";
import { ChebyshevPoly, chebyshevInterpolant } from "@ola/poly";
import { chebyshevProgram, PLAN_VERSION, serializePlan, type Plan } from "@ola/optimizer";
import { buildModel } from "../../../packages/models/test/helpers.js";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
}

export function tinyCifarCnn(): Uint8Array {
  const r = rng(5);
  const w = (n: number, k: number) => Array.from({ length: n }, () => ((2 * r() - 1) * 0.6) / Math.sqrt(k));
  return buildModel({
    inputs: [["input", ["N", 3, 32, 32]]],
    outputs: [["logits", ["N", 10]]],
    initializers: [
      ["w1", [4, 3, 3, 3], w(108, 27)],
      ["b1", [4], w(4, 1)],
      ["fw", [10, 4], w(40, 1).map((v) => v * 4)],
      ["fb", [10], w(10, 1)],
    ],
    nodes: [
      { op: "Conv", name: "/conv1/Conv", inputs: ["input", "w1", "b1"], outputs: ["c1"], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] } },
      { op: "Relu", name: "/relu", inputs: ["c1"], outputs: ["a1"] },
      { op: "GlobalAveragePool", name: "/gap", inputs: ["a1"], outputs: ["g"] },
      { op: "Flatten", name: "/flatten", inputs: ["g"], outputs: ["f"], attrs: { axis: 1 } },
      { op: "Gemm", name: "/fc", inputs: ["f", "fw", "fb"], outputs: ["logits"], attrs: { transB: 1 } },
    ],
  });
}

/** Writes the model and a plan with a degree-`degree` Chebyshev ReLU on [-B, B]; returns their paths. */
export function writeTinyModelAndPlan(degree: number, B = 4): { dir: string; model: string; plan: string; depth: number } {
  const dir = mkdtempSync(join(tmpdir(), "ola-he-cli-"));
  const bytes = tinyCifarCnn();
  const model = join(dir, "tiny.onnx");
  writeFileSync(model, bytes);
  const sites = findActivationSites(importOnnx(bytes));
  const series = chebyshevInterpolant((x) => Math.max(0, x), degree, -B, B);
  const depth = chebyshevProgram(new ChebyshevPoly(series.coeffs, -B, B)).cost.depth;
  const plan: Plan = {
    version: PLAN_VERSION,
    model: { name: "tiny", sha256: sha256Hex(bytes) },
    sites: sites.map((s) => ({ id: s.id, kind: "relu", interval: [-B, B], basis: "chebyshev", coefficients: Array.from(series.coeffs), degree, depth })),
  };
  const planPath = join(dir, "plan.json");
  writeFileSync(planPath, serializePlan(plan));
  return { dir, model, plan: planPath, depth };
}
