// Convenience: context + client + server-side evaluator in one process (tests, CLI, benchmarks).
// A real deployment keeps CkksClient on the data owner's side and ships only EvaluationKeys.
import { CkksClient } from "./client.js";
import { CkksContext, type ContextOptions } from "./context.js";
import { Evaluator, type EvaluatorOptions } from "./evaluator.js";
import type { ParameterSet } from "./params.js";

export interface SessionOptions extends ContextOptions, EvaluatorOptions {
  /** Rotation steps to generate Galois keys for (0 = conjugation). */
  rotations?: number[];
}

export class CkksSession implements Disposable {
  private constructor(
    readonly ctx: CkksContext,
    readonly client: CkksClient,
    readonly evaluator: Evaluator,
  ) {}

  static async create(params: ParameterSet, opts: SessionOptions = {}): Promise<CkksSession> {
    const ctx = await CkksContext.create(params, opts);
    const client = new CkksClient(ctx);
    const evaluator = new Evaluator(ctx, client.evaluationKeys(opts.rotations ?? []), opts);
    return new CkksSession(ctx, client, evaluator);
  }

  dispose(): void {
    this.evaluator.dispose();
    this.client.dispose();
    this.ctx.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Sizes implied by a parameter set (bytes), from SEAL's layouts (TOOLCHAIN §2.4). */
export function parameterSizes(N: number, primes: number): { keySwitchingKeyBytes: number; ciphertextTopBytes: number; plaintextTopBytes: number } {
  const L = primes; // including the special prime
  return {
    keySwitchingKeyBytes: (L - 1) * 2 * L * N * 8,
    ciphertextTopBytes: 2 * (L - 1) * N * 8,
    plaintextTopBytes: (L - 1) * N * 8,
  };
}
