// Composite minimax approximation of sgn(x) on [-1,-eps] ∪ [eps,1]:
//   Lee, Lee, No, Kim, "Minimax approximation of sign function by composite polynomial for
//   homomorphic comparison", IEEE TDSC 2021 (component construction and the degree DP), used for
//   ReLU(x) = x (1 + p(x)) / 2 in Lee et al., "Precise approximation of convolutional neural networks
//   for homomorphically encrypted data" (the alpha table reproduced in test/composite.test.ts).
//
// Components. q_1 is the odd minimax approximation of 1 on [tau_0, 1], tau_0 = eps, with error
// delta_1, so q_1 maps [eps,1] into [1-delta_1, 1+delta_1]; q_i (i >= 2) is the odd minimax
// approximation of 1 on [tau_{i-1}, 1], tau_{i-1} = (1 - delta_{i-1}) / (1 + delta_{i-1}) (the image
// of the previous component after normalisation). The stored components are p_i = q_i / (1 + delta_i)
// for i < k and p_k = q_k: the normalisation is folded into the coefficients (no level), every p_i is
// an odd Chebyshev series on [-1, 1], and every intermediate value stays in [-1, 1] (q_i is monotone
// on the gap [0, tau]), so nothing is ever extrapolated outside [-1, 1] — Chebyshev series grow like
// (|y| + sqrt(y^2 - 1))^d outside it and would amplify rounding. By oddness the same holds for x < 0.
//
// Precision alpha (the ReLU convention of the issue / Lee et al.): the composite is built for some
// eps with |p(x) - sgn(x)| <= 2^(1-alpha) for eps <= |x| <= 1 (so |x (1+p)/2 - ReLU| <= 2^-alpha
// there), and eps is small enough that the error near 0, where p crosses from -1 to 1, is also
// <= 2^-alpha: max over [-1, 1] of |x (1 + p(x))/2 - ReLU(x)| <= 2^-alpha, measured on a dense grid.
// For a degree sequence the best eps is the least one meeting the sign bound.
//
// Degree DP: among odd component degrees (only those Pareto-optimal in (depth, non-scalar
// multiplications) under the selection cost), find the sequence (order matters) of least total depth,
// then least non-scalar multiplications, then least eps (the widest input range [eps, 1] that reaches
// the sign target), then the lexicographically smallest sequence. The selection cost is by default
// Lee et al.'s own count (mpcnn-cost.ts, `mpcnnOddPolyCost`), as in the published table; the cost of
// what OLA executes is always reported as `compositeCost` (compile.ts). The tie-break by eps is our
// reading of the order the paper's DP applies implicitly: it works through the inverse of the minimax
// error (the best reachable input bound tau per cost budget; Lee, Lee, No, Kim, IEEE TDSC 2021, and the
// "inverse minimax approximation error" subroutine of Lee, Lee, Kim, No, IEEE Access 2022), so among
// sequences of equal cost it keeps the one reaching the smallest tau. With it the DP reproduces every
// published triple (test/composite.test.ts); the two multiplication counts agree on those sequences.
// The map delta -> delta' of each degree is tabulated once per process by fast Remez runs on a grid of
// s = log2((1-tau)/tau) and interpolated to rank candidates; every decision (pass/fail, and the eps of
// every tie-break contender) is made by exact (full Remez) builds.
import { ChebyshevPoly } from "./chebyshev.js";
import { chebyshevEvalCost, compositeCost } from "./compile.js";
import { mpcnnCompositeCost, mpcnnOddPolyCost } from "./mpcnn-cost.js";
import type { PolyCost } from "./program.js";
import { remez } from "./remez.js";

export interface CompositeSign {
  alpha: number;
  epsilon: number;
  degrees: number[];
  /** p_1 .. p_k, each an odd Chebyshev series on [-1, 1]; p = p_k ∘ … ∘ p_1. */
  components: ChebyshevPoly[];
  /** Certified (Remez) max error of each normalised component q_i on its interval. */
  componentErrors: number[];
  /** Certified bound on |p(x) - sgn(x)| for eps <= |x| <= 1 (the last component's error). */
  signError: number;
  /** Cost of the sign composite program (compileComposite): what OLA executes. */
  cost: PolyCost;
  /** Depth and non-scalar multiplications by Lee et al.'s odd baby-step giant-step count (mpcnnCompositeCost). */
  publishedCost: { depth: number; nonScalarMultiplications: number };
}

const signTarget = (alpha: number) => 2 ** (1 - alpha);

/** Builds the composite for given degrees and eps with full-precision Remez; exact, no table. */
export function compositeSignFromDegrees(degrees: readonly number[], epsilon: number, alpha = NaN, screening = false): CompositeSign {
  if (degrees.length === 0) throw new RangeError("compositeSign: at least one degree is required");
  if (!(epsilon > 0 && epsilon < 1)) throw new RangeError(`compositeSign: epsilon must be in (0, 1), got ${epsilon}`);
  const components: ChebyshevPoly[] = [];
  const componentErrors: number[] = [];
  let tau = epsilon;
  degrees.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 1 || d % 2 === 0 || d > 127) throw new RangeError(`compositeSign: degrees must be odd integers in [1, 127], got ${d}`);
    // Screening builds (inside the DP) use a coarser Remez; every returned answer is rebuilt in full.
    const r = remez(
      screening
        ? { f: () => 1, degree: d, odd: true, intervals: [[tau, 1]], tolerance: 1e-6, gridPerInterval: 600 }
        : { f: () => 1, degree: d, odd: true, intervals: [[tau, 1]] },
    );
    if (!r.converged && r.certificate.maxError > 1e-20) {
      throw new Error(`compositeSign: Remez did not converge for degree ${d} on [${tau}, 1]`);
    }
    const delta = r.certificate.maxError;
    const last = i === degrees.length - 1;
    const q = last ? r.poly : r.poly.scale(1 / (1 + delta));
    components.push(new ChebyshevPoly(Float64Array.from(q.coeffs, (v, k) => (k % 2 === 0 ? 0 : v)), -1, 1));
    componentErrors.push(delta);
    tau = (1 - delta) / (1 + delta);
  });
  return {
    alpha,
    epsilon,
    degrees: [...degrees],
    components,
    componentErrors,
    signError: componentErrors[componentErrors.length - 1]!,
    cost: compositeCost(degrees),
    publishedCost: mpcnnCompositeCost(degrees),
  };
}

/** Evaluates p_k(…p_1(x)…). */
export function evaluateComposite(components: readonly ChebyshevPoly[], xs: Float64Array): Float64Array {
  let v = xs;
  for (const p of components) v = p.evaluateMany(v);
  return v === xs ? Float64Array.from(xs) : v;
}

// ---- the degree DP ----------------------------------------------------------------------------

const S_MAX = 24; // tau down to ~2^-24 (alpha <= 22)
const S_STEP = 0.5;
const LOG2E_FLOOR = -100;

/** log2 of the minimax error of degree d on [tau, 1] as a function of s = log2((1-tau)/tau), on a grid. */
const errorTables = new Map<number, Float64Array>();

function tauOfS(s: number): number {
  return 1 / (1 + 2 ** s);
}

function errorTable(d: number): Float64Array {
  const hit = errorTables.get(d);
  if (hit) return hit;
  // index i <-> s = S_MAX - i*S_STEP, down to where the error is negligible (< 2^-70).
  const vals: number[] = [];
  for (let i = 0; ; i++) {
    const s = S_MAX - i * S_STEP;
    const tau = tauOfS(s);
    if (tau >= 1 - 1e-15) break;
    const r = remez({ f: () => 1, degree: d, odd: true, intervals: [[tau, 1]], tolerance: 1e-7, gridPerInterval: 400 });
    const e = Math.max(r.certificate.maxError, 2 ** LOG2E_FLOOR);
    vals.push(Math.log2(e));
    if (e < 2 ** -70) break;
  }
  const t = Float64Array.from(vals);
  errorTables.set(d, t);
  return t;
}

/** Interpolated error of degree d at input bound tau (Catmull-Rom in s). */
function predictedError(d: number, tau: number): number {
  const tab = errorTable(d);
  const s = Math.log2((1 - tau) / tau);
  const u = (S_MAX - s) / S_STEP;
  if (u <= 0) return 2 ** tab[0]!;
  if (u >= tab.length - 1) return 2 ** Math.min(tab[tab.length - 1]!, -70);
  const i = Math.floor(u);
  const f = u - i;
  const p0 = tab[Math.max(0, i - 1)]!;
  const p1 = tab[i]!;
  const p2 = tab[Math.min(tab.length - 1, i + 1)]!;
  const p3 = tab[Math.min(tab.length - 1, i + 2)]!;
  const v = 0.5 * (2 * p1 + (-p0 + p2) * f + (2 * p0 - 5 * p1 + 4 * p2 - p3) * f * f + (-p0 + 3 * p1 - 3 * p2 + p3) * f * f * f);
  return 2 ** v;
}

export interface ComponentChoice {
  degree: number;
  depth: number;
  nonScalarMultiplications: number;
}

/**
 * Which count of non-scalar multiplications ranks component degrees: "mpcnn" = Lee et al.'s odd
 * baby-step giant-step count (`mpcnnOddPolyCost`, the published DP's), "program" = this package's
 * Chebyshev program (`chebyshevEvalCost`, what OLA executes). Depths agree.
 */
export type CompositeCostModel = "mpcnn" | "program";

function componentCost(d: number, model: CompositeCostModel): { depth: number; nonScalarMultiplications: number } {
  return model === "mpcnn" ? mpcnnOddPolyCost(d) : chebyshevEvalCost(d, { odd: true, interval: [-1, 1] });
}

/** Odd degrees 3..maxDegree that are Pareto-optimal in (depth, non-scalar multiplications) under `costModel` (default "program"). */
export function paretoComponentDegrees(maxDegree = 31, costModel: CompositeCostModel = "program"): ComponentChoice[] {
  const all: ComponentChoice[] = [];
  for (let d = 3; d <= maxDegree; d += 2) {
    const c = componentCost(d, costModel);
    all.push({ degree: d, depth: c.depth, nonScalarMultiplications: c.nonScalarMultiplications });
  }
  // keep the largest degree for each (depth, mults), and drop degrees beaten by a larger one at no more cost
  return all.filter((c) => !all.some((o) => o.degree > c.degree && o.depth <= c.depth && o.nonScalarMultiplications <= c.nonScalarMultiplications));
}

export interface CompositeDegreeChoice {
  alpha: number;
  /** The eps the composite is built for (|p - sgn| <= 2^(1-alpha) on eps <= |x| <= 1). */
  epsilon: number;
  degrees: number[];
  /** Depth and non-scalar multiplications of the program OLA executes (compositeCost). */
  depth: number;
  nonScalarMultiplications: number;
  /** The cost the DP ranked by (costModel; "mpcnn" = Lee et al.'s count, mpcnnCompositeCost). */
  selectionCost: { costModel: CompositeCostModel; depth: number; nonScalarMultiplications: number };
  /** max |x(1+p(x))/2 - ReLU(x)| over a dense grid of [-1, 1]. */
  reluError: number;
  /** Sequences checked exactly (full Remez) before the answer, tie-break contenders included. */
  verified: number;
  /** Other sequences of the same selection cost that passed, with their least eps (the tie-break). */
  ties: { degrees: number[]; epsilon: number }[];
}

export interface CompositeSearchOptions {
  /** Largest component degree considered (odd, default 31). */
  maxDegree?: number;
  /** Largest total depth searched (default 2*alpha + 4). */
  maxDepth?: number;
  /** Multiplication count the DP ranks by (default "mpcnn", Lee et al.'s, which reproduces the published table). */
  costModel?: CompositeCostModel;
  onProgress?: (message: string) => void;
}

/** Predicted sign error of the composite with these degrees for a given eps (table interpolation). */
function predictedSignError(degrees: readonly number[], epsilon: number): number {
  let tau = epsilon;
  let delta = 1;
  for (const d of degrees) {
    delta = predictedError(d, tau);
    tau = (1 - delta) / (1 + delta);
  }
  return delta;
}

/** Smallest eps (bisection on log2 eps) whose predicted sign error meets the target. */
function predictedMinEpsilon(degrees: readonly number[], target: number): number {
  let lo = -S_MAX + 0.5; // log2 eps
  let hi = -0.05;
  if (predictedSignError(degrees, 2 ** hi) > target) return Infinity;
  if (predictedSignError(degrees, 2 ** lo) <= target) return 2 ** lo;
  for (let it = 0; it < 40; it++) {
    const mid = (lo + hi) / 2;
    if (predictedSignError(degrees, 2 ** mid) <= target) hi = mid;
    else lo = mid;
  }
  return 2 ** hi;
}

interface Candidate {
  degrees: number[];
  depth: number;
  /** non-scalar multiplications under the selection cost model */
  mults: number;
  /** predicted least eps (table interpolation) */
  epsilon: number;
}

/**
 * Exact check of one degree sequence: build it at the least eps meeting the sign target
 * (starting from the predicted eps, raised in small steps until the exact Remez error meets it)
 * and measure the ReLU error. Returns undefined when the sign target is not met.
 */
function exactCheck(degrees: number[], epsilon: number, alpha: number, screening = false): { comp: CompositeSign; reluError: number } | undefined {
  const target = signTarget(alpha);
  let eps = epsilon;
  for (let it = 0; it < 12 && eps < 1; it++) {
    let comp: CompositeSign;
    try {
      comp = compositeSignFromDegrees(degrees, eps, alpha, screening);
    } catch {
      return undefined; // a component's Remez failed (beyond double-double resolution): not a candidate
    }
    // screening builds use a 4x coarser ReLU grid (a prefilter only: passes are re-measured in full)
    if (comp.signError <= target) return { comp, reluError: compositeReluError(comp.components, screening ? 1 << 14 : 1 << 16) };
    eps *= 2 ** 0.05;
  }
  return undefined;
}

/** Full-precision sign error at eps, or Infinity when a component's Remez fails. */
function exactSignError(degrees: readonly number[], eps: number, alpha: number): number {
  try {
    return compositeSignFromDegrees(degrees, eps, alpha).signError;
  } catch {
    return Infinity;
  }
}

/**
 * The least eps at which the full-precision composite meets the sign target, to ~1e-6 in log2 eps:
 * bracketed from `guess` in steps of 2^0.05, then the Illinois (modified regula falsi) iteration on
 * g(le) = log2(signError(2^le)) - log2(target), which is smooth and decreasing in le (each component's
 * interval shrinks as eps grows), so a handful of full builds suffice.
 */
function exactLeastEpsilon(degrees: readonly number[], alpha: number, guess: number): number | undefined {
  const logTarget = 1 - alpha;
  const g = (le: number) => Math.log2(exactSignError(degrees, 2 ** le, alpha)) - logTarget;
  const step = 0.05;
  let a = Math.log2(guess);
  let ga = g(a);
  let b: number;
  let gb: number;
  if (ga <= 0) {
    // passes: walk down to a failing point
    b = a;
    gb = ga;
    for (let n = 0; ; n++) {
      a = b - step;
      ga = g(a);
      if (ga > 0) break;
      b = a;
      gb = ga;
      if (n > 60) return 2 ** b;
    }
  } else {
    for (let n = 0; ; n++) {
      b = a + step;
      if (b >= -0.01 || n > 20) return undefined;
      gb = g(b);
      if (gb <= 0) break;
      a = b;
      ga = gb;
    }
  }
  // invariant: g(a) > 0 (fails, a < b), g(b) <= 0 (passes); ga may be +Infinity (a Remez failure)
  let side = 0;
  for (let it = 0; it < 40 && b - a > 1e-6; it++) {
    const c = Number.isFinite(ga) ? b - (gb * (b - a)) / (gb - ga) : (a + b) / 2;
    const mid = c > a && c < b ? c : (a + b) / 2;
    const gm = g(mid);
    if (gm <= 0) {
      b = mid;
      gb = gm;
      if (side === -1) ga /= 2;
      side = -1;
    } else {
      a = mid;
      ga = gm;
      if (side === 1) gb /= 2;
      side = 1;
    }
    if (gm <= 0 && gm > -1e-9) break; // at the target to double precision
  }
  return 2 ** b;
}

const lexCompare = (p: readonly number[], q: readonly number[]): number => {
  for (let i = 0; i < Math.min(p.length, q.length); i++) if (p[i] !== q[i]) return p[i]! - q[i]!;
  return p.length - q.length;
};

/** How far (in log2 eps) the interpolated prediction may be off; contenders within it are built exactly. */
const PREDICTION_SLACK_LOG2 = 0.1;

/**
 * The DP of Lee et al., for the ReLU precision convention: least depth, then least non-scalar
 * multiplications (under `costModel`, default Lee et al.'s own count), then least eps, over
 * odd-minimax composites p (component degrees from the Pareto set) and eps, such that
 * |p - sgn| <= 2^(1-alpha) on eps <= |x| <= 1 and max_[-1,1] |x(1+p)/2 - ReLU| <= 2^-alpha.
 * For a degree sequence the best eps is the least one meeting the sign target (a larger eps only
 * widens the transition around 0); sequences are enumerated exhaustively (there are only a few
 * thousand of depth <= 2 alpha), ranked by (depth, mults, predicted eps) from the interpolated table,
 * and checked exactly in that order. The first exact pass fixes the least (depth, mults); every other
 * sequence of that cost whose predicted eps is within PREDICTION_SLACK_LOG2 of the best exact eps is
 * then solved exactly for its least eps, and the least eps wins (ties: lexicographic).
 */
export function optimalCompositeDegrees(alpha: number, opts: CompositeSearchOptions = {}): CompositeDegreeChoice {
  if (!Number.isInteger(alpha) || alpha < 2 || alpha > 20) throw new RangeError(`optimalCompositeDegrees: alpha must be an integer in [2, 20], got ${alpha}`);
  const target = signTarget(alpha);
  const costModel = opts.costModel ?? "mpcnn";
  const choices = paretoComponentDegrees(opts.maxDegree ?? 31, costModel);
  const maxDepth = opts.maxDepth ?? 2 * alpha + 4;
  // Pruning by a necessary condition: the ReLU error near 0 is about eps * 2^-3.7 .. 2^-4.1 for these
  // composites (measured for alpha = 4..14: the transition of p spans a fixed fraction of eps), so
  // sequences whose least eps exceeds 2^(4.6 - alpha) (half an octave of slack) cannot pass.
  const epsCap = 2 ** (4.6 - alpha);
  let verified = 0;
  for (let D = 1; D <= maxDepth; D++) {
    const cands: Candidate[] = [];
    const walk = (degrees: number[], depth: number, mults: number): void => {
      for (const c of choices) {
        const nd = depth + c.depth;
        if (nd > D) continue;
        const seq = [...degrees, c.degree];
        const nm = mults + c.nonScalarMultiplications;
        if (nd === D) {
          const eps = predictedMinEpsilon(seq, target);
          if (eps <= epsCap) cands.push({ degrees: seq, depth: nd, mults: nm, epsilon: eps });
        } else {
          walk(seq, nd, nm);
        }
      }
    };
    walk([], 0, 0);
    if (cands.length === 0) continue;
    cands.sort((p, q) => p.mults - q.mults || p.epsilon - q.epsilon || lexCompare(p.degrees, q.degrees));
    opts.onProgress?.(`alpha=${alpha}: depth ${D}: ${cands.length} candidate degree sequences (${costModel} cost), checking exactly in cost order`);
    // 1. the least multiplication count with an exact pass
    let first: { cand: Candidate; epsilon: number } | undefined;
    for (const cand of cands) {
      verified++;
      const screen = exactCheck(cand.degrees, cand.epsilon, alpha, true);
      // a screening pass (or a near miss) is decided by the full-precision build
      const res = screen && screen.reluError <= 2 ** -alpha * 1.01 ? exactCheck(cand.degrees, screen.comp.epsilon, alpha) : undefined;
      if (res && res.reluError <= 2 ** -alpha) {
        first = { cand, epsilon: res.comp.epsilon };
        break;
      }
    }
    if (!first) continue;
    // 2. tie-break among that cost: least exact eps (then lexicographic), ReLU bound re-checked
    const mults = first.cand.mults;
    const firstEps = exactLeastEpsilon(first.cand.degrees, alpha, first.epsilon)!;
    const contenders = cands.filter((c) => c.mults === mults && Math.log2(c.epsilon) <= Math.log2(firstEps) + PREDICTION_SLACK_LOG2);
    const solved: { degrees: number[]; epsilon: number }[] = [];
    for (const c of contenders) {
      const eps = c === first.cand ? firstEps : exactLeastEpsilon(c.degrees, alpha, c.epsilon);
      if (c !== first.cand) verified++;
      if (eps !== undefined) solved.push({ degrees: c.degrees, epsilon: eps });
    }
    solved.sort((p, q) => p.epsilon - q.epsilon || lexCompare(p.degrees, q.degrees));
    opts.onProgress?.(
      `alpha=${alpha}: depth ${D}, ${mults} mults: ${solved.length} exact contenders, least eps ` +
        solved.slice(0, 4).map((t) => `${t.degrees.join(",")} 2^${Math.log2(t.epsilon).toFixed(4)}`).join("; "),
    );
    for (const win of solved) {
      const comp = compositeSignFromDegrees(win.degrees, win.epsilon, alpha);
      const reluError = compositeReluError(comp.components);
      if (comp.signError > target || reluError > 2 ** -alpha) continue;
      const programCost = compositeCost(win.degrees);
      const sel = costModel === "mpcnn" ? mpcnnCompositeCost(win.degrees) : programCost;
      return {
        alpha,
        epsilon: win.epsilon,
        degrees: win.degrees,
        depth: programCost.depth,
        nonScalarMultiplications: programCost.nonScalarMultiplications,
        selectionCost: { costModel, depth: sel.depth, nonScalarMultiplications: sel.nonScalarMultiplications },
        reluError,
        verified,
        ties: solved.filter((t) => t !== win),
      };
    }
  }
  throw new Error(`optimalCompositeDegrees: no composite with depth <= ${maxDepth} reaches alpha=${alpha}`);
}

/** Composite sign of precision alpha with DP-chosen degrees, or the given degrees at their least eps. */
export function compositeSign(alpha: number, opts: CompositeSearchOptions & { degrees?: number[] } = {}): CompositeSign & { reluError: number } {
  if (opts.degrees) {
    const eps = predictedMinEpsilon(opts.degrees, signTarget(alpha));
    if (!Number.isFinite(eps)) throw new Error(`compositeSign: degrees ${opts.degrees.join(",")} cannot reach sign error 2^${1 - alpha}`);
    const res = exactCheck([...opts.degrees], eps, alpha);
    if (!res) throw new Error(`compositeSign: degrees ${opts.degrees.join(",")} did not reach sign error 2^${1 - alpha}`);
    return { ...res.comp, reluError: res.reluError };
  }
  const choice = optimalCompositeDegrees(alpha, opts);
  const comp = compositeSignFromDegrees(choice.degrees, choice.epsilon, alpha);
  return { ...comp, reluError: choice.reluError };
}

/** max over a dense grid of [-1,1] of |x (1 + p(x))/2 - ReLU(x)| (grid refined near 0). */
export function compositeReluError(components: readonly ChebyshevPoly[], points = 1 << 16): number {
  const xs = new Float64Array(2 * points + 1);
  // half uniform on [-1,1], half geometric towards 0 where the sign approximation degrades
  for (let i = 0; i < points; i++) xs[i] = -1 + (2 * i) / (points - 1);
  for (let i = 0; i <= points; i++) {
    const m = 2 ** (-24 * (i / points));
    xs[points + i] = i % 2 === 0 ? m : -m;
  }
  const p = evaluateComposite(components, xs);
  let m = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    m = Math.max(m, Math.abs((x * (1 + p[i]!)) / 2 - Math.max(0, x)));
  }
  return m;
}

