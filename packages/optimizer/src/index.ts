// @ola/optimizer: the OLA pipeline (profile -> candidates -> impact -> DP -> validated plan).
export * from "./plan.js";
export * from "./cost-table.js";
export * from "./cost-model.js";
export * from "./divergence.js";
export * from "./suffix.js";
export * from "./impact.js";
export * from "./budget-search.js";
export * from "./candidates.js";
export * from "./plan-programs.js";
export * from "./structure.js";
export * from "./optimize.js";
export * from "./validate.js";
export * from "./defaults.js";
export * from "./report.js";
