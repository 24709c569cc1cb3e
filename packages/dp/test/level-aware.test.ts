import { describe, expect, it } from "vitest";
import {
  DpInputError,
  evaluateLevelPlan,
  solveLevelAware,
  type LevelAwareProblem,
  type LevelStage,
} from "../src/index.js";
import { bruteFrontier, bruteOpt, randInt, rng } from "./random.js";

interface Outcome { cost: number; weight: number; level: number }

/**
 * Independent brute force: enumerate every option choice and every subset of bootstrap positions
 * by direct recursion on the nested stages (no state encoding, no plan objects).
 */
function enumerate(p: LevelAwareProblem, chain: LevelStage[], start: Outcome[]): Outcome[] {
  let cur = start;
  for (const s of chain) {
    const withBoot: Outcome[] = [];
    for (const o of cur) {
      withBoot.push(o);
      if (s.bootstrapBefore !== false) withBoot.push({ cost: o.cost + p.bootstrapCost, weight: o.weight, level: p.levelsAfterBootstrap });
    }
    const next: Outcome[] = [];
    for (const o of withBoot) {
      if (s.kind === "site") {
        for (const opt of s.options) {
          if (o.level < opt.depth) continue;
          const c = typeof opt.cost === "number" ? opt.cost : opt.cost(o.level);
          next.push({ cost: o.cost + c, weight: o.weight + opt.weight, level: o.level - opt.depth });
        }
      } else if (s.kind === "linear") {
        if (o.level < s.depth) continue;
        const c = s.cost === undefined ? 0 : typeof s.cost === "number" ? s.cost : s.cost(o.level);
        next.push({ cost: o.cost + c, weight: o.weight, level: o.level - s.depth });
      } else {
        const mains = enumerate(p, s.main, [{ cost: 0, weight: 0, level: o.level }]);
        const skips = enumerate(p, s.skip, [{ cost: 0, weight: 0, level: o.level }]);
        for (const m of mains)
          for (const k of skips)
            next.push({ cost: o.cost + m.cost + k.cost, weight: o.weight + m.weight + k.weight, level: Math.min(m.level, k.level) });
      }
    }
    cur = next;
  }
  return cur;
}

function allPlans(p: LevelAwareProblem): { cost: number; weight: number }[] {
  return enumerate(p, p.stages, [{ cost: 0, weight: 0, level: p.initialLevel }]).filter((o) => o.level >= (p.minFinalLevel ?? 0));
}

function randomOptions(r: () => number, integerWeights: boolean, levelCost: boolean) {
  return Array.from({ length: randInt(r, 1, 3) }, () => {
    const depth = randInt(r, 0, 4);
    const base = Math.round(r() * 100) / 10;
    const slope = Math.round(r() * 20) / 10;
    return {
      depth,
      weight: integerWeights ? randInt(r, 0, 6) : r() * 2,
      cost: levelCost ? (l: number) => base + slope * l : base,
    };
  });
}

function randomChain(r: () => number, budget: { sites: number; stages: number }, nesting: number, integerWeights: boolean): LevelStage[] {
  const out: LevelStage[] = [];
  const n = randInt(r, 1, 3);
  for (let i = 0; i < n && budget.stages > 0; i++) {
    const x = r();
    budget.stages--;
    if (x < 0.45 && budget.sites > 0) {
      budget.sites--;
      out.push({ kind: "site", options: randomOptions(r, integerWeights, r() < 0.5), ...(r() < 0.2 ? { bootstrapBefore: false } : {}) });
    } else if (x < 0.75 || nesting >= 2) {
      const base = Math.round(r() * 30) / 10;
      out.push({ kind: "linear", depth: randInt(r, 0, 2), cost: r() < 0.5 ? base : (l: number) => base + 0.3 * l, ...(r() < 0.3 ? { bootstrapBefore: false } : {}) });
    } else {
      out.push({
        kind: "residual",
        main: randomChain(r, budget, nesting + 1, integerWeights),
        skip: r() < 0.4 ? [] : randomChain(r, budget, nesting + 1, integerWeights),
        ...(r() < 0.3 ? { bootstrapBefore: false } : {}),
      });
    }
  }
  return out;
}

function randomProblem(r: () => number, integerWeights: boolean): LevelAwareProblem {
  const budget = { sites: 4, stages: 7 };
  const stages: LevelStage[] = [];
  while (budget.stages > 0) stages.push(...randomChain(r, budget, 0, integerWeights));
  return {
    stages,
    initialLevel: randInt(r, 0, 6),
    levelsAfterBootstrap: randInt(r, 2, 6),
    bootstrapCost: Math.round(r() * 200) / 10,
    minFinalLevel: randInt(r, 0, 1),
  };
}

describe("solveLevelAware", () => {
  it("agrees exactly with brute force over all choices and bootstrap placements (grid-aligned weights)", () => {
    const r = rng(11);
    let feasibleInstances = 0;
    let withResidual = 0;
    let nested = 0;
    for (let t = 0; t < 120; t++) {
      const p = randomProblem(r, true);
      if (p.stages.some((s) => s.kind === "residual")) withResidual++;
      if (p.stages.some((s) => s.kind === "residual" && [...s.main, ...s.skip].some((x) => x.kind === "residual"))) nested++;
      const plans = allPlans(p);
      const maxW = Math.max(1, ...plans.map((q) => q.weight));
      const sol = solveLevelAware(p, { maxWeight: maxW, bins: maxW });
      const bf = bruteFrontier(plans);
      expect(sol.frontier.points.map((q) => [q.weight, q.cost])).toEqual(bf.map((q) => [q.weight, expect.closeTo(q.cost, 9)]));
      if (plans.length > 0) feasibleInstances++;
      for (let b = -0.5; b <= maxW + 0.5; b += 0.5) {
        const res = sol.best(b);
        const opt = bruteOpt(plans, b);
        if (!Number.isFinite(opt)) {
          expect(res.status).toBe("infeasible");
          continue;
        }
        expect(res.status).toBe("ok");
        if (res.status !== "ok") continue;
        expect(res.cost).toBeCloseTo(opt, 9);
        expect(res.weight).toBeLessThanOrEqual(b);
        // The plan replays to the same totals under the reference semantics.
        const ev = evaluateLevelPlan(p, res.plan);
        expect(ev.feasible).toBe(true);
        if (ev.feasible) {
          expect(ev.cost).toBeCloseTo(res.cost, 9);
          expect(ev.bootstraps).toBe(res.plan.bootstrapBefore.length);
        }
      }
    }
    expect(feasibleInstances).toBeGreaterThan(60);
    expect(withResidual).toBeGreaterThan(30);
    expect(nested).toBeGreaterThan(10); // residual blocks inside residual blocks (two parked levels)
  });

  it("respects OPT(b) ≤ DP(b) ≤ OPT(b − L·δ) with real weights", () => {
    const r = rng(12);
    for (let t = 0; t < 80; t++) {
      const p = randomProblem(r, false);
      const plans = allPlans(p);
      const maxW = Math.max(1, ...plans.map((q) => q.weight));
      const sol = solveLevelAware(p, { maxWeight: maxW, bins: randInt(r, 4, 30) });
      const slack = sol.discretisation.budgetSlack;
      for (let i = 0; i <= 20; i++) {
        const b = (maxW * i) / 20;
        const res = sol.best(b);
        const lower = bruteOpt(plans, b);
        if (res.status === "infeasible") {
          expect(Number.isFinite(lower)).toBe(false);
          continue;
        }
        expect(res.weight).toBeLessThanOrEqual(b + 1e-12);
        expect(res.cost).toBeGreaterThanOrEqual(lower - 1e-9);
        const upper = bruteOpt(plans, b - slack);
        if (Number.isFinite(upper)) expect(res.cost).toBeLessThanOrEqual(upper + 1e-9);
      }
    }
  });

  it("chooses a shallower polynomial when it saves a bootstrap", () => {
    // Two activations around a free level-0 step, 3 levels after bootstrap, start at 3. Deep option:
    // depth 3 cost 1; shallow: depth 1 cost 4. Deep+deep needs a bootstrap (cost 10): 12.
    // Shallow+shallow: 8, no bootstrap. Deep+shallow: 4 levels > 3, needs a bootstrap too (15).
    const opts = [{ depth: 3, weight: 0, cost: 1 }, { depth: 1, weight: 0, cost: 4 }];
    const p: LevelAwareProblem = {
      stages: [{ kind: "site", options: opts }, { kind: "linear", depth: 0, bootstrapBefore: false }, { kind: "site", options: opts }],
      initialLevel: 3,
      levelsAfterBootstrap: 3,
      bootstrapCost: 10,
    };
    const res = solveLevelAware(p, { maxWeight: 1, bins: 4 }).best(0);
    expect(res).toMatchObject({ status: "ok", cost: 8, plan: { choices: [1, 1], bootstrapBefore: [], bootstraps: 0, finalLevel: 1 } });
    // With a cheap bootstrap, deep + bootstrap + deep wins: 1 + 1 + 1 = 3 (bootstrap before the second site).
    const cheap = solveLevelAware({ ...p, bootstrapCost: 1 }, { maxWeight: 1, bins: 4 }).best(0);
    expect(cheap).toMatchObject({ status: "ok", cost: 3, plan: { choices: [0, 0], bootstraps: 1 } });
    if (cheap.status === "ok") {
      const t = cheap.plan.trace;
      expect(t.map((s) => [s.path, s.bootstrap, s.levelIn, s.levelOut])).toEqual([
        ["0", false, 3, 0],
        ["1", false, 0, 0],
        ["2", true, 3, 0],
      ]);
    }
  });

  it("an option far heavier than maxWeight (a diverging fit) is off-grid, never chosen, and costs no time", () => {
    // Weights 6000 and 1e300 against maxWeight 2e-3 with 1000 bins: ⌈w/δ⌉ is ~3e9 cells, which wrapped to a
    // negative Int32 count and made the row loop run ~2^31 times. The DP must ignore such options.
    const opts = [
      { depth: 1, weight: 6000, cost: 0.5 },
      { depth: 1, weight: 1e300, cost: 0.1 },
      { depth: 1, weight: 1e-3, cost: 3 },
    ];
    const p: LevelAwareProblem = {
      stages: [{ kind: "site", options: opts }, { kind: "site", options: opts }],
      initialLevel: 4,
      levelsAfterBootstrap: 4,
      bootstrapCost: 10,
    };
    // (before the fix this call did not return within vitest's test timeout)
    const sol = solveLevelAware(p, { maxWeight: 2e-3, bins: 1000 });
    // on the grid only the light option exists; the frontier's unconstrained-weight point (the cheapest
    // plan at any weight, reported for infeasible budgets) is the heavy one and lies beyond maxWeight
    expect(sol.frontier.points.filter((q) => q.weight <= 2e-3).map((q) => q.cost)).toEqual([6]);
    expect(sol.best(2e-3)).toMatchObject({ status: "ok", cost: 6, plan: { choices: [2, 2] } });
    expect(sol.best(1e-3).status).toBe("infeasible");
  });

  it("a residual block's output level is the minimum of its branches (the skip branch can limit it)", () => {
    // Skip branch: a 1×1 conv of depth 2. Main: one activation of depth 1. Starting at level 4, the
    // block outputs min(3, 2) = 2, so a following depth-3 activation needs a bootstrap.
    const site = (d: number, cost: number) => ({ kind: "site" as const, options: [{ depth: d, weight: 0, cost }] });
    const p: LevelAwareProblem = {
      stages: [
        { kind: "residual", main: [site(1, 1)], skip: [{ kind: "linear", depth: 2, cost: 0.5 }] },
        site(3, 1),
      ],
      initialLevel: 4,
      levelsAfterBootstrap: 4,
      bootstrapCost: 7,
    };
    const res = solveLevelAware(p, { maxWeight: 1, bins: 2 }).best(1);
    expect(res).toMatchObject({ status: "ok", cost: 1 + 0.5 + 7 + 1, plan: { bootstrapBefore: ["1"], bootstraps: 1 } });
    if (res.status === "ok") {
      const block = res.plan.trace.find((s) => s.path === "0")!;
      expect([block.levelIn, block.levelOut]).toEqual([4, 2]);
    }
    // With an identity skip the block outputs level 3 and no bootstrap is needed.
    const p2: LevelAwareProblem = { ...p, stages: [{ kind: "residual", main: [site(1, 1)], skip: [] }, site(3, 1)] };
    expect(solveLevelAware(p2, { maxWeight: 1, bins: 2 }).best(1)).toMatchObject({ status: "ok", cost: 2, plan: { bootstraps: 0 } });
    // Bootstrapping inside the main branch does not help: the skip is still at the fork level.
    const p3: LevelAwareProblem = {
      ...p,
      initialLevel: 2,
      stages: [{ kind: "residual", main: [site(2, 1), site(2, 1)], skip: [] }, site(2, 1)],
    };
    const r3 = solveLevelAware(p3, { maxWeight: 1, bins: 2 }).best(1);
    // main: site(2) at 2 → 0, bootstrap → 4, site(2) → 2; skip stays at 2 → merge min(2, 2) = 2; then site(2) → 0.
    expect(r3).toMatchObject({ status: "ok", cost: 3 + 7, plan: { bootstrapBefore: ["0.main.1"] } });
  });

  it("uses level-dependent costs (runs an expensive op after a level drop when it is cheaper there)", () => {
    // One activation whose cost grows with the level; a bootstrap raises the level and makes it dearer.
    const p: LevelAwareProblem = {
      stages: [{ kind: "linear", depth: 1 }, { kind: "site", options: [{ depth: 1, weight: 0, cost: (l) => 10 * l }] }],
      initialLevel: 5,
      levelsAfterBootstrap: 2,
      bootstrapCost: 5,
    };
    // No bootstrap: site at level 4 costs 40. Bootstrap before the site: 5 + 20 = 25. Bootstrap
    // before the linear step: 5, linear 2 → 1, site at level 1 costs 10: 15, the optimum.
    expect(solveLevelAware(p, { maxWeight: 1, bins: 1 }).best(0)).toMatchObject({ status: "ok", cost: 15, plan: { bootstrapBefore: ["0"] } });
    expect(solveLevelAware({ ...p, bootstrapCost: 31 }, { maxWeight: 1, bins: 1 }).best(0)).toMatchObject({ status: "ok", cost: 40, plan: { bootstrapBefore: [] } });
  });

  it("reports infeasibility as a typed result: weight budgets and level-impossible instances", () => {
    const p: LevelAwareProblem = {
      stages: [{ kind: "site", options: [{ depth: 1, weight: 2, cost: 1 }, { depth: 2, weight: 1, cost: 3 }] }],
      initialLevel: 2,
      levelsAfterBootstrap: 2,
      bootstrapCost: 1,
    };
    const sol = solveLevelAware(p, { maxWeight: 4, bins: 4 });
    expect(sol.best(0.5)).toMatchObject({ status: "infeasible", minimumWeight: 1 });
    expect(sol.best(1)).toMatchObject({ status: "ok", cost: 3 });
    // No option fits in the levels available after a bootstrap: infeasible at every budget.
    const none = solveLevelAware({ ...p, initialLevel: 0, levelsAfterBootstrap: 0 }, { maxWeight: 4, bins: 4 });
    expect(none.frontier.points).toHaveLength(0);
    const r = none.best(100);
    expect(r.status).toBe("infeasible");
    expect(r.status === "infeasible" && r.message).toMatch(/no feasible plan exists/);
    // Bootstraps forbidden where they would be needed.
    const noBoot = solveLevelAware(
      { ...p, initialLevel: 0, stages: [{ kind: "site", bootstrapBefore: false, options: p.stages[0]!.kind === "site" ? p.stages[0]!.options : [] }] },
      { maxWeight: 4, bins: 4 },
    );
    expect(noBoot.best(10).status).toBe("infeasible");
  });

  it("rejects bad input naming the stage path", () => {
    const base = { initialLevel: 2, levelsAfterBootstrap: 2, bootstrapCost: 1 };
    expect(() => solveLevelAware({ ...base, stages: [{ kind: "residual", main: [{ kind: "site", options: [] }], skip: [] }] }, { maxWeight: 1 })).toThrow(/stage 0\.main\.0: options/);
    expect(() => solveLevelAware({ ...base, stages: [{ kind: "linear", depth: -1 }] }, { maxWeight: 1 })).toThrow(DpInputError);
    expect(() => solveLevelAware({ ...base, stages: [{ kind: "site", name: "relu", options: [{ depth: 1, weight: 0, cost: () => NaN }] }] }, { maxWeight: 1 })).toThrow(/stage 0 \(relu\), option 0: cost at level 1/);
    expect(() => solveLevelAware({ ...base, initialLevel: 1.5, stages: [] }, { maxWeight: 1 })).toThrow(/initialLevel/);
    expect(() => solveLevelAware({ ...base, stages: [{ kind: "conv" } as never] }, { maxWeight: 1 })).toThrow(/kind must be/);
  });

  it("solves a ResNet-20-sized instance (19 sites × 30 options, 9 blocks, 12 levels, 1000 bins)", () => {
    const r = rng(5);
    const act = (): LevelStage => ({
      kind: "site",
      options: Array.from({ length: 30 }, (_, k) => ({ depth: 2 + (k % 5), weight: r() * 0.02, cost: (l: number) => (1 + k / 10) * (1 + l / 12) })),
    });
    const conv: LevelStage = { kind: "linear", depth: 1, cost: (l: number) => 0.5 * (1 + l / 12) };
    const stages: LevelStage[] = [conv, act()];
    for (let b = 0; b < 9; b++) {
      stages.push({ kind: "residual", main: [conv, act(), conv], skip: b % 3 === 0 && b > 0 ? [conv] : [] }, act());
    }
    const p: LevelAwareProblem = { stages, initialLevel: 12, levelsAfterBootstrap: 12, bootstrapCost: 30 };
    const sol = solveLevelAware(p, { maxWeight: 0.4, bins: 1000 });
    expect(sol.sites).toHaveLength(19);
    const pts = sol.frontier.points;
    expect(pts.length).toBeGreaterThan(5);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]!.weight).toBeGreaterThan(pts[i - 1]!.weight);
      expect(pts[i]!.cost).toBeLessThan(pts[i - 1]!.cost);
      const ev = evaluateLevelPlan(p, pts[i]!.plan);
      expect(ev.feasible && ev.cost).toBeCloseTo(pts[i]!.cost, 9);
    }
  });
});
