import { describe, expect, it } from "vitest";
import { findActivationSites, loadModel } from "@ola/models";
import { bisectFrontier } from "../src/budget-search.js";
import { argmaxRows, meanKlDivergence, softmaxRows, top1ChangePercent } from "../src/divergence.js";
import { suffixOf } from "../src/suffix.js";
import { applyElementwise } from "../src/impact.js";

describe("divergence", () => {
  it("KL is zero for identical logits, matches a hand computation, and is infinite for non-finite logits", () => {
    const a = [1, 2, 3, 0.5, -1, 2];
    const p = softmaxRows(a, 3);
    expect(meanKlDivergence(p, a, 3)).toBeCloseTo(0, 12);
    // two-class closed form: p = (1/2, 1/2), q = softmax(0, ln 3) = (1/4, 3/4)
    const p2 = softmaxRows([0, 0], 2);
    const kl = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
    expect(meanKlDivergence(p2, [0, Math.log(3)], 2)).toBeCloseTo(kl, 12);
    expect(meanKlDivergence(p2, [0, Infinity], 2)).toBe(Infinity);
    expect(meanKlDivergence(p2, [0, NaN], 2)).toBe(Infinity);
    // extreme logits: q underflows in float64 but log-softmax keeps KL finite and large
    expect(meanKlDivergence(p2, [0, 2000], 2)).toBeCloseTo(0.5 * (Math.log(0.5) + 2000) + 0.5 * Math.log(0.5), 6);
  });
  it("top-1 change counts differing argmax rows", () => {
    const a = argmaxRows([1, 2, 3, 3, 2, 1], 3);
    expect(Array.from(a)).toEqual([2, 0]);
    expect(top1ChangePercent(a, Int32Array.from([2, 1]))).toBe(50);
  });
});

describe("elementwise evaluation", () => {
  it("applies a function chunk by chunk to every element", () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => i - 500);
    const y = applyElementwise((v) => v.map((t) => t * t), x, 64);
    for (let i = 0; i < x.length; i++) expect(y[i]).toBe(x[i]! * x[i]!);
  });
});

describe("suffix of a site", () => {
  it("resnet20: a block's first ReLU needs the shortcut tensor too; a block's last ReLU needs only itself", async () => {
    const m = await loadModel("resnet20");
    const sites = findActivationSites(m.graph);
    const first = suffixOf(m.graph, sites[1]!.outputTensor); // layer1.0 relu1
    expect(first.inputs[0]).toBe(sites[1]!.outputTensor);
    expect(first.inputs).toHaveLength(2);
    expect(first.inputs[1]).toBe(sites[0]!.outputTensor); // identity shortcut from the stem ReLU
    const last = suffixOf(m.graph, sites[2]!.outputTensor);
    expect(last.inputs).toEqual([sites[2]!.outputTensor]);
    const final = suffixOf(m.graph, sites[sites.length - 1]!.outputTensor);
    expect(final.outputs).toEqual([m.graph.outputs[0]!.name]);
    expect(final.nodes.length).toBeLessThan(6);
    expect(() => suffixOf(m.graph, "no-such-tensor")).toThrow(/no node reads/);
  });
});

describe("budget bisection", () => {
  it("finds the largest passing index of a monotone predicate with O(log n) checks", async () => {
    for (const n of [1, 2, 3, 10, 100, 1000]) {
      for (const limit of [-1, 0, 1, Math.floor(n / 2), n - 2, n - 1]) {
        if (limit >= n) continue;
        let calls = 0;
        const r = await bisectFrontier(n, async (i) => {
          calls++;
          return { passed: i <= limit, detail: "" };
        });
        expect(r.index).toBe(Math.max(-1, Math.min(limit, n - 1)));
        expect(calls).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(n + 1)));
        if (r.index >= 0) expect(r.steps.find((s) => s.index === r.index)?.passed).toBe(true);
      }
    }
  });
});
