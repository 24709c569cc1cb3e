// Damage measures between a model's exact logits and the logits with an approximated activation:
// mean KL divergence of the softmax distributions, KL(p_exact || p_approx), and top-1 changes.

/** Softmax of each row of `logits` (rows x classes), in float64, max-shifted for stability. */
export function softmaxRows(logits: ArrayLike<number>, classes: number): Float64Array {
  const rows = logits.length / classes;
  if (!Number.isInteger(rows)) throw new Error(`logits length ${logits.length} is not a multiple of ${classes} classes`);
  const out = new Float64Array(logits.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[r * classes + c]!);
    let s = 0;
    for (let c = 0; c < classes; c++) s += out[r * classes + c] = Math.exp(logits[r * classes + c]! - m);
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= s;
  }
  return out;
}

/**
 * Mean over rows of KL(p || q) = sum_c p_c (log p_c - log q_c), in nats, with q computed from logits
 * via log-softmax (so that a q_c underflowing to 0 still gives a finite, large divergence).
 * A non-finite logit (an exploding polynomial) yields +Infinity.
 */
export function meanKlDivergence(exactProbs: Float64Array, approxLogits: ArrayLike<number>, classes: number): number {
  const rows = exactProbs.length / classes;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = approxLogits[r * classes + c]!;
      if (!Number.isFinite(v)) return Infinity;
      m = Math.max(m, v);
    }
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(approxLogits[r * classes + c]! - m);
    const logZ = m + Math.log(s);
    let kl = 0;
    for (let c = 0; c < classes; c++) {
      const p = exactProbs[r * classes + c]!;
      if (p > 0) kl += p * (Math.log(p) - (approxLogits[r * classes + c]! - logZ));
    }
    total += Math.max(0, kl);
  }
  return total / rows;
}

/** Index of the largest entry of each row. */
export function argmaxRows(logits: ArrayLike<number>, classes: number): Int32Array {
  const rows = logits.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[r * classes + c]! > logits[r * classes + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Percentage of rows whose argmax differs between two predictions. */
export function top1ChangePercent(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) throw new Error(`prediction lengths differ: ${a.length} vs ${b.length}`);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return (100 * n) / a.length;
}

/** Top-1 accuracy in percent. */
export function top1Percent(pred: Int32Array, labels: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) n++;
  return (100 * n) / pred.length;
}
