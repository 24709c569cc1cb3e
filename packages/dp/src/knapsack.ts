/**
 * Multiple-choice knapsack (MCKP) by dynamic programming over a discretised weight axis.
 *
 * Given L groups, each with K_l options {cost, weight ≥ 0}, choose exactly one option per group to
 * minimise Σ cost subject to Σ weight ≤ b. This is the classical pseudo-polynomial DP for MCKP
 * (Kellerer, Pferschy, Pisinger, "Knapsack Problems", Springer 2004, ch. 11.5, with the roles of
 * profit and weight swapped: here we minimise cost under a weight budget):
 *
 *     D_0[0] = 0,  D_0[u>0] = +∞
 *     D_l[u] = min_k { D_{l-1}[u − units(w_{l,k})] + c_{l,k} }             (exact cell count u)
 *
 * over u = 0..|D| cells, O(Σ_l K_l · |D|) time and O(L·|D|) memory for the back-pointers.
 * The prefix minimum of D_L over u is the best cost for every grid budget at once, so one pass
 * yields the whole Pareto frontier. Discretisation error: see `WeightGrid` (OPT(b) ≤ DP(b) ≤ OPT(b − L·δ)).
 */
import { DpInputError } from "./errors.js";
import { ParetoFrontier, type BudgetResult, type FrontierPoint } from "./frontier.js";
import { WeightGrid } from "./weight-grid.js";

export interface KnapsackOption {
  /** Minimised quantity (e.g. encrypted time, seconds). Finite. */
  cost: number;
  /** Budgeted quantity (e.g. accuracy impact). Finite, ≥ 0. */
  weight: number;
}

export interface KnapsackGroup {
  /** Optional label used in error messages. */
  name?: string;
  options: KnapsackOption[];
}

export interface KnapsackOptions {
  /** Upper end of the weight axis; budgets above it are answered with the grid of [0, maxWeight]. */
  maxWeight: number;
  /** Number of cells |D| on [0, maxWeight] (δ = maxWeight/bins). Default 2000. */
  bins?: number;
}

/** A plan: `choices[l]` is the option index chosen in group l. */
export interface KnapsackPlan {
  choices: number[];
}

export interface Discretisation {
  maxWeight: number;
  bins: number;
  /** δ. */
  step: number;
  /** Number of groups whose weights are not all on the grid (the L in L·δ). */
  roundedGroups: number;
  /** L·δ: DP(b) ≤ OPT(b − budgetSlack) for b ≤ maxWeight; 0 when every weight lies on the grid (exact). */
  budgetSlack: number;
}

export interface KnapsackSolution {
  frontier: ParetoFrontier<KnapsackPlan>;
  discretisation: Discretisation;
  /** Shorthand for `frontier.best(budget)`. */
  best(budget: number): BudgetResult<KnapsackPlan>;
}

export function validateGroups(groups: KnapsackGroup[]): void {
  if (!Array.isArray(groups) || groups.length === 0) throw new DpInputError("groups must be a non-empty array");
  groups.forEach((g, l) => {
    const where = `group ${l}${g?.name ? ` (${g.name})` : ""}`;
    if (!g || !Array.isArray(g.options) || g.options.length === 0) throw new DpInputError(`${where}: options must be a non-empty array`);
    if (g.options.length > 32767) throw new DpInputError(`${where}: at most 32767 options, got ${g.options.length}`);
    g.options.forEach((o, k) => {
      if (!Number.isFinite(o?.cost)) throw new DpInputError(`${where}, option ${k}: cost must be finite, got ${o?.cost}`);
      if (!Number.isFinite(o?.weight) || o.weight < 0) throw new DpInputError(`${where}, option ${k}: weight must be finite and ≥ 0, got ${o?.weight}`);
    });
  });
}

function planTotals(groups: KnapsackGroup[], choices: number[]): { cost: number; weight: number } {
  let cost = 0;
  let weight = 0;
  for (let l = 0; l < groups.length; l++) {
    const o = groups[l]!.options[choices[l]!]!;
    cost += o.cost;
    weight += o.weight;
  }
  return { cost, weight };
}

/** Per group, the option minimising `key`, ties broken by `tie`. */
function extremePlan(groups: KnapsackGroup[], key: (o: KnapsackOption) => number, tie: (o: KnapsackOption) => number): number[] {
  return groups.map((g) => {
    let best = 0;
    for (let k = 1; k < g.options.length; k++) {
      const a = g.options[k]!;
      const b = g.options[best]!;
      if (key(a) < key(b) || (key(a) === key(b) && tie(a) < tie(b))) best = k;
    }
    return best;
  });
}

/**
 * Solve the MCKP for every budget in [0, maxWeight] in one pass and return the Pareto frontier.
 * The frontier also contains the two exact extremes (the lightest plan and the cheapest plan), so
 * infeasibility is decided exactly (budget < Σ_l min_k w_{l,k}) and budgets ≥ the cheapest plan's
 * weight get the unconstrained optimum.
 */
export function solveKnapsack(groups: KnapsackGroup[], opts: KnapsackOptions): KnapsackSolution {
  validateGroups(groups);
  const grid = new WeightGrid(opts.maxWeight, opts.bins ?? 2000);
  const U = grid.bins;
  const W = U + 1;
  const L = groups.length;
  const units = groups.map((g) => g.options.map((o) => grid.units(o.weight)));

  // D over exact cell counts; back[l*W + u] = option chosen in group l to reach u.
  const back = new Int16Array(L * W).fill(-1);
  let prev = new Float64Array(W).fill(Infinity);
  prev[0] = 0;
  for (let l = 0; l < L; l++) {
    const cur = new Float64Array(W).fill(Infinity);
    const opts_ = groups[l]!.options;
    const base = l * W;
    for (let k = 0; k < opts_.length; k++) {
      const wu = units[l]![k]!;
      if (wu > U) continue;
      const c = opts_[k]!.cost;
      for (let u = wu; u < W; u++) {
        const v = prev[u - wu]! + c;
        if (v < cur[u]!) {
          cur[u] = v;
          back[base + u] = k;
        }
      }
    }
    prev = cur;
  }

  const reconstruct = (u0: number): number[] => {
    const choices = new Array<number>(L);
    let u = u0;
    for (let l = L - 1; l >= 0; l--) {
      const k = back[l * W + u]!;
      if (k < 0) throw new Error(`internal: broken back-pointer at group ${l}, cell ${u}`);
      choices[l] = k;
      u -= units[l]![k]!;
    }
    if (u !== 0) throw new Error(`internal: back-pointers did not return to cell 0 (ended at ${u})`);
    return choices;
  };

  const candidates: FrontierPoint<KnapsackPlan>[] = [];
  let bestSoFar = Infinity;
  for (let u = 0; u < W; u++) {
    if (prev[u]! < bestSoFar) {
      bestSoFar = prev[u]!;
      const choices = reconstruct(u);
      candidates.push({ ...planTotals(groups, choices), plan: { choices } });
    }
  }
  const lightest = extremePlan(groups, (o) => o.weight, (o) => o.cost);
  const cheapest = extremePlan(groups, (o) => o.cost, (o) => o.weight);
  const lightTotals = planTotals(groups, lightest);
  candidates.push({ ...lightTotals, plan: { choices: lightest } });
  candidates.push({ ...planTotals(groups, cheapest), plan: { choices: cheapest } });

  const roundedGroups = groups.filter((g) => g.options.some((o) => !grid.isExact(o.weight))).length;
  const frontier = new ParetoFrontier(candidates, lightTotals.weight);
  return {
    frontier,
    discretisation: { maxWeight: grid.maxWeight, bins: U, step: grid.step, roundedGroups, budgetSlack: roundedGroups * grid.step },
    best: (b) => frontier.best(b),
  };
}
