/**
 * Level-aware DP: choose one option per site AND the bootstrap positions jointly, minimising total
 * time (option costs at the level they run at + linear-step costs + bootstrap costs) subject to a
 * weight (impact) budget, for every budget at once.
 *
 * State. Along the chain the DP keeps, for every reachable state, the minimum cost so far:
 *     state = (u, c, ℓ):  u = weight cells used so far (0..|D|), ℓ = current level (0..Λ),
 *                         c = levels parked by enclosing residual blocks (a base-(Λ+1) stack).
 * Transitions (one per "op", compiled from the nested stages):
 *   boot   ℓ → levelsAfterBootstrap at bootstrapCost (optional, before a stage that allows it)
 *   site   (u, ℓ) → (u + units(w_k), ℓ − d_k) at cost_k(ℓ), for each option k with d_k ≤ ℓ
 *   linear ℓ → ℓ − d at cost(ℓ)
 *   fork   push the fork level: c → c·(Λ+1) + ℓ                 (then the skip branch runs)
 *   swap   exchange the skip branch's end level with the parked fork level (then main runs)
 *   merge  pop: ℓ → min(ℓ_main, ℓ_skip)                         (free mod-switch of the higher operand)
 * This is exact for the model of `level-stages.ts`: a residual block's two branches interact only
 * through the fork level (shared input) and the merge (min), and both are carried in the state.
 * Cost: O(Σ_ops K·|D|·Λ·C) time with C = (Λ+1)^(nesting depth); back-pointers O(|D|·C·Λ) per op.
 *
 * Weights use the same discretisation as the knapsack (`WeightGrid`): OPT(b) ≤ DP(b) ≤ OPT(b − L·δ),
 * L = number of sites with off-grid weights. The proof in weight-grid.ts only uses additivity of
 * the weights over sites, which holds here unchanged (levels and bootstraps carry no weight).
 */
import { DpInputError } from "./errors.js";
import { ParetoFrontier, type BudgetResult, type FrontierPoint } from "./frontier.js";
import {
  costAt,
  evaluateLevelPlan,
  listSites,
  type LevelAwareProblem,
  type LevelCost,
  type LevelPlan,
  type LevelStage,
  type SiteInfo,
  type StageTrace,
} from "./level-stages.js";
import type { Discretisation } from "./knapsack.js";
import { WeightGrid } from "./weight-grid.js";

export interface LevelAwareOptions {
  /** Upper end of the weight axis. */
  maxWeight: number;
  /** Cells on [0, maxWeight]. Default 1000. */
  bins?: number;
  /** Refuse instances whose back-pointer tables would exceed this many bytes. Default 1.5 GB. */
  maxMemoryBytes?: number;
}

/** A solved plan with its true totals and the level trace of every stage. */
export interface SolvedLevelPlan extends LevelPlan {
  bootstraps: number;
  finalLevel: number;
  trace: StageTrace[];
}

export interface LevelAwareSolution {
  frontier: ParetoFrontier<SolvedLevelPlan>;
  discretisation: Discretisation;
  sites: SiteInfo[];
  /** Λ: the largest level the DP tracks. */
  maxLevel: number;
  best(budget: number): BudgetResult<SolvedLevelPlan>;
}

type Op =
  | { t: "boot"; path: string; cin: number }
  | { t: "site"; path: string; site: number; depth: Int32Array; cost: Float64Array[]; cin: number }
  | { t: "linear"; path: string; depth: number; cost: Float64Array; cin: number }
  | { t: "fork"; path: string; cin: number }
  | { t: "swap"; path: string; cin: number }
  | { t: "merge"; path: string; cin: number };

interface Compiled {
  ops: Op[];
  sites: SiteInfo[];
  siteOptions: { depth: number; weight: number }[][];
  /** Λ + 1. */
  levels: number;
  maxNesting: number;
}

function isInt(x: unknown, min = 0): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= min;
}

function costTable(c: LevelCost | undefined, depth: number, levels: number, where: string): Float64Array {
  const t = new Float64Array(levels).fill(Infinity);
  for (let l = depth; l < levels; l++) {
    const v = costAt(c, l);
    if (!Number.isFinite(v)) throw new DpInputError(`${where}: cost at level ${l} must be finite, got ${v}`);
    t[l] = v;
  }
  return t;
}

function compile(problem: LevelAwareProblem): Compiled {
  if (!problem || !Array.isArray(problem.stages)) throw new DpInputError("problem.stages must be an array");
  if (!isInt(problem.initialLevel)) throw new DpInputError(`initialLevel must be an integer ≥ 0, got ${problem.initialLevel}`);
  if (!isInt(problem.levelsAfterBootstrap)) throw new DpInputError(`levelsAfterBootstrap must be an integer ≥ 0, got ${problem.levelsAfterBootstrap}`);
  if (!Number.isFinite(problem.bootstrapCost) || problem.bootstrapCost < 0) throw new DpInputError(`bootstrapCost must be finite and ≥ 0, got ${problem.bootstrapCost}`);
  const minFinal = problem.minFinalLevel ?? 0;
  if (!isInt(minFinal)) throw new DpInputError(`minFinalLevel must be an integer ≥ 0, got ${problem.minFinalLevel}`);
  const maxLevel = Math.max(problem.initialLevel, problem.levelsAfterBootstrap);
  if (maxLevel > 180) throw new DpInputError(`levels above 180 are not supported (got ${maxLevel})`);
  const levels = maxLevel + 1;
  const sites = listSites(problem.stages);
  const siteIndex = new Map(sites.map((s) => [s.path, s.index]));
  const siteOptions: { depth: number; weight: number }[][] = [];
  const ops: Op[] = [];
  let maxNesting = 0;

  const walk = (chain: LevelStage[], prefix: string, nesting: number) => {
    if (!Array.isArray(chain)) throw new DpInputError(`stage list at ${prefix || "top level"} must be an array`);
    maxNesting = Math.max(maxNesting, nesting);
    const cin = levels ** nesting;
    chain.forEach((s, i) => {
      const path = prefix === "" ? `${i}` : `${prefix}.${i}`;
      const where = `stage ${path}${s?.name ? ` (${s.name})` : ""}`;
      if (!s || typeof s !== "object") throw new DpInputError(`${where}: must be an object`);
      if (s.bootstrapBefore !== false) ops.push({ t: "boot", path, cin });
      if (s.kind === "site") {
        if (!Array.isArray(s.options) || s.options.length === 0) throw new DpInputError(`${where}: options must be a non-empty array`);
        if (s.options.length > 32767) throw new DpInputError(`${where}: at most 32767 options`);
        const si = siteIndex.get(path)!;
        const depth = new Int32Array(s.options.length);
        const cost = s.options.map((o, k) => {
          const w = `${where}, option ${k}`;
          if (!isInt(o?.depth)) throw new DpInputError(`${w}: depth must be an integer ≥ 0, got ${o?.depth}`);
          if (!Number.isFinite(o.weight) || o.weight < 0) throw new DpInputError(`${w}: weight must be finite and ≥ 0, got ${o.weight}`);
          if (typeof o.cost !== "number" && typeof o.cost !== "function") throw new DpInputError(`${w}: cost must be a number or a function of the level`);
          depth[k] = o.depth;
          return costTable(o.cost, o.depth, levels, w);
        });
        siteOptions[si] = s.options.map((o) => ({ depth: o.depth, weight: o.weight }));
        ops.push({ t: "site", path, site: si, depth, cost, cin });
      } else if (s.kind === "linear") {
        if (!isInt(s.depth)) throw new DpInputError(`${where}: depth must be an integer ≥ 0, got ${s.depth}`);
        if (s.cost !== undefined && typeof s.cost !== "number" && typeof s.cost !== "function") throw new DpInputError(`${where}: cost must be a number or a function of the level`);
        ops.push({ t: "linear", path, depth: s.depth, cost: costTable(s.cost, s.depth, levels, where), cin });
      } else if (s.kind === "residual") {
        ops.push({ t: "fork", path, cin });
        walk(s.skip, `${path}.skip`, nesting + 1);
        ops.push({ t: "swap", path, cin: cin * levels });
        walk(s.main, `${path}.main`, nesting + 1);
        ops.push({ t: "merge", path, cin: cin * levels });
      } else {
        throw new DpInputError(`${where}: kind must be "site", "linear" or "residual", got ${JSON.stringify((s as { kind?: unknown }).kind)}`);
      }
    });
  };
  walk(problem.stages, "", 0);
  return { ops, sites, siteOptions, levels, maxNesting };
}

interface EngineInput {
  compiled: Compiled;
  U: number;
  /** units[site][k]. */
  units: Int32Array[];
  /** Per site, per option, per level: the cost (Infinity where infeasible). */
  siteCost: (op: Extract<Op, { t: "site" }>) => Float64Array[];
  linearCost: (op: Extract<Op, { t: "linear" }>) => Float64Array;
  bootCost: number;
  initialLevel: number;
  levelsAfterBootstrap: number;
  maxMemoryBytes: number;
}

interface EngineOutput {
  /** final[u*levels + ℓ]: min cost ending with u cells at level ℓ. */
  final: Float64Array;
  backtrack(u: number, level: number): LevelPlan;
}

function runEngine(inp: EngineInput): EngineOutput {
  const { compiled, U, units } = inp;
  const { ops, levels: Λ1 } = compiled;
  const W = U + 1;
  let mem = 0;
  for (const op of ops) {
    if (op.t === "boot") mem += W * op.cin * 2;
    else if (op.t === "site") mem += W * op.cin * Λ1 * 2;
    else if (op.t === "merge") mem += (W * op.cin * Λ1) / Λ1 * 4;
  }
  const peakValues = W * Λ1 ** (compiled.maxNesting + 1) * 8 * 2;
  if (mem + peakValues > inp.maxMemoryBytes) {
    throw new DpInputError(
      `level-aware DP would need about ${Math.ceil((mem + peakValues) / 2 ** 20)} MiB (bins ${U}, ${Λ1} levels, residual nesting ${compiled.maxNesting}); ` +
        `use fewer bins or raise maxMemoryBytes (${inp.maxMemoryBytes})`,
    );
  }
  const parents: (Int16Array | Int32Array | null)[] = new Array(ops.length).fill(null);
  let C = 1;
  let V = new Float64Array(W * Λ1).fill(Infinity);
  V[inp.initialLevel] = 0;
  const Lb = inp.levelsAfterBootstrap;
  for (let oi = 0; oi < ops.length; oi++) {
    const op = ops[oi]!;
    if (op.t === "boot") {
      const out = V.slice();
      const par = new Int16Array(W * C).fill(-1);
      for (let uc = 0; uc < W * C; uc++) {
        const base = uc * Λ1;
        let m = Infinity;
        let arg = -1;
        for (let l = 0; l < Λ1; l++) if (V[base + l]! < m) { m = V[base + l]!; arg = l; }
        if (arg >= 0 && m + inp.bootCost < out[base + Lb]!) {
          out[base + Lb] = m + inp.bootCost;
          par[uc] = arg;
        }
      }
      V = out;
      parents[oi] = par;
    } else if (op.t === "site") {
      const out = new Float64Array(W * C * Λ1).fill(Infinity);
      const par = new Int16Array(W * C * Λ1).fill(-1);
      const cost = inp.siteCost(op);
      const un = units[op.site]!;
      // Rows (u, c) with no reachable level are skipped (early in the chain most u are unreachable).
      const live = new Uint8Array(W * C);
      for (let uc = 0; uc < W * C; uc++) {
        const b = uc * Λ1;
        for (let l = 0; l < Λ1; l++) if (V[b + l]! < Infinity) { live[uc] = 1; break; }
      }
      for (let k = 0; k < op.depth.length; k++) {
        const d = op.depth[k]!;
        const wu = un[k]!;
        const ck = cost[k]!;
        for (let u = 0; u + wu < W; u++) {
          for (let c = 0; c < C; c++) {
            if (live[u * C + c] === 0) continue;
            const src = (u * C + c) * Λ1;
            const dst = ((u + wu) * C + c) * Λ1 - d;
            for (let l = d; l < Λ1; l++) {
              const v = V[src + l]! + ck[l]!;
              if (v < out[dst + l]!) {
                out[dst + l] = v;
                par[dst + l] = k;
              }
            }
          }
        }
      }
      V = out;
      parents[oi] = par;
    } else if (op.t === "linear") {
      const out = new Float64Array(W * C * Λ1).fill(Infinity);
      const cost = inp.linearCost(op);
      const d = op.depth;
      for (let uc = 0; uc < W * C; uc++) {
        const base = uc * Λ1;
        for (let l = d; l < Λ1; l++) out[base + l - d] = V[base + l]! + cost[l]!;
      }
      V = out;
    } else if (op.t === "fork") {
      const C2 = C * Λ1;
      const out = new Float64Array(W * C2 * Λ1).fill(Infinity);
      for (let u = 0; u < W; u++)
        for (let c = 0; c < C; c++)
          for (let l = 0; l < Λ1; l++) out[(u * C2 + c * Λ1 + l) * Λ1 + l] = V[(u * C + c) * Λ1 + l]!;
      C = C2;
      V = out;
    } else if (op.t === "swap") {
      const out = new Float64Array(W * C * Λ1).fill(Infinity);
      const Co = C / Λ1;
      for (let u = 0; u < W; u++)
        for (let c = 0; c < Co; c++)
          for (let f = 0; f < Λ1; f++)
            for (let s = 0; s < Λ1; s++) out[(u * C + c * Λ1 + s) * Λ1 + f] = V[(u * C + c * Λ1 + f) * Λ1 + s]!;
      V = out;
    } else {
      const C2 = C / Λ1;
      const out = new Float64Array(W * C2 * Λ1).fill(Infinity);
      const par = new Int32Array(W * C2 * Λ1).fill(-1);
      for (let u = 0; u < W; u++)
        for (let c = 0; c < C2; c++)
          for (let s = 0; s < Λ1; s++) {
            const src = (u * C + c * Λ1 + s) * Λ1;
            for (let m = 0; m < Λ1; m++) {
              const v = V[src + m]!;
              const dst = (u * C2 + c) * Λ1 + (m < s ? m : s);
              if (v < out[dst]!) {
                out[dst] = v;
                par[dst] = m * Λ1 + s;
              }
            }
          }
      C = C2;
      V = out;
      parents[oi] = par;
    }
  }
  if (C !== 1) throw new Error(`internal: unbalanced residual markers (C = ${C})`);

  const backtrack = (u0: number, l0: number): LevelPlan => {
    const choices = new Array<number>(compiled.sites.length).fill(-1);
    const boots: string[] = [];
    let u = u0;
    let c = 0;
    let l = l0;
    for (let oi = ops.length - 1; oi >= 0; oi--) {
      const op = ops[oi]!;
      const par = parents[oi]!;
      if (op.t === "boot") {
        if (l === Lb) {
          const p = par[u * op.cin + c]!;
          if (p >= 0) {
            boots.push(op.path);
            l = p;
          }
        }
      } else if (op.t === "site") {
        const k = par[(u * op.cin + c) * Λ1 + l]!;
        if (k < 0) throw new Error(`internal: broken back-pointer at ${op.path}`);
        choices[op.site] = k;
        l += op.depth[k]!;
        u -= units[op.site]![k]!;
      } else if (op.t === "linear") {
        l += op.depth;
      } else if (op.t === "fork") {
        // current c is in the pushed space: c = parent·Λ1 + fork level (= l)
        c = Math.floor(c / Λ1);
      } else if (op.t === "swap") {
        const top = c % Λ1;
        c = c - top + l;
        l = top;
      } else {
        const p = par[(u * (op.cin / Λ1) + c) * Λ1 + l]!;
        if (p < 0) throw new Error(`internal: broken merge back-pointer at ${op.path}`);
        const m = Math.floor(p / Λ1);
        const s = p % Λ1;
        c = c * Λ1 + s;
        l = m;
      }
    }
    if (u !== 0 || c !== 0 || l !== inp.initialLevel) throw new Error(`internal: backtrack ended at (u=${u}, c=${c}, level=${l})`);
    return { choices, bootstrapBefore: boots.reverse() };
  };
  return { final: V, backtrack };
}

/** Best (cost, level) per cell count over levels ≥ minFinal. */
function bestPerCell(final: Float64Array, W: number, Λ1: number, minFinal: number): { cost: Float64Array; level: Int32Array } {
  const cost = new Float64Array(W).fill(Infinity);
  const level = new Int32Array(W).fill(-1);
  for (let u = 0; u < W; u++)
    for (let l = minFinal; l < Λ1; l++)
      if (final[u * Λ1 + l]! < cost[u]!) {
        cost[u] = final[u * Λ1 + l]!;
        level[u] = l;
      }
  return { cost, level };
}

/**
 * Solve a level-aware problem for every weight budget in [0, maxWeight] in one pass.
 * The frontier also holds two exact extremes: the lightest level-feasible plan (so infeasibility
 * is decided exactly) and the cheapest plan regardless of weight.
 */
export function solveLevelAware(problem: LevelAwareProblem, opts: LevelAwareOptions): LevelAwareSolution {
  const compiled = compile(problem);
  const grid = new WeightGrid(opts.maxWeight, opts.bins ?? 1000);
  const Λ1 = compiled.levels;
  const minFinal = problem.minFinalLevel ?? 0;
  const maxMemoryBytes = opts.maxMemoryBytes ?? 1.5e9;
  const base = {
    compiled,
    initialLevel: problem.initialLevel,
    levelsAfterBootstrap: problem.levelsAfterBootstrap,
    maxMemoryBytes,
  };
  const zeroUnits = compiled.siteOptions.map((os) => new Int32Array(os.length));

  const solved = (plan: LevelPlan, dpCost: number | null): FrontierPoint<SolvedLevelPlan> => {
    const ev = evaluateLevelPlan(problem, plan);
    if (!ev.feasible) throw new Error(`internal: DP produced an infeasible plan: ${ev.reason}`);
    if (dpCost !== null && Math.abs(ev.cost - dpCost) > 1e-9 * Math.max(1, Math.abs(dpCost))) {
      throw new Error(`internal: DP cost ${dpCost} differs from the simulated cost ${ev.cost}`);
    }
    return {
      cost: ev.cost,
      weight: ev.weight,
      plan: { ...plan, bootstraps: ev.bootstraps, finalLevel: ev.finalLevel, trace: ev.trace },
    };
  };

  // Lightest plan: minimise Σ weight exactly (weights as costs, nothing else costs).
  const light = runEngine({
    ...base,
    U: 0,
    units: zeroUnits,
    siteCost: (op) => op.cost.map((t, k) => t.map((v) => (Number.isFinite(v) ? compiled.siteOptions[op.site]![k]!.weight : Infinity))),
    linearCost: (op) => op.cost.map((v) => (Number.isFinite(v) ? 0 : Infinity)),
    bootCost: 0,
  });
  const lb = bestPerCell(light.final, 1, Λ1, minFinal);
  const candidates: FrontierPoint<SolvedLevelPlan>[] = [];
  let minimumWeight = Infinity;
  if (lb.level[0]! >= 0) {
    const p = solved(light.backtrack(0, lb.level[0]!), null);
    minimumWeight = p.weight;
    candidates.push(p);
    // Cheapest plan regardless of weight.
    const cheap = runEngine({ ...base, U: 0, units: zeroUnits, siteCost: (op) => op.cost, linearCost: (op) => op.cost, bootCost: problem.bootstrapCost });
    const cb = bestPerCell(cheap.final, 1, Λ1, minFinal);
    candidates.push(solved(cheap.backtrack(0, cb.level[0]!), cb.cost[0]!));
    // The whole frontier on the grid.
    const units = compiled.siteOptions.map((os) => Int32Array.from(os, (o) => grid.units(o.weight)));
    const eng = runEngine({ ...base, U: grid.bins, units, siteCost: (op) => op.cost, linearCost: (op) => op.cost, bootCost: problem.bootstrapCost });
    const per = bestPerCell(eng.final, grid.bins + 1, Λ1, minFinal);
    let bestSoFar = Infinity;
    for (let u = 0; u <= grid.bins; u++) {
      if (per.cost[u]! < bestSoFar) {
        bestSoFar = per.cost[u]!;
        candidates.push(solved(eng.backtrack(u, per.level[u]!), per.cost[u]!));
      }
    }
  }
  const roundedSites = compiled.siteOptions.filter((os) => os.some((o) => !grid.isExact(o.weight))).length;
  const frontier = new ParetoFrontier(candidates, minimumWeight);
  return {
    frontier,
    discretisation: { maxWeight: grid.maxWeight, bins: grid.bins, step: grid.step, roundedGroups: roundedSites, budgetSlack: roundedSites * grid.step },
    sites: compiled.sites,
    maxLevel: Λ1 - 1,
    best: (b) => frontier.best(b),
  };
}
