// What encrypted LayerNorm would need. LayerNorm(x) = gamma (x - mu) / sqrt(var + eps) + beta over
// the normalised axes: the mean and variance are slot sums (rotations) and one square, but
// 1/sqrt(var + eps) is not a polynomial. The standard CKKS route (e.g. Panda, "Polynomial
// approximation of inverse sqrt function for FHE", CSCML 2022) is an initial polynomial guess y0 on
// the range the variance can take, refined by Newton's iteration for 1/sqrt(v):
//   y_{k+1} = y_k (3 - v y_k^2) / 2,
// whose relative error e = 1 - v y^2 obeys e' = (3 e^2 + e^3) / 4 (quadratic convergence; it
// converges for e in (-2, 1), i.e. 0 < v y0^2 < 3). One step is evaluated as
// 1.5 y - (0.5 v y) y^2: v y and y^2 (2 products, one level), their product (one more level) —
// depth 2, 3 non-scalar multiplications (the 0.5 is folded into v at its own, lower level).
// This file measures the variance range of every LayerNormalization site on calibration images
// and sizes that pipeline numerically (the iteration is run on a fine grid of the range, no bound).
import { ChebyshevPoly, chebyshevEvalCost, chebyshevInterpolant, type PolyCost } from "@ola/poly";

export interface LayerNormSite {
  node: string;
  inputTensor: string;
  /** First normalised axis (ONNX attribute, negative from the end). */
  axis: number;
  epsilon: number;
  shape: number[];
}

interface NodeLike {
  name: string;
  opType: string;
  inputs: string[];
  attributes: Record<string, unknown>;
}

/** Every LayerNormalization node of a graph (the decomposed ReduceMean/Sub/Pow pattern is not recognised here). */
export function findLayerNorms(graph: { nodes: NodeLike[]; shapes: Map<string, number[]> }): LayerNormSite[] {
  return graph.nodes
    .filter((n) => n.opType === "LayerNormalization")
    .map((n) => {
      const shape = graph.shapes.get(n.inputs[0]!);
      if (!shape) throw new Error(`LayerNormalization ${n.name}: no inferred shape for its input ${n.inputs[0]}`);
      const axis = typeof n.attributes.axis === "number" ? n.attributes.axis : -1;
      const epsilon = typeof n.attributes.epsilon === "number" ? n.attributes.epsilon : 1e-5;
      return { node: n.name, inputTensor: n.inputs[0]!, axis, epsilon, shape };
    });
}

/** Number of elements each normalisation averages over (product of the dims from `axis` on). */
export function normalisedSize(site: LayerNormSite): number {
  const r = site.shape.length;
  const ax = site.axis < 0 ? r + site.axis : site.axis;
  if (ax < 1 || ax >= r) throw new Error(`LayerNormalization ${site.node}: axis ${site.axis} out of range for rank ${r}`);
  let n = 1;
  for (let i = ax; i < r; i++) {
    const d = site.shape[i]!;
    if (!(d > 0)) throw new Error(`LayerNormalization ${site.node}: normalised dim ${i} is not static (${d})`);
    n *= d;
  }
  return n;
}

/** min/max/quantiles of var + eps over the rows of a tensor (population variance, as ONNX). Keeps every row's value. */
export class VarianceStats {
  min = Infinity;
  max = -Infinity;
  private values: number[] = [];
  constructor(
    readonly size: number,
    readonly epsilon: number,
  ) {}

  get count(): number {
    return this.values.length;
  }

  add(x: ArrayLike<number>): void {
    const n = this.size;
    if (x.length % n !== 0) throw new Error(`VarianceStats: ${x.length} values are not a multiple of the normalised size ${n}`);
    for (let s = 0; s < x.length; s += n) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x[s + i]!;
      mean /= n;
      let v = 0;
      for (let i = 0; i < n; i++) {
        const d = x[s + i]! - mean;
        v += d * d;
      }
      v = v / n + this.epsilon;
      this.min = Math.min(this.min, v);
      this.max = Math.max(this.max, v);
      this.values.push(v);
    }
  }

  /** Nearest-rank quantile of the observed values. */
  quantile(p: number): number {
    if (this.values.length === 0) return NaN;
    const s = Float64Array.from(this.values).sort();
    return s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))]!;
  }
}

/** Cost of k Newton steps for 1/sqrt (see the header): depth 2, 3 non-scalar products each. */
export function newtonCost(steps: number): PolyCost {
  return { depth: 2 * steps, nonScalarMultiplications: 3 * steps, scalarMultiplications: 2 * steps, additions: steps };
}

export function addCosts(a: PolyCost, b: PolyCost): PolyCost {
  return {
    depth: a.depth + b.depth,
    nonScalarMultiplications: a.nonScalarMultiplications + b.nonScalarMultiplications,
    scalarMultiplications: a.scalarMultiplications + b.scalarMultiplications,
    additions: a.additions + b.additions,
  };
}

export interface InverseSqrtOption {
  degree: number;
  /** max |1 - v y0(v)^2| over the range (relative error of y0 in the squared sense). */
  initialError: number;
  /** Newton steps to reach `target`, or null if the iteration does not converge on the whole range. */
  steps: number | null;
  finalError: number;
  cost: PolyCost | null;
}

/** Grid of the range: log-spaced (relative accuracy matters across decades) plus both ends. */
export function logGrid(lo: number, hi: number, n = 4000): Float64Array {
  if (!(lo > 0 && hi > lo)) throw new Error(`logGrid: need 0 < lo < hi, got [${lo}, ${hi}]`);
  const g = new Float64Array(n);
  const a = Math.log(lo);
  const b = Math.log(hi);
  for (let i = 0; i < n; i++) g[i] = Math.exp(a + ((b - a) * i) / (n - 1));
  g[0] = lo;
  g[n - 1] = hi;
  return g;
}

/**
 * Size 1/sqrt(v) on [lo, hi]: for each initial degree, the Chebyshev interpolant of 1/sqrt as y0,
 * then Newton steps (at most maxSteps) until max relative error |1 - v y^2| <= target on the grid.
 */
export function inverseSqrtOptions(lo: number, hi: number, degrees: readonly number[], target = 2 ** -12, maxSteps = 30): InverseSqrtOption[] {
  const grid = logGrid(lo, hi);
  return degrees.map((degree) => {
    const y0: ChebyshevPoly = chebyshevInterpolant((v) => 1 / Math.sqrt(v), degree, lo, hi);
    const y = y0.evaluateMany(grid);
    const err = () => {
      let m = 0;
      for (let i = 0; i < grid.length; i++) m = Math.max(m, Math.abs(1 - grid[i]! * y[i]! * y[i]!));
      return m;
    };
    const initialError = err();
    let e = initialError;
    let steps = 0;
    while (e > target && steps < maxSteps && Number.isFinite(e)) {
      for (let i = 0; i < grid.length; i++) y[i] = (y[i]! * (3 - grid[i]! * y[i]! * y[i]!)) / 2;
      steps++;
      e = err();
    }
    const ok = e <= target;
    return {
      degree,
      initialError,
      steps: ok ? steps : null,
      finalError: e,
      cost: ok ? addCosts(chebyshevEvalCost(degree), newtonCost(steps)) : null,
    };
  });
}
