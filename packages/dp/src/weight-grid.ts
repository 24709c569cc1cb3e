import { DpInputError } from "./errors.js";

/**
 * The discretised weight (impact) axis shared by both solvers.
 *
 * The axis [0, maxWeight] is cut into `bins` cells of width δ = maxWeight / bins. Every option weight
 * w ≥ 0 is rounded UP to a whole number of cells, units(w) = ⌈w/δ⌉, so that
 *
 *     w ≤ units(w)·δ < w + δ.                                                     (1)
 *
 * Consequences, for a plan choosing one option in each of L weighted groups (sites), with true total
 * weight W = Σ w_i and grid total G = Σ units(w_i)·δ:
 *
 *   (a) Feasibility is never lost: the solver only accepts plans with G ≤ b, and W ≤ G by (1),
 *       so every returned plan satisfies W ≤ b for the true weights.
 *   (b) Bounded loss of optimality: let P* be the cheapest plan with true weight W* ≤ b − L·δ.
 *       By (1), G(P*) < W* + L·δ ≤ b, hence P* is admissible on the grid (its cell count k satisfies
 *       k·δ < b, so k ≤ ⌊b/δ⌋). The grid optimum is therefore no more expensive than P*:
 *
 *           OPT(b) ≤ DP(b) ≤ OPT(b − L·δ)       for every 0 ≤ b ≤ maxWeight,
 *
 *       where OPT(x) is the exact (continuous) optimum for budget x (OPT(x) = +∞ if x is below the
 *       lightest plan). The left inequality is (a). `budgetSlack` = L·δ is the stated error.
 *
 * L counts only groups that have an option whose weight is not a multiple of δ (others round exactly).
 * In floating point, units(w) is corrected upward until units·δ ≥ w holds as computed, so (1)'s left
 * inequality holds exactly as evaluated.
 */
export class WeightGrid {
  readonly maxWeight: number;
  readonly bins: number;
  /** δ, the width of one cell. */
  readonly step: number;

  constructor(maxWeight: number, bins: number) {
    if (!Number.isFinite(maxWeight) || !(maxWeight > 0)) {
      throw new DpInputError(`maxWeight must be a finite number > 0, got ${maxWeight}`);
    }
    if (!Number.isSafeInteger(bins) || bins < 1 || bins > 50_000_000) {
      throw new DpInputError(`bins must be an integer in [1, 50000000], got ${bins}`);
    }
    this.maxWeight = maxWeight;
    this.bins = bins;
    this.step = maxWeight / bins;
  }

  /**
   * ⌈w/δ⌉ with the floating-point correction of (1), capped at `bins + 1`: any larger count means the same
   * thing (the option is off-grid, heavier than maxWeight). The cap keeps counts small integers, because
   * the solvers store them in Int32Arrays: a diverging fit's weight (KL ~1e9, or +∞) would otherwise wrap
   * to a negative count there, and a negative count turned the level-aware DP's row loop into ~2^31
   * no-op iterations (20 minutes at one site).
   */
  units(w: number): number {
    if (w === 0) return 0;
    if (!(w <= this.maxWeight * 2)) return this.bins + 1;
    let k = Math.ceil(w / this.step);
    while (k * this.step < w) k++;
    return Math.min(k, this.bins + 1);
  }

  /** True if w lies exactly on the grid (no rounding error introduced). */
  isExact(w: number): boolean {
    return this.units(w) * this.step === w;
  }

  /** Largest cell count admissible for budget b: ⌊b/δ⌋ capped at `bins`, corrected so count·δ ≤ b. */
  cellsWithin(budget: number): number {
    if (!(budget >= 0)) return -1;
    let k = Math.min(this.bins, Math.floor(budget / this.step));
    while (k > 0 && k * this.step > budget) k--;
    return k;
  }
}
