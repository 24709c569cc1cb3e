// @ola/optimizer: the OLA pipeline (profile -> candidates -> impact -> DP -> validated plan).
export * from "./plan.js";
export * from "./cost-table.js";
export * from "./cost-model.js";
