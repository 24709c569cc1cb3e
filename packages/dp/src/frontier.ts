/**
 * Pareto frontiers (cost vs weight) and the typed answer to "best plan within budget b".
 */

/** A plan with its true (un-discretised) total cost and weight. */
export interface FrontierPoint<P> {
  cost: number;
  weight: number;
  plan: P;
}

/** Answer for one budget: either a plan, or a statement that no plan fits (never an exception). */
export type BudgetResult<P> =
  | { status: "ok"; budget: number; cost: number; weight: number; plan: P }
  | {
      status: "infeasible";
      budget: number;
      /** Smallest true total weight any plan achieves (+Infinity if no plan exists at all). */
      minimumWeight: number;
      message: string;
    };

/** Relative tolerance for comparing a float sum of weights against a budget. */
const WEIGHT_EPS = 1e-12;

/**
 * A Pareto frontier: points sorted by weight ascending with cost strictly descending, so
 * `best(b)` (the last point of weight ≤ b) is monotone: more budget never costs more.
 */
export class ParetoFrontier<P> {
  readonly points: readonly FrontierPoint<P>[];
  /** Smallest achievable true weight over all plans (+Infinity if none). */
  readonly minimumWeight: number;

  constructor(candidates: FrontierPoint<P>[], minimumWeight: number) {
    this.points = paretoFilter(candidates);
    this.minimumWeight = minimumWeight;
  }

  /** The cheapest frontier plan whose true weight is ≤ budget, or a typed infeasibility. */
  best(budget: number): BudgetResult<P> {
    if (Number.isNaN(budget)) throw new RangeError("budget must be a number, got NaN");
    const lim = budget + WEIGHT_EPS * Math.max(1, Math.abs(budget));
    let lo = 0;
    let hi = this.points.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid]!.weight <= lim) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) {
      const mw = this.minimumWeight;
      return {
        status: "infeasible",
        budget,
        minimumWeight: mw,
        message: Number.isFinite(mw)
          ? `no plan has total weight ≤ ${budget}: the lightest plan weighs ${mw}`
          : `no feasible plan exists at any budget (constraints other than weight cannot be met)`,
      };
    }
    const p = this.points[found]!;
    return { status: "ok", budget, cost: p.cost, weight: p.weight, plan: p.plan };
  }
}

/** Keep the non-dominated points: sort by (weight, cost), keep strictly decreasing cost. */
export function paretoFilter<P>(candidates: FrontierPoint<P>[]): FrontierPoint<P>[] {
  const sorted = candidates
    .filter((c) => Number.isFinite(c.cost) && Number.isFinite(c.weight))
    .sort((a, b) => a.weight - b.weight || a.cost - b.cost);
  const out: FrontierPoint<P>[] = [];
  for (const c of sorted) {
    if (out.length === 0 || c.cost < out[out.length - 1]!.cost) out.push(c);
  }
  return out;
}
