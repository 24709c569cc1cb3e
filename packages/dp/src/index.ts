// @ola/dp — generic layerwise optimisation by dynamic programming (knows nothing about networks).
export { DpInputError } from "./errors.js";
export { WeightGrid } from "./weight-grid.js";
export { ParetoFrontier, paretoFilter, type FrontierPoint, type BudgetResult } from "./frontier.js";
export {
  solveKnapsack,
  type KnapsackGroup,
  type KnapsackOption,
  type KnapsackOptions,
  type KnapsackPlan,
  type KnapsackSolution,
  type Discretisation,
} from "./knapsack.js";
export {
  evaluateLevelPlan,
  listSites,
  type LevelAwareProblem,
  type LevelCost,
  type LevelOption,
  type LevelPlan,
  type LevelPlanEvaluation,
  type LevelStage,
  type LinearStage,
  type ResidualStage,
  type SiteInfo,
  type SiteStage,
  type StageTrace,
} from "./level-stages.js";
export { solveLevelAware, type LevelAwareOptions, type LevelAwareSolution, type SolvedLevelPlan } from "./level-dp.js";
