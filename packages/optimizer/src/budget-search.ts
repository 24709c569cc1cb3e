// Tightening the impact budget: the DP frontier is sorted by predicted impact (ascending) with
// time descending. The measured top-1 drop grows with the predicted impact (the premise of the
// method, checked by the additivity report), so the fastest plan whose measured drop is within the
// limit is found by bisection over the frontier: O(log n) plaintext validations.

export interface BisectionStep {
  index: number;
  passed: boolean;
  detail: string;
}

export interface BisectionResult {
  /** Index of the fastest frontier point that passed, or -1 if even the most accurate failed. */
  index: number;
  steps: BisectionStep[];
}

/**
 * `points` are frontier indices 0..n-1, 0 the most accurate. `check(i)` validates point i.
 * Checks point 0 first (if it fails nothing can pass), then bisects for the largest passing index
 * under the monotonicity assumption; every index it returns has actually passed its check.
 */
export async function bisectFrontier(
  n: number,
  check: (index: number) => Promise<{ passed: boolean; detail: string }>,
): Promise<BisectionResult> {
  const steps: BisectionStep[] = [];
  const run = async (i: number) => {
    const r = await check(i);
    steps.push({ index: i, passed: r.passed, detail: r.detail });
    return r.passed;
  };
  if (n <= 0) return { index: -1, steps };
  if (!(await run(0))) return { index: -1, steps };
  let lo = 0; // passes
  let hi = n; // first index known (or assumed, n) to fail
  // Try the fastest point first: often the whole frontier is within the limit for loose budgets.
  if (n > 1) {
    if (await run(n - 1)) return { index: n - 1, steps };
    hi = n - 1;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await run(mid)) lo = mid;
    else hi = mid;
  }
  return { index: lo, steps };
}
