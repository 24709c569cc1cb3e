/**
 * The input of the level-aware DP: a network described generically as a chain of stages.
 *
 * Level model (RNS-CKKS style): a ciphertext carries a number of remaining levels ℓ ≥ 0.
 *  - A stage that consumes d levels needs ℓ ≥ d before it and leaves ℓ − d.
 *  - A bootstrap may be inserted immediately before any stage whose `bootstrapBefore` is not false
 *    (in any chain: top level, a residual block's main branch, or its skip branch). It costs
 *    `bootstrapCost` and sets the level to `levelsAfterBootstrap`, whatever it was.
 *  - A residual block forks the current ciphertext into two branches, `main` and `skip`, both
 *    starting at the fork level; each branch is itself a chain of stages. The Add at the end needs
 *    both operands at the same level: the higher one is mod-switched down for free, so the block's
 *    output level is min(ℓ_main, ℓ_skip). An empty `skip` is the identity shortcut.
 *  - The chain starts at `initialLevel` and must end with at least `minFinalLevel` levels (default 0).
 *  - Costs may depend on the level the operation runs at (in CKKS, lower levels are cheaper).
 *    Mod-switching down is performed only where an Add requires it (no voluntary level drops).
 *
 * Paths name stages: the i-th top-level stage is "i"; inside the residual stage at path p the j-th
 * stage of the main branch is "p.main.j" and of the skip branch "p.skip.j".
 * Sites are numbered in preorder: chain order, and inside a residual block the main branch before
 * the skip branch. `choices[s]` in a plan is the option chosen at site s.
 */

/** A cost: a constant, or a function of the level (remaining levels) the operation starts at. */
export type LevelCost = number | ((level: number) => number);

export interface LevelOption {
  /** Levels consumed (integer ≥ 0). */
  depth: number;
  /** Budgeted quantity (e.g. accuracy impact), finite ≥ 0. */
  weight: number;
  /** Time of this option when it starts at the given level. */
  cost: LevelCost;
}

export interface SiteStage {
  kind: "site";
  name?: string;
  options: LevelOption[];
  /** May a bootstrap be placed right before this stage? Default true. */
  bootstrapBefore?: boolean;
}

export interface LinearStage {
  kind: "linear";
  name?: string;
  /** Known levels consumed by this fixed step (e.g. a convolution: 1). */
  depth: number;
  /** Default 0. */
  cost?: LevelCost;
  bootstrapBefore?: boolean;
}

export interface ResidualStage {
  kind: "residual";
  name?: string;
  main: LevelStage[];
  /** The shortcut branch; [] for the identity. */
  skip: LevelStage[];
  /** A bootstrap before the fork (both branches then start at `levelsAfterBootstrap`). Default true. */
  bootstrapBefore?: boolean;
}

export type LevelStage = SiteStage | LinearStage | ResidualStage;

export interface LevelAwareProblem {
  stages: LevelStage[];
  /** Levels available to the input ciphertext. */
  initialLevel: number;
  /** Levels available right after a bootstrap. */
  levelsAfterBootstrap: number;
  /** Time of one bootstrap, ≥ 0. */
  bootstrapCost: number;
  /** Levels that must remain at the end (e.g. for decryption headroom). Default 0. */
  minFinalLevel?: number;
}

/** A plan for a level-aware problem: one option per site and the set of bootstrap positions. */
export interface LevelPlan {
  /** Option index per site, sites in preorder (see the module comment). */
  choices: number[];
  /** Paths of the stages preceded by a bootstrap, in execution order. */
  bootstrapBefore: string[];
}

export interface StageTrace {
  path: string;
  name?: string;
  kind: LevelStage["kind"];
  bootstrap: boolean;
  /** Level right before the stage (after the optional bootstrap). */
  levelIn: number;
  /** Level after the stage (for a residual block: after the merge). */
  levelOut: number;
  /** Site index and chosen option (sites only). */
  site?: number;
  option?: number;
  /** Time of the stage itself (excluding its bootstrap and, for residual blocks, its inner stages). */
  cost: number;
}

export type LevelPlanEvaluation =
  | { feasible: true; cost: number; weight: number; bootstraps: number; finalLevel: number; trace: StageTrace[] }
  | { feasible: false; reason: string };

export interface SiteInfo {
  index: number;
  path: string;
  name?: string;
}

/** The sites of a problem in preorder with their paths. */
export function listSites(stages: LevelStage[]): SiteInfo[] {
  const out: SiteInfo[] = [];
  const walk = (chain: LevelStage[], prefix: string) => {
    chain.forEach((s, i) => {
      const path = prefix === "" ? `${i}` : `${prefix}.${i}`;
      if (s.kind === "site") out.push({ index: out.length, path, ...(s.name !== undefined ? { name: s.name } : {}) });
      else if (s.kind === "residual") {
        walk(s.main, `${path}.main`);
        walk(s.skip, `${path}.skip`);
      }
    });
  };
  walk(stages, "");
  return out;
}

export function costAt(c: LevelCost | undefined, level: number): number {
  if (c === undefined) return 0;
  return typeof c === "number" ? c : c(level);
}

/**
 * Simulate a plan directly on the nested structure (the reference semantics of the model above).
 * Used to report a solved plan's trace and totals; tests compare the DP against an independent
 * brute force, not against this function.
 */
export function evaluateLevelPlan(problem: LevelAwareProblem, plan: LevelPlan): LevelPlanEvaluation {
  const boots = new Set(plan.bootstrapBefore);
  const sites = listSites(problem.stages);
  if (plan.choices.length !== sites.length) {
    return { feasible: false, reason: `plan has ${plan.choices.length} choices but the problem has ${sites.length} sites` };
  }
  const trace: StageTrace[] = [];
  let siteIdx = 0;
  let cost = 0;
  let weight = 0;
  let bootstraps = 0;
  let failure: string | null = null;

  // Sites are numbered in preorder (main before skip) but we simulate skip and main in any order,
  // so pre-assign indices by path.
  const siteIndexByPath = new Map(sites.map((s) => [s.path, s.index]));

  const runChain = (chain: LevelStage[], prefix: string, level0: number): number => {
    let level = level0;
    for (let i = 0; i < chain.length && failure === null; i++) {
      const s = chain[i]!;
      const path = prefix === "" ? `${i}` : `${prefix}.${i}`;
      const boot = boots.has(path);
      if (boot) {
        if (s.bootstrapBefore === false) {
          failure = `a bootstrap is placed before stage ${path}, which does not allow one`;
          break;
        }
        bootstraps++;
        cost += problem.bootstrapCost;
        level = problem.levelsAfterBootstrap;
      }
      const entry: StageTrace = { path, kind: s.kind, bootstrap: boot, levelIn: level, levelOut: level, cost: 0 };
      if (s.name !== undefined) entry.name = s.name;
      trace.push(entry);
      if (s.kind === "site") {
        const si = siteIndexByPath.get(path)!;
        const k = plan.choices[si]!;
        const o = s.options[k];
        if (!o) {
          failure = `site ${si} (stage ${path}) has no option ${k}`;
          break;
        }
        if (level < o.depth) {
          failure = `stage ${path}: option ${k} needs ${o.depth} levels, only ${level} left`;
          break;
        }
        entry.site = si;
        entry.option = k;
        entry.cost = costAt(o.cost, level);
        cost += entry.cost;
        weight += o.weight;
        level -= o.depth;
        siteIdx++;
      } else if (s.kind === "linear") {
        if (level < s.depth) {
          failure = `stage ${path}: needs ${s.depth} levels, only ${level} left`;
          break;
        }
        entry.cost = costAt(s.cost, level);
        cost += entry.cost;
        level -= s.depth;
      } else {
        const lm = runChain(s.main, `${path}.main`, level);
        const ls = runChain(s.skip, `${path}.skip`, level);
        level = Math.min(lm, ls);
      }
      entry.levelOut = level;
    }
    return level;
  };
  const final = runChain(problem.stages, "", problem.initialLevel);
  if (failure !== null) return { feasible: false, reason: failure };
  const known = new Set(trace.map((t) => t.path));
  for (const b of boots) if (!known.has(b)) return { feasible: false, reason: `bootstrap position ${b} is not a stage path` };
  const minFinal = problem.minFinalLevel ?? 0;
  if (final < minFinal) return { feasible: false, reason: `the chain ends with ${final} levels, ${minFinal} required` };
  void siteIdx;
  return { feasible: true, cost, weight, bootstraps, finalLevel: final, trace };
}
