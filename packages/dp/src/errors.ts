/**
 * Bad input to a solver: the message names the field and the position (group/option, stage path).
 * Infeasibility is NOT an error — it is a typed result (`BudgetResult` with `status: "infeasible"`).
 */
export class DpInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DpInputError";
  }
}
