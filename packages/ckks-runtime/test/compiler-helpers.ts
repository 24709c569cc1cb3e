// Test-only fixtures for the compiler: a tiny residual CNN as ONNX, and the secret-key "bootstrapper" double.
//
// SecretKeyBootstrapDouble refreshes a ciphertext by decrypting and re-encrypting it at the levels a bootstrap
// provides (Lattigo has the same double for testing circuits). It holds the SECRET KEY, so it is not a
// bootstrap and must never be used outside tests: benchmarks and `ola infer` use the real Bootstrapper.
import { chebyshevInterpolant, compileChebyshev } from "@ola/poly";
import { buildModel } from "../../models/test/helpers.js";
import { rng } from "./helpers.js";
import type { Ciphertext } from "../src/ciphertext.js";
import type { CkksClient } from "../src/client.js";
import type { BootstrapEngine } from "../src/compiler/index.js";
import type { PolyProgram } from "../src/program.js";

/** Chebyshev interpolant of ReLU of degree d on [−B, B], compiled: the test plans' activation. */
export const relu = (d: number, B: number): PolyProgram => compileChebyshev(chebyshevInterpolant((x) => Math.max(0, x), d, -B, B));
export const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
export const argmax = (a: ArrayLike<number>) => Array.from(a).indexOf(Math.max(...Array.from(a)));

export class SecretKeyBootstrapDouble implements BootstrapEngine {
  readonly name = "secret-key-bootstrap-double (TEST ONLY)";
  readonly rotationSteps: readonly number[] = [];
  calls = 0;
  constructor(
    private readonly client: CkksClient,
    readonly levelsAfter: number,
  ) {}
  bootstrap(ct: Ciphertext): Ciphertext {
    this.calls++;
    return this.client.encrypt(this.client.decrypt(ct), { level: this.levelsAfter });
  }
}


/**
 * conv(C0->4) -> act -> [conv -> act -> conv] + skip -> act -> [conv s2 (4->8) -> act -> conv] + optionA(skip)
 * -> act -> GAP -> Flatten -> Gemm(8 -> 3). Weights are small so activations stay in [-1, 1]-ish.
 */
export function tinyResidualCnn(opts: { channels?: number; size?: number; seed?: number; scale?: number } = {}): Uint8Array {
  const C0 = opts.channels ?? 2;
  const S = opts.size ?? 8;
  const r = rng(opts.seed ?? 7);
  const sc = opts.scale ?? 0.35;
  const w = (n: number, k: number) => Array.from({ length: n }, () => ((2 * r() - 1) * sc) / Math.sqrt(k));
  const inits: [string, number[], number[], ("float" | "int64")?][] = [
    ["w1", [4, C0, 3, 3], w(4 * C0 * 9, C0)],
    ["b1", [4], w(4, 1)],
    ["w2", [4, 4, 3, 3], w(144, 4)],
    ["b2", [4], w(4, 1)],
    ["w3", [4, 4, 3, 3], w(144, 4)],
    ["b3", [4], w(4, 1)],
    ["w4", [8, 4, 3, 3], w(288, 4)],
    ["b4", [8], w(8, 1)],
    ["w5", [8, 8, 3, 3], w(576, 8)],
    ["b5", [8], w(8, 1)],
    ["fw", [3, 8], w(24, 1).map((v) => v * 3)],
    ["fb", [3], w(3, 1)],
    ["s_start", [1], [0], "int64"],
    ["s_end", [1], [1000], "int64"],
    ["s_ax2", [1], [2], "int64"],
    ["s_ax3", [1], [3], "int64"],
    ["s_step", [1], [2], "int64"],
    ["pads", [8], [0, 2, 0, 0, 0, 2, 0, 0], "int64"],
  ];
  const conv = (x: string, wn: string, b: string, y: string, stride = 1) => ({
    op: "Conv",
    name: `/${y}/Conv`,
    inputs: [x, wn, b],
    outputs: [y],
    attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] },
  });
  return buildModel({
    inputs: [["input", ["N", C0, S, S]]],
    outputs: [["logits", ["N", 3]]],
    initializers: inits,
    nodes: [
      conv("input", "w1", "b1", "c1"),
      { op: "Relu", name: "/relu0", inputs: ["c1"], outputs: ["a1"] },
      conv("a1", "w2", "b2", "c2"),
      { op: "Relu", name: "/block1/relu", inputs: ["c2"], outputs: ["a2"] },
      conv("a2", "w3", "b3", "c3"),
      { op: "Add", name: "/block1/add", inputs: ["c3", "a1"], outputs: ["s1"] },
      { op: "Relu", name: "/block1/relu1", inputs: ["s1"], outputs: ["a3"] },
      conv("a3", "w4", "b4", "c4", 2),
      { op: "Relu", name: "/block2/relu", inputs: ["c4"], outputs: ["a4"] },
      conv("a4", "w5", "b5", "c5"),
      { op: "Slice", name: "/block2/shortcut/Slice", inputs: ["a3", "s_start", "s_end", "s_ax2", "s_step"], outputs: ["sl1"] },
      { op: "Slice", name: "/block2/shortcut/Slice_1", inputs: ["sl1", "s_start", "s_end", "s_ax3", "s_step"], outputs: ["sl2"] },
      { op: "Pad", name: "/block2/shortcut/Pad", inputs: ["sl2", "pads"], outputs: ["sc"], attrs: { mode: "constant" } },
      { op: "Add", name: "/block2/add", inputs: ["c5", "sc"], outputs: ["s2"] },
      { op: "Relu", name: "/block2/relu1", inputs: ["s2"], outputs: ["a5"] },
      { op: "GlobalAveragePool", name: "/gap", inputs: ["a5"], outputs: ["g"] },
      { op: "Flatten", name: "/flatten", inputs: ["g"], outputs: ["f"], attrs: { axis: 1 } },
      { op: "Gemm", name: "/fc", inputs: ["f", "fw", "fb"], outputs: ["logits"], attrs: { transB: 1 } },
    ],
  });
}

/** conv(C0 -> 4) -> act -> GAP -> Flatten -> Gemm(4 -> 3): the smallest network with a bootstrap in it. */
export function tinyCnn(opts: { channels?: number; size?: number; seed?: number } = {}): Uint8Array {
  const C0 = opts.channels ?? 2;
  const S = opts.size ?? 8;
  const r = rng(opts.seed ?? 3);
  const w = (n: number, k: number) => Array.from({ length: n }, () => ((2 * r() - 1) * 0.5) / Math.sqrt(k));
  return buildModel({
    inputs: [["input", ["N", C0, S, S]]],
    outputs: [["logits", ["N", 3]]],
    initializers: [
      ["w1", [4, C0, 3, 3], w(4 * C0 * 9, C0)],
      ["b1", [4], w(4, 1)],
      ["fw", [3, 4], w(12, 1).map((v) => v * 3)],
      ["fb", [3], w(3, 1)],
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

export function randomImage(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}
