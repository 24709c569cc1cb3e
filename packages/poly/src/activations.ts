// Activation functions used as fit targets, with an erf accurate to ~1e-16 relative.
//
// erf / erfc: for |x| < 2.5 the series erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1))
// (Abramowitz & Stegun 7.1.6; all terms positive, so no cancellation), and for x >= 2.5 the continued
// fraction erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) (A&S 7.1.14),
// evaluated by the modified Lentz method. Tested against a decimal.js high-precision series.

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

function erfcContinuedFraction(x: number): number {
  // f = x + a1/(x + a2/(x + ...)), a_k = k/2
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    D = x + a * D;
    D = D === 0 ? tiny : D;
    C = x + a / C;
    C = C === 0 ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return Math.sign(x);
  const ax = Math.abs(x);
  const v = ax < 2.5 ? erfSeries(ax) : 1 - erfcContinuedFraction(ax);
  return x < 0 ? -v : v;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x === Infinity) return 0;
  return x < 2.5 ? 1 - erfSeries(x) : erfcContinuedFraction(x);
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** Exact GELU: x Phi(x) = x erfc(-x/sqrt 2)/2 (erfc keeps full relative accuracy for x << 0). */
export function gelu(x: number): number {
  return 0.5 * x * erfc(-x / Math.SQRT2);
}

/** SiLU (swish): x sigmoid(x). */
export function silu(x: number): number {
  return x >= 0 ? x / (1 + Math.exp(-x)) : (x * Math.exp(x)) / (1 + Math.exp(x));
}

export type ActivationName = "relu" | "gelu" | "silu";

export const activations: Record<ActivationName, (x: number) => number> = { relu, gelu, silu };

/** Points where the activation is not smooth (quadrature panels are split there). */
export const activationKinks: Record<ActivationName, number[]> = { relu: [0], gelu: [], silu: [] };
