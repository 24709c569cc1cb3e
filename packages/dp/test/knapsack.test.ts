import { describe, expect, it } from "vitest";
import { DpInputError, WeightGrid, solveKnapsack, type KnapsackGroup } from "../src/index.js";
import { bruteFrontier, bruteOpt, randInt, rng } from "./random.js";

function allPlans(groups: KnapsackGroup[]): { weight: number; cost: number }[] {
  let acc = [{ weight: 0, cost: 0 }];
  for (const g of groups) {
    const next: { weight: number; cost: number }[] = [];
    for (const a of acc) for (const o of g.options) next.push({ weight: a.weight + o.weight, cost: a.cost + o.cost });
    acc = next;
  }
  return acc;
}

function randomGroups(r: () => number, integerWeights: boolean): KnapsackGroup[] {
  const L = randInt(r, 1, 5);
  return Array.from({ length: L }, () => ({
    options: Array.from({ length: randInt(r, 1, 4) }, () => ({
      cost: Math.round(r() * 1000) / 10,
      weight: integerWeights ? randInt(r, 0, 9) : r() * 3,
    })),
  }));
}

function totals(groups: KnapsackGroup[], choices: number[]) {
  let cost = 0, weight = 0;
  choices.forEach((k, l) => {
    cost += groups[l]!.options[k]!.cost;
    weight += groups[l]!.options[k]!.weight;
  });
  return { cost, weight };
}

describe("solveKnapsack", () => {
  it("agrees exactly with brute force when weights lie on the grid (200 random instances)", () => {
    const r = rng(1);
    for (let t = 0; t < 200; t++) {
      const groups = randomGroups(r, true);
      const plans = allPlans(groups);
      const maxW = Math.max(1, ...plans.map((p) => p.weight));
      const sol = solveKnapsack(groups, { maxWeight: maxW, bins: maxW }); // δ = 1: exact
      expect(sol.discretisation.budgetSlack).toBe(0);
      const bf = bruteFrontier(plans);
      expect(sol.frontier.points.map((p) => [p.weight, p.cost])).toEqual(bf.map((p) => [p.weight, expect.closeTo(p.cost, 9)]));
      for (let b = -1; b <= maxW + 1; b += 0.5) {
        const res = sol.best(b);
        const opt = bruteOpt(plans, b);
        if (!Number.isFinite(opt)) {
          expect(res.status).toBe("infeasible");
        } else {
          expect(res.status).toBe("ok");
          if (res.status !== "ok") continue;
          expect(res.cost).toBeCloseTo(opt, 9);
          const tt = totals(groups, res.plan.choices);
          expect(tt.cost).toBeCloseTo(res.cost, 9);
          expect(tt.weight).toBeLessThanOrEqual(b + 1e-12);
        }
      }
    }
  });

  it("respects OPT(b) ≤ DP(b) ≤ OPT(b − L·δ) with real weights, and never exceeds the budget", () => {
    const r = rng(2);
    for (let t = 0; t < 200; t++) {
      const groups = randomGroups(r, false);
      const plans = allPlans(groups);
      const maxW = Math.max(...plans.map((p) => p.weight)) + 0.1;
      const bins = randInt(r, 3, 40);
      const sol = solveKnapsack(groups, { maxWeight: maxW, bins });
      const slack = sol.discretisation.budgetSlack;
      expect(slack).toBeLessThanOrEqual(groups.length * sol.discretisation.step + 1e-15);
      for (let i = 0; i <= 30; i++) {
        const b = (maxW * i) / 30;
        const res = sol.best(b);
        const lower = bruteOpt(plans, b);
        const upper = bruteOpt(plans, b - slack);
        if (res.status === "infeasible") {
          expect(Number.isFinite(lower)).toBe(false);
          expect(res.minimumWeight).toBeGreaterThan(b);
          continue;
        }
        expect(res.weight).toBeLessThanOrEqual(b + 1e-12);
        expect(res.cost).toBeGreaterThanOrEqual(lower - 1e-9);
        if (Number.isFinite(upper)) expect(res.cost).toBeLessThanOrEqual(upper + 1e-9);
      }
    }
  });

  it("the bound is not vacuous: a coarse grid loses optimality, but only within L·δ", () => {
    // Per group: weight 0 at cost 10, weight 0.45 at cost 1, weight 1 at cost 0.
    const g = { options: [{ cost: 10, weight: 0 }, { cost: 1, weight: 0.45 }, { cost: 0, weight: 1 }] };
    const groups: KnapsackGroup[] = [g, g];
    const fine = solveKnapsack(groups, { maxWeight: 1, bins: 100 }).best(1);
    expect(fine.status === "ok" && fine.cost).toBe(2); // 0.45 + 0.45: the true optimum OPT(1)
    const coarse = solveKnapsack(groups, { maxWeight: 1.2, bins: 3 }); // δ = 0.4: 0.45 rounds to 0.8
    const res = coarse.best(1);
    // On the grid two 0.45s need 1.6 > 1; the best grid plan is {1, 0} (cost 10, found at 3 cells whose
    // true weight is 1): worse than OPT(1) = 2 ...
    expect(res.status === "ok" && res.cost).toBe(10);
    // ... but ≤ OPT(1 − L·δ) = OPT(0.2) = 20, as the bound promises.
    expect(coarse.discretisation.budgetSlack).toBeCloseTo(0.8, 12);
    const plans = allPlans(groups);
    expect(bruteOpt(plans, 1)).toBe(2);
    expect(res.status === "ok" && res.cost).toBeLessThanOrEqual(bruteOpt(plans, 1 - coarse.discretisation.budgetSlack));
  });

  it("returns a monotone frontier and monotone best(b)", () => {
    const r = rng(3);
    const groups: KnapsackGroup[] = Array.from({ length: 40 }, () => ({
      options: Array.from({ length: 12 }, () => ({ cost: r() * 10, weight: r() })),
    }));
    const sol = solveKnapsack(groups, { maxWeight: 20, bins: 2000 });
    const pts = sol.frontier.points;
    expect(pts.length).toBeGreaterThan(10);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]!.weight).toBeGreaterThan(pts[i - 1]!.weight);
      expect(pts[i]!.cost).toBeLessThan(pts[i - 1]!.cost);
    }
    let prev = Infinity;
    for (let b = 0; b <= 21; b += 0.05) {
      const res = sol.best(b);
      if (res.status === "ok") {
        expect(res.cost).toBeLessThanOrEqual(prev);
        prev = res.cost;
      }
    }
  });

  it("reports infeasible budgets as a typed result with the lightest weight", () => {
    const sol = solveKnapsack(
      [{ options: [{ cost: 1, weight: 2 }, { cost: 5, weight: 1 }] }, { options: [{ cost: 1, weight: 0.5 }] }],
      { maxWeight: 4, bins: 8 },
    );
    const res = sol.best(1.4);
    expect(res).toMatchObject({ status: "infeasible", budget: 1.4, minimumWeight: 1.5 });
    expect(res.status === "infeasible" && res.message).toMatch(/lightest plan weighs 1\.5/);
    expect(sol.best(1.5)).toMatchObject({ status: "ok", cost: 6, weight: 1.5, plan: { choices: [1, 0] } });
    // Above maxWeight the unconstrained optimum is still found.
    expect(sol.best(100)).toMatchObject({ status: "ok", cost: 2, weight: 2.5 });
  });

  it("counts an option heavier than maxWeight as bins + 1 cells (off-grid), never a wrapped Int32", () => {
    const g = new WeightGrid(2e-3, 1000);
    expect([500, 501]).toContain(g.units(1e-3));
    for (const w of [4.1e-3, 6000, 1.1e9, 1e300, Infinity]) expect(g.units(w)).toBe(1001);
    const groups: KnapsackGroup[] = [
      { options: [{ weight: 1.1e9, cost: 0 }, { weight: 1e-3, cost: 2 }] },
      { options: [{ weight: 1e300, cost: 0 }, { weight: 5e-4, cost: 1 }] },
    ];
    const res = solveKnapsack(groups, { maxWeight: 2e-3, bins: 1000 }).best(2e-3);
    expect(res).toMatchObject({ status: "ok", cost: 3, plan: { choices: [1, 1] } });
  });

  it("rejects bad input naming the group and option", () => {
    expect(() => solveKnapsack([], { maxWeight: 1 })).toThrow(DpInputError);
    expect(() => solveKnapsack([{ options: [] }], { maxWeight: 1 })).toThrow(/group 0: options/);
    expect(() => solveKnapsack([{ name: "relu3", options: [{ cost: 1, weight: -1 }] }], { maxWeight: 1 })).toThrow(/group 0 \(relu3\), option 0: weight/);
    expect(() => solveKnapsack([{ options: [{ cost: NaN, weight: 1 }] }], { maxWeight: 1 })).toThrow(/cost must be finite/);
    expect(() => solveKnapsack([{ options: [{ cost: 1, weight: 1 }] }], { maxWeight: 0 })).toThrow(/maxWeight/);
    expect(() => solveKnapsack([{ options: [{ cost: 1, weight: 1 }] }], { maxWeight: 1, bins: 0 })).toThrow(/bins/);
  });
});
