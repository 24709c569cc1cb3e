// CostModel (INTERFACES §4): turns a polynomial's PolyCost and the level it starts at into
// encrypted seconds, and accounts for bootstrapping. The optimiser only knows this interface; the
// table behind it is either the analytic default (cost-table.ts) or a measured costs.json.
import { analyticCostTable, type CostTable, type OpSeconds } from "./cost-table.js";

/** Structural copy of @ola/poly's PolyCost (INTERFACES §1). */
export interface PolyCost {
  depth: number;
  nonScalarMultiplications: number;
  scalarMultiplications: number;
  additions: number;
}

export interface CostModel {
  /** Human-readable provenance ("analytic default (node-seal N=2^15 timings)", "measured costs.json ..."). */
  readonly description: string;
  /** Levels available to the network after a bootstrap (and after encryption). */
  readonly levelsAfterBootstrap: number;
  /** Seconds for one bootstrap of one ciphertext. */
  readonly bootstrapSeconds: number;
  /** Levels consumed by the linear layer in front of each activation site (conv with BN folded). */
  readonly linearDepth: number;
  /** Seconds to evaluate a polynomial of this cost on one ciphertext that has `levelsLeft` levels. */
  polySeconds(cost: PolyCost, levelsLeft: number): number;
}

/**
 * Analytic bootstrap: op counts of a full-slot CKKS bootstrap at N = 2^15 (CoeffToSlot and
 * SlotToCoeff as two BSGS levels of radix 2^7 each, ~23 rotations and 128 diagonal products per
 * level; EvalMod as a degree-31 scaled-cosine Chebyshev series (13 non-scalar multiplications) plus
 * two double-angle squarings, on the real and imaginary parts), all costed at the top of the chain. An estimate to be replaced by the measured
 * `bootstrapSeconds` from `ola he calibrate`.
 */
export const ANALYTIC_BOOTSTRAP_OPS = { rotate: 92, mulRelin: 30, mulPlain: 512, rescale: 40, add: 600 } as const;
/**
 * Levels consumed by the analytic bootstrap out of the 19 levels of the N = 2^15 chain
 * (60 + 40*19 + 60 bits within the 881-bit bound): CoeffToSlot 2 + EvalMod 8 (a scaled cosine as a
 * Chebyshev series, 6 levels with its affine map, then 2 double-angle steps) + SlotToCoeff 2 = 12,
 * leaving 7 levels for the network.
 */
export const ANALYTIC_BOOTSTRAP_DEPTH = 12;

export interface TableCostModelOptions {
  levelsAfterBootstrap?: number;
  bootstrapSeconds?: number;
  linearDepth?: number;
}

/** A CostModel over a CostTable: op counts times per-level op times. */
export class TableCostModel implements CostModel {
  readonly description: string;
  readonly levelsAfterBootstrap: number;
  readonly bootstrapSeconds: number;
  readonly linearDepth: number;
  private readonly byPrimes: { primes: number; seconds: OpSeconds }[];

  constructor(
    readonly table: CostTable,
    opts: TableCostModelOptions = {},
    description?: string,
  ) {
    this.byPrimes = [...table.levels].sort((x, y) => x.primes - y.primes);
    const maxPrimes = this.byPrimes[this.byPrimes.length - 1]!.primes;
    this.levelsAfterBootstrap =
      opts.levelsAfterBootstrap ?? table.levelsAfterBootstrap ?? Math.max(1, maxPrimes - 1 - ANALYTIC_BOOTSTRAP_DEPTH);
    this.linearDepth = opts.linearDepth ?? 1;
    if (!Number.isInteger(this.levelsAfterBootstrap) || this.levelsAfterBootstrap < 1) {
      throw new Error(`levelsAfterBootstrap must be an integer >= 1, got ${this.levelsAfterBootstrap}`);
    }
    if (!Number.isInteger(this.linearDepth) || this.linearDepth < 0 || this.linearDepth >= this.levelsAfterBootstrap) {
      throw new Error(`linearDepth must be an integer in [0, ${this.levelsAfterBootstrap - 1}], got ${this.linearDepth}`);
    }
    const top = this.opsAt(maxPrimes);
    const b = ANALYTIC_BOOTSTRAP_OPS;
    this.bootstrapSeconds =
      opts.bootstrapSeconds ??
      table.bootstrapSeconds ??
      b.rotate * top.rotate + b.mulRelin * top.mulRelin + b.mulPlain * top.mulPlain + b.rescale * top.rescale + b.add * top.add;
    this.description =
      description ??
      `${table.preset} (N=${table.N}; ${this.levelsAfterBootstrap} levels after bootstrap; bootstrap ${this.bootstrapSeconds.toFixed(1)} s${
        table.bootstrapSeconds === undefined && opts.bootstrapSeconds === undefined ? " analytic" : ""
      })`;
  }

  /** Op times at a (possibly fractional) number of primes, linearly interpolated between table rows. */
  opsAt(primes: number): OpSeconds {
    const rows = this.byPrimes;
    if (primes <= rows[0]!.primes) return rows[0]!.seconds;
    const last = rows[rows.length - 1]!;
    if (primes >= last.primes) return last.seconds;
    let i = 0;
    while (rows[i + 1]!.primes < primes) i++;
    const lo = rows[i]!;
    const hi = rows[i + 1]!;
    const t = (primes - lo.primes) / (hi.primes - lo.primes);
    const out = {} as OpSeconds;
    for (const k of Object.keys(lo.seconds) as (keyof OpSeconds)[]) out[k] = lo.seconds[k] + t * (hi.seconds[k] - lo.seconds[k]);
    return out;
  }

  /**
   * A polynomial's ops run between its start level and start - depth; they are costed at the
   * midpoint (levelsLeft - depth/2 levels, i.e. that + 1 primes, q0 always remaining).
   * Each non-scalar multiplication is a mul+relinearise and a rescale; scalar multiplications are
   * constant products (their rescales are fused per level, counted once per level of depth).
   */
  polySeconds(cost: PolyCost, levelsLeft: number): number {
    const ops = this.opsAt(levelsLeft - cost.depth / 2 + 1);
    return (
      cost.nonScalarMultiplications * (ops.mulRelin + ops.rescale) +
      cost.scalarMultiplications * ops.mulConst +
      cost.depth * ops.rescale +
      cost.additions * ops.add
    );
  }
}

/** The analytic default: TOOLCHAIN §2.3 timings at N = 2^15, analytic bootstrap. */
export function analyticCostModel(opts: TableCostModelOptions = {}): TableCostModel {
  const m = new TableCostModel(analyticCostTable(), opts);
  return m;
}

export interface SiteSchedule {
  /** Bootstraps performed before/inside this site's segment (linear layer + activation). */
  bootstraps: number;
  /** Levels left when the activation's polynomial starts. */
  startLevels: number;
  seconds: number;
}

export interface NetworkCost {
  seconds: number;
  polySeconds: number;
  bootstrapSeconds: number;
  bootstraps: number;
  sites: SiteSchedule[];
}

/**
 * Level schedule of a network seen as a chain of segments (linear layer, then activation), in
 * topological order, one ciphertext per layer. A bootstrap is placed as late as possible: before a
 * segment that no longer fits in the remaining levels (greedy is optimal for a chain: it minimises
 * the number of refreshes). A segment deeper than levelsAfterBootstrap is split by bootstraps inside
 * it (e.g. between the components of a composite polynomial).
 * Simplification (documented): residual shortcuts are assumed to be brought to the main branch's
 * level without extra bootstraps; linear layers cost levels but no seconds here (they are the same
 * for every plan of a model).
 */
export function networkCost(model: CostModel, costs: PolyCost[]): NetworkCost {
  const L = model.levelsAfterBootstrap;
  let left = L;
  let bootstraps = 0;
  let polySeconds = 0;
  const sites: SiteSchedule[] = [];
  for (const cost of costs) {
    const need = model.linearDepth + cost.depth;
    let b = 0;
    if (need > left) {
      b++;
      left = L;
    }
    // Split a too-deep segment: the part that does not fit goes after another bootstrap.
    const startLevels = left - model.linearDepth;
    let seconds: number;
    if (need <= left) {
      seconds = model.polySeconds(cost, startLevels);
      left -= need;
    } else {
      // Cost the polynomial as if run in pieces; its op counts are spread over the levels it uses.
      seconds = 0;
      let remainingDepth = cost.depth;
      let avail = startLevels;
      while (remainingDepth > 0) {
        const d = Math.min(remainingDepth, avail);
        const frac = d / cost.depth;
        seconds += model.polySeconds(
          {
            depth: d,
            nonScalarMultiplications: cost.nonScalarMultiplications * frac,
            scalarMultiplications: cost.scalarMultiplications * frac,
            additions: cost.additions * frac,
          },
          avail,
        );
        remainingDepth -= d;
        avail -= d;
        if (remainingDepth > 0) {
          b++;
          avail = L;
        }
      }
      left = avail;
    }
    bootstraps += b;
    polySeconds += seconds;
    sites.push({ bootstraps: b, startLevels, seconds });
  }
  const bootstrapSeconds = bootstraps * model.bootstrapSeconds;
  return { seconds: polySeconds + bootstrapSeconds, polySeconds, bootstrapSeconds, bootstraps, sites };
}

/**
 * Stand-alone cost of one candidate for a separable (knapsack) optimisation: its polynomial costed
 * at the middle of the level budget, plus its share of bootstrapping, (linearDepth + depth) / L
 * bootstraps (a candidate that consumes more levels forces proportionally more refreshes). The
 * plan's reported time always comes from networkCost, not from this sum.
 */
export function candidateSeconds(model: CostModel, cost: PolyCost): number {
  const L = model.levelsAfterBootstrap;
  const mid = Math.max(cost.depth, Math.ceil((L - model.linearDepth + cost.depth) / 2));
  return model.polySeconds(cost, Math.min(mid, L)) + ((model.linearDepth + cost.depth) / L) * model.bootstrapSeconds;
}
