// The OLA pipeline: profile -> candidates -> impact -> DP -> plaintext validation with budget
// bisection -> plan. Each stage reports progress through `onProgress`; nothing is printed here.
import { performance } from "node:perf_hooks";
import { listSites, solveKnapsack, solveLevelAware, type LevelStage } from "@ola/dp";
import { ChebyshevPoly, runProgram } from "@ola/poly";
import {
  OnnxRunner,
  exposeTensors,
  extractSubgraph,
  findActivationSites,
  loadModel,
  normalizeImages,
  openDataset,
  replaceActivations,
  selectIndices,
  type ActivationSite,
  type LoadedModel,
} from "@ola/models";
import { bisectFrontier, type BisectionStep } from "./budget-search.js";
import {
  DEFAULT_ALPHAS,
  DEFAULT_DEGREES,
  DEFAULT_MARGINS,
  costEfficientDegrees,
  compositeCandidate,
  fitCandidates,
  planSiteFor,
  type Candidate,
  type SiteDistribution,
  type WlsFitter,
} from "./candidates.js";
import { analyticCostModel, candidateSeconds, networkCost, type CostModel, type NetworkCost } from "./cost-model.js";
import { ImpactEngine, type Impact, type InferenceBackend, type InferenceSession } from "./impact.js";
import { PLAN_VERSION, type Plan } from "./plan.js";
import { planSiteInterval } from "./plan-programs.js";
import { mergeValidations, validateOnDataset, type DatasetValidation } from "./validate.js";
import { networkStages, StructureError } from "./structure.js";

/**
 * Indices of at most `n` frontier points (weights ascending), always keeping the first and last,
 * spread evenly in log(weight).
 */
export function thinFrontier(weights: number[], n: number): number[] {
  if (weights.length <= n) return weights.map((_, i) => i);
  const pos = weights.map((w) => Math.log(Math.max(w, 1e-300)));
  const lo = pos[0]!, hi = pos[pos.length - 1]!;
  const out = new Set<number>([0, weights.length - 1]);
  let j = 0;
  for (let k = 1; k < n - 1; k++) {
    const target = lo + ((hi - lo) * k) / (n - 1);
    while (j < pos.length - 1 && pos[j]! < target) j++;
    out.add(j);
  }
  return [...out].sort((a, b) => a - b);
}

/** top-1 (percent) of a full-file evaluation restricted to its first n images. */
function top1OnPrefix(v: DatasetValidation, n: number): number {
  const m = Math.min(n, v.correct.length);
  let c = 0;
  for (let i = 0; i < m; i++) c += v.correct[i]!;
  return (100 * c) / Math.max(1, m);
}

export type ProgressFn = (stage: string, done: number, total: number, label?: string) => void;

/** Profiles the model's activation inputs (from @ola/profile), keyed by site id. */
export type SiteProfiler = (model: LoadedModel, sites: ActivationSite[], calibImages: number) => Promise<Map<string, SiteDistribution>>;

/** Builds composite-ReLU components (power basis) for a precision alpha (from @ola/poly). */
export type CompositeBuilder = (alpha: number) => number[][];

export interface OptimizeOptions {
  model: string;
  /** Calibration images for the profile (default 512). */
  calib?: number;
  /** Impact-set images, taken from the lossless training file (default 128). */
  impactImages?: number;
  impactDataset?: string;
  /** Allowed top-1 drop, percentage points, on every validation file (default 0.5). */
  maxDrop?: number;
  degrees?: readonly number[];
  /** Composite family offered as candidates for ReLU sites (default 4..14; [] for none). */
  alphas?: readonly number[];
  /** B of the composite candidates (default 40). */
  range?: number;
  /**
   * Fit-interval margins, as fractions of the profiled range on each side: every degree is fitted at
   * each, and the measured impact picks per (site, degree) (default DEFAULT_MARGINS = 0, 0.1, 0.5).
   */
  margins?: readonly number[];
  /** A single fit-interval margin (overrides `margins`). */
  margin?: number;
  /**
   * Impact images on which the margins of one (site, degree) are compared before the best is
   * measured on the whole impact set (default 32; the others are then not DP options).
   */
  marginScreenImages?: number;
  /** Stop raising a site's degree once its impact (KL, nats) is below this (default 1e-5). */
  stopImpact?: number;
  costModel?: CostModel;
  validationSets?: readonly string[];
  /** Validate only the first N images of each file (default all). */
  validationLimit?: number;
  /** Images of each screening file used per frontier point during the bisection (default 1000). */
  screenLimit?: number;
  /** Files used for screening (default: every validation file, the first `screenLimit` images of each). */
  screenSets?: readonly string[];
  /** Frontier points considered by the bisection at most (default 24). */
  maxScreenPoints?: number;
  /** Frontier points validated in full at most (default 3). */
  maxFullValidations?: number;
  threads?: number;
  onProgress?: ProgressFn;
  log?: (msg: string) => void;
  profiler: SiteProfiler;
  fitter: WlsFitter;
  composite?: CompositeBuilder;
}

export interface CandidateReport {
  label: string;
  degree?: number;
  alpha?: number;
  interval: [number, number];
  depth: number;
  nonScalarMultiplications: number;
  seconds: number;
  kl: number;
  top1Change: number;
  weightedRmse?: number;
  /** Chebyshev fits: the fit-interval margin. */
  margin?: number;
  /** KL on the margin-screening subset of the impact set (when margins were compared). */
  screenKl?: number;
}

export interface SiteReport {
  id: string;
  kind: "relu" | "gelu";
  profiledRange: [number, number];
  chosen: CandidateReport;
  candidates: CandidateReport[];
  bootstrapsBefore: number;
  outOfRange: Record<string, { values: number; images: number }>;
}

export interface OptimizeReport {
  model: { name: string; sha256: string };
  costModel: string;
  dp: { form: "level-aware" | "knapsack"; budgetSlack: number };
  levelsAfterBootstrap: number;
  bootstrapSeconds: number;
  impactSet: { dataset: string; images: number };
  calibImages: number;
  maxDrop: number;
  sites: SiteReport[];
  frontier: { index: number; predictedKl: number; dpSeconds: number; timeSeconds: number; bootstraps: number }[];
  bisection: BisectionStep[];
  /** Rounds of the margin fallback (sites restricted to the widest margin, and the failed bisection before). */
  marginFallback: { sites: string[]; bisection: BisectionStep[] }[];
  chosenFrontierIndex: number;
  additivity: { predictedKl: number; measuredKl: number; measuredTop1Change: number; ratio: number };
  validation: { dataset: string; images: number; top1: number; baselineTop1: number; drop: number }[];
  predicted: { timeSeconds: number; polySeconds: number; bootstrapSeconds: number; bootstraps: number };
  baseline?: { alpha: number; B: number; timeSeconds: number; bootstraps: number; speedup: number };
  timings: Record<string, number>;
  meetsMaxDrop: boolean;
}

export interface OptimizeResult {
  plan: Plan;
  report: OptimizeReport;
}

/** @ola/models as the impact engine's backend (onnxruntime sessions with `threads` intra-op threads). */
export function modelsBackend(threads: number): InferenceBackend {
  return {
    exposeTensors,
    extractSubgraph: (bytes, inputs, outputs) => extractSubgraph(bytes, inputs, outputs),
    async createSession(bytes: Uint8Array): Promise<InferenceSession> {
      const r = await OnnxRunner.create(bytes, { threads });
      return { run: (feeds, outputs) => r.run(feeds, outputs), dispose: () => r.release() };
    },
  };
}

/**
 * The candidate as a float64 elementwise function for impact measurement: Clenshaw for a Chebyshev
 * series (the same polynomial as its program, evaluated without temporaries), the program itself
 * for a composite.
 */
function elementwise(c: Candidate): (x: Float64Array) => Float64Array {
  if (c.spec.family === "chebyshev") {
    const series = new ChebyshevPoly(c.spec.coefficients, c.spec.interval[0], c.spec.interval[1]);
    return (x) => series.evaluateMany(x);
  }
  const prog = c.program;
  return (x) => runProgram(prog, x);
}

function candidateReport(c: Candidate, impact: Impact, seconds: number, screenKl?: number): CandidateReport {
  const r: CandidateReport = {
    label: c.label,
    interval: c.spec.family === "chebyshev" ? c.spec.interval : [-c.spec.B, c.spec.B],
    depth: c.cost.depth,
    nonScalarMultiplications: c.cost.nonScalarMultiplications,
    seconds,
    kl: impact.kl,
    top1Change: impact.top1Change,
  };
  if (c.spec.family === "chebyshev") r.degree = c.spec.degree;
  else r.alpha = c.spec.alpha;
  if (c.fit?.weightedRmse !== undefined) r.weightedRmse = c.fit.weightedRmse;
  if (c.margin !== undefined) r.margin = c.margin;
  if (screenKl !== undefined) r.screenKl = screenKl;
  return r;
}

/** The uniform composite baseline: every ReLU site x(1 + p_alpha(x/B))/2. */
export function uniformCompositePlan(
  model: { name: string; sha256: string },
  sites: { id: string; kind: "relu" | "gelu" }[],
  alpha: number,
  B: number,
  components: number[][],
  costModel: CostModel = analyticCostModel(),
): Plan {
  const bad = sites.find((s) => s.kind !== "relu");
  if (bad) throw new Error(`the composite baseline approximates ReLU only, but site ${bad.id} is ${bad.kind}`);
  const cand = { label: `alpha ${alpha}`, spec: { family: "composite" as const, alpha, B, components } };
  // compile once, share: every site has the same polynomial
  const planSites = sites.map((s) => planSiteFor(s, withProgram(cand)));
  const nc = networkCost(costModel, planSites.map((s) => s.cost!));
  planSites.forEach((s, i) => (s.seconds = nc.sites[i]!.seconds));
  return {
    version: PLAN_VERSION,
    model: { name: model.name, sha256: model.sha256 },
    sites: planSites,
    predicted: { impact: 0, timeSeconds: nc.seconds, bootstraps: nc.bootstraps, costModel: costModel.description },
  };
}

function withProgram(c: { spec: { family: "composite"; alpha: number; B: number; components: number[][] } }): Candidate {
  return compositeCandidate(c.spec.alpha, c.spec.B, c.spec.components);
}

/** Predicted time of a plan (or of any list of per-site costs) under a cost model. */
export function predictPlan(plan: Plan, costModel: CostModel): NetworkCost {
  return networkCost(
    costModel,
    plan.sites.map((s) => s.cost ?? { depth: s.depth, nonScalarMultiplications: 0, scalarMultiplications: 0, additions: 0 }),
  );
}

export async function optimize(opts: OptimizeOptions): Promise<OptimizeResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number) => (timings[name] = (performance.now() - since) / 1000);
  const progress = opts.onProgress ?? (() => {});
  const log = opts.log ?? (() => {});
  const threads = opts.threads ?? 2;
  const costModel = opts.costModel ?? analyticCostModel();
  const maxDrop = opts.maxDrop ?? 0.5;
  const margins = opts.margin !== undefined ? [opts.margin] : [...(opts.margins ?? DEFAULT_MARGINS)];
  const marginScreen = opts.marginScreenImages ?? 32;
  const stopImpact = opts.stopImpact ?? 1e-5;
  const B = opts.range ?? 40;
  const calib = opts.calib ?? 512;
  const impactN = opts.impactImages ?? 128;
  const impactDataset = opts.impactDataset ?? "cifar10-train-lossless";
  const validationSets = opts.validationSets ?? ["cifar10-test-lossless", "cifar10-test"];

  const model = await loadModel(opts.model);
  const sites = findActivationSites(model.graph);
  if (sites.length === 0) throw new Error(`model ${model.name} has no activation sites to approximate`);
  const inputName = model.graph.inputs[0]!.name;
  const outputName = model.graph.outputs[0]!.name;
  log(`model ${model.name}: ${sites.length} activation sites; cost model: ${costModel.description}`);

  // 1. profile
  let t = performance.now();
  const dists = await opts.profiler(model, sites, calib);
  lap("profile", t);

  // The level-aware DP schedules bootstraps between activations, so a candidate deeper than a
  // bootstrap interval (with its linear layer) cannot be placed; it is not measured there.
  const L = costModel.levelsAfterBootstrap;
  let levelMode = true;
  try {
    networkStages(model.graph, sites, (id) => ({ kind: "site", name: id, options: [{ depth: 0, weight: 0, cost: 0 }] }));
  } catch (e) {
    if (!(e instanceof StructureError)) throw e;
    levelMode = false;
    log(`level-aware DP unavailable (${e.message}); using the separable knapsack`);
  }
  const schedulable = (c: Candidate) => !levelMode || c.cost.depth + costModel.linearDepth <= L;

  // 2. candidates
  t = performance.now();
  const degrees = costEfficientDegrees(opts.degrees ?? DEFAULT_DEGREES);
  const alphas = opts.alphas ?? DEFAULT_ALPHAS;
  const composites: Candidate[] = [];
  if (opts.composite && sites.some((s) => s.kind === "relu")) {
    // Ascending alpha means ascending depth: once a composite is too deep to fit between two
    // bootstraps, every larger alpha is too (and constructing them is the expensive part).
    for (const a of [...alphas].sort((x, y) => x - y)) {
      const c = compositeCandidate(a, B, opts.composite(a));
      if (!schedulable(c)) {
        log(`composite alpha >= ${a} (depth ${c.cost.depth}) does not fit in ${L} levels with its linear layer; not a candidate under this cost model`);
        break;
      }
      composites.push(c);
    }
  }
  const candidates: Candidate[][] = sites.map((s, i) => {
    const d = dists.get(s.id);
    if (!d) throw new Error(`the profile has no entry for site ${s.id}`);
    const cheb = fitCandidates(s.kind, d, degrees, margins, opts.fitter);
    progress("fit", i + 1, sites.length, s.id);
    return [...cheb, ...(s.kind === "relu" ? composites : [])];
  });
  lap("candidates", t);

  // 3. impact
  t = performance.now();
  const ds = openDataset(impactDataset);
  const idx = selectIndices(ds.count, { limit: impactN });
  const batch = ds.read(idx);
  ds.close();
  const images = normalizeImages(batch.images, model.normalization);
  const engine = new ImpactEngine(modelsBackend(threads), model.bytes, model.graph, {
    inputName,
    outputName,
    images,
    count: idx.length,
  });
  await engine.cacheSites(sites);
  const impacts: Impact[][] = [];
  const screenKls: (number | undefined)[][] = [];
  const totalCands = candidates.reduce((s, c) => s + c.length, 0);
  let doneCands = 0;
  for (let i = 0; i < sites.length; i++) {
    const site = sites[i]!;
    const prepared = await engine.prepare(site);
    const order = candidates[i]!.map((_, k) => k).sort((a, b) => candidateSeconds(costModel, candidates[i]![a]!.cost) - candidateSeconds(costModel, candidates[i]![b]!.cost));
    const cs = candidates[i]!;
    const res: Impact[] = new Array(cs.length);
    const screened: (number | undefined)[] = new Array(cs.length).fill(undefined);
    const skip = (k: number) => {
      res[k] = { kl: NaN, top1Change: NaN };
      progress("impact", ++doneCands, totalCands, `${site.id} ${cs[k]!.label}`);
    };
    let reachedFloor = false;
    try {
      for (const k of order) {
        if (res[k]) continue; // measured with its degree's margin group
        const c = cs[k]!;
        if ((reachedFloor && c.spec.family === "chebyshev") || !schedulable(c)) {
          // skipped: a cheaper candidate is already below stopImpact, or too deep to schedule
          skip(k);
          continue;
        }
        // The same degree at other margins: same cost, so only the most accurate is a useful DP
        // option. Compare them on the first `marginScreen` impact images, measure the best in full.
        const group =
          c.spec.family === "chebyshev"
            ? cs.map((_, j) => j).filter((j) => cs[j]!.spec.family === "chebyshev" && (cs[j]!.spec as { degree: number }).degree === (c.spec as { degree: number }).degree)
            : [k];
        let best = k;
        if (group.length > 1 && marginScreen < idx.length) {
          let bestKl = Infinity;
          for (const j of group) {
            const r = await engine.measure(prepared, elementwise(cs[j]!), marginScreen);
            screened[j] = r.kl;
            if (r.kl < bestKl) {
              bestKl = r.kl;
              best = j;
            }
          }
          for (const j of group) if (j !== best) skip(j);
        } else if (group.length > 1) {
          // the screen would be the whole impact set: measure every margin in full
          for (const j of group) {
            res[j] = await engine.measure(prepared, elementwise(cs[j]!));
            progress("impact", ++doneCands, totalCands, `${site.id} ${cs[j]!.label}`);
            if (res[j]!.kl < stopImpact) reachedFloor = true;
          }
          continue;
        }
        res[best] = await engine.measure(prepared, elementwise(cs[best]!));
        if (cs[best]!.spec.family === "chebyshev" && res[best]!.kl < stopImpact) reachedFloor = true;
        progress("impact", ++doneCands, totalCands, `${site.id} ${cs[best]!.label}`);
      }
    } finally {
      await engine.release(prepared);
    }
    screenKls.push(screened);
    impacts.push(res);
  }
  lap("impact", t);

  // 4. DP: minimise predicted time subject to total impact <= budget; one pass gives the frontier.
  t = performance.now();
  // banned[i][k]: excluded after a failed validation (narrow margins at sites where test inputs fell
  // outside the interval; see the margin fallback below)
  const banned = candidates.map((cs) => cs.map(() => false));
  let dpForm: "level-aware" | "knapsack" = "knapsack";
  let dpSlack = 0;
  const solveDp = () => {
  const usable = candidates.map((cs, i) => cs.map((_, k) => k).filter((k) => Number.isFinite(impacts[i]![k]!.kl) && !banned[i]![k]));
  usable.forEach((u, i) => {
    if (u.length === 0) throw new Error(`site ${sites[i]!.id}: every candidate diverges (non-finite outputs); widen --degrees or check the profile`);
  });
  let frontierRaw: { choices: number[]; weight: number; cost: number }[];
  const maxWeightOf = (opts_: { cost: number; weight: number }[][]) =>
    Math.max(
      1e-9,
      opts_.reduce((s, os) => {
        let best = os[0]!;
        for (const o of os) if (o.cost < best.cost || (o.cost === best.cost && o.weight < best.weight)) best = o;
        return s + best.weight;
      }, 0),
    );
  // Level-aware form: options deeper than a bootstrap interval cannot be scheduled in that model.
  const levelUsable = usable.map((u, i) => u.filter((k) => schedulable(candidates[i]![k]!)));
  let levelStages: LevelStage[] | undefined;
  if (levelMode && levelUsable.every((u) => u.length > 0)) {
    try {
      const siteIndex = new Map(sites.map((s, i) => [s.id, i]));
      levelStages = networkStages(model.graph, sites, (id) => {
        const i = siteIndex.get(id)!;
        return {
          kind: "site",
          name: id,
          options: levelUsable[i]!.map((k) => {
            const c = candidates[i]![k]!;
            return { depth: c.cost.depth, weight: impacts[i]![k]!.kl, cost: (lvl: number) => costModel.polySeconds(c.cost, lvl) };
          }),
        };
      });
    } catch (e) {
      if (!(e instanceof StructureError)) throw e;
      log(`level-aware DP unavailable (${e.message}); using the separable knapsack`);
    }
  }
  if (levelMode && !levelStages) throw new Error("no site has a candidate shallow enough to fit between two bootstraps; add low --degrees");
  if (levelStages) {
    const problem = {
      stages: levelStages,
      initialLevel: L,
      levelsAfterBootstrap: L,
      bootstrapCost: costModel.bootstrapSeconds,
    };
    const order = listSites(levelStages).map((si) => sites.findIndex((s) => s.id === si.name));
    const maxWeight = maxWeightOf(order.map((i) => levelUsable[i]!.map((k) => ({ cost: candidateSeconds(costModel, candidates[i]![k]!.cost), weight: impacts[i]![k]!.kl }))));
    const sol = solveLevelAware(problem, { maxWeight, bins: 1000 });
    dpForm = "level-aware";
    dpSlack = sol.discretisation.budgetSlack;
    frontierRaw = sol.frontier.points.map((p) => {
      const choices = new Array<number>(sites.length);
      p.plan.choices.forEach((c, j) => (choices[order[j]!] = levelUsable[order[j]!]![c]!));
      return { choices, weight: p.weight, cost: p.cost };
    });
  } else {
    const groups = usable.map((u, i) => ({
      name: sites[i]!.id,
      options: u.map((k) => ({ cost: candidateSeconds(costModel, candidates[i]![k]!.cost), weight: impacts[i]![k]!.kl })),
    }));
    const dp = solveKnapsack(groups, { maxWeight: maxWeightOf(groups.map((g) => g.options)), bins: 4000 });
    dpSlack = dp.discretisation.budgetSlack;
    frontierRaw = dp.frontier.points.map((p) => ({ choices: p.plan.choices.map((c, i) => usable[i]![c]!), weight: p.weight, cost: p.cost }));
  }
  return frontierRaw.map((p) => {
    const nc = networkCost(costModel, p.choices.map((k, i) => candidates[i]![k]!.cost));
    return { choice: p.choices, kl: p.weight, dpSeconds: p.cost, nc };
  });
  };
  let frontier = solveDp();
  lap("dp", t);
  log(`DP (${dpForm}): ${frontier.length} Pareto points (discretisation slack ${dpSlack.toExponential(2)} nats)`);

  // 5. validation with bisection over the frontier
  t = performance.now();
  const buildPlan = (fi: number): Plan => {
    const f = frontier[fi]!;
    const planSites = sites.map((s, i) => {
      const k = f.choice[i]!;
      return planSiteFor(s, candidates[i]![k]!, { impact: impacts[i]![k]!.kl, seconds: f.nc.sites[i]!.seconds });
    });
    return {
      version: PLAN_VERSION,
      model: { name: model.name, sha256: model.sha256 },
      sites: planSites,
      predicted: { impact: f.kl, timeSeconds: f.nc.seconds, bootstraps: f.nc.bootstraps, costModel: costModel.description },
    };
  };
  const planModelBytes = (fi: number): Uint8Array => {
    const f = frontier[fi]!;
    const reps = sites.map((s, i) => ({ siteId: s.id, program: candidates[i]![f.choice[i]!]!.program }));
    return replaceActivations(model.bytes, reps);
  };
  const siteIntervals = (plan: Plan) =>
    plan.sites.map((s, i) => ({ id: s.id, inputTensor: sites[i]!.inputTensor, interval: planSiteInterval(s) }));

  // Budget search: screen frontier points with the ONNX polynomial subgraphs on the first
  // `screenLimit` images of the screening files (early stop as soon as the drop is certain), then
  // validate the chosen plan on the full test files.
  const screenLimit = Math.min(opts.screenLimit ?? 1000, opts.validationLimit ?? Infinity);
  const screenSets = opts.screenSets ?? validationSets;
  // Exact top-1: per image on the screening prefixes; for a full validation file, the manifest's
  // measured reference (onnxruntime = torch, models/README.md) when validating whole files, else the
  // exact model on the validated prefix (reusing the screening pass when it covers it).
  const baseline = new Map<string, DatasetValidation>();
  const exactTop1 = new Map<string, number>();
  const runExact = async (name: string, limit: number | undefined) => {
    const d = openDataset(name);
    try {
      return await validateOnDataset(model.bytes, d, [], {
        normalization: model.normalization, inputName, outputName, threads, limit,
        onProgress: (a, b) => progress(`baseline ${name}`, a, b),
      });
    } finally {
      d.close();
    }
  };
  for (const name of screenSets) baseline.set(name, await runExact(name, screenLimit));
  for (const name of validationSets) {
    const ref = model.reference?.[name];
    if (ref !== undefined && opts.validationLimit === undefined) {
      exactTop1.set(name, 100 * ref);
      continue;
    }
    const b = baseline.get(name);
    const d = openDataset(name);
    const n = Math.min(opts.validationLimit ?? d.count, d.count);
    d.close();
    exactTop1.set(name, b && b.images >= n ? top1OnPrefix(b, n) : (await runExact(name, opts.validationLimit)).top1);
  }
  // Screening passes that ran to completion, per frontier point: the full validation continues them.
  // Every screening pass (complete or stopped early), for the out-of-range counts of failed points.
  const screenRuns = new Map<number, Map<string, DatasetValidation>>();
  const screenAll = new Map<number, Map<string, DatasetValidation>>();
  const searchBudget = async () => {
  screenRuns.clear();
  screenAll.clear();
  // Thin the frontier to at most `maxScreenPoints` points spread evenly in log(impact): neighbouring
  // points differ by less than the screening can resolve, and each screen costs a plaintext pass.
  const thin = thinFrontier(frontier.map((f) => f.kl), opts.maxScreenPoints ?? 24);
  const check = async (ti: number) => {
    const fi = thin[ti]!;
    const plan = buildPlan(fi);
    const bytes = exposeTensors(planModelBytes(fi), [...new Set(sites.map((s) => s.inputTensor))]);
    const details: string[] = [];
    const runs = new Map<string, DatasetValidation>();
    const all = new Map<string, DatasetValidation>();
    screenRuns.set(fi, runs);
    screenAll.set(fi, all);
    for (const name of screenSets) {
      const base = baseline.get(name)!;
      const d = openDataset(name);
      let v;
      const limit = screenLimit;
      try {
        v = await validateOnDataset(bytes, d, siteIntervals(plan), {
          normalization: model.normalization, inputName, outputName, threads, limit,
          minTop1: top1OnPrefix(base, limit) - maxDrop,
          onProgress: (a, b) => progress(`screen #${fi} ${name}`, a, b),
        });
      } finally {
        d.close();
      }
      all.set(name, v);
      if (!v.stoppedEarly) runs.set(name, v);
      const drop = top1OnPrefix(base, v.images) - v.top1;
      details.push(`${name}[0..${v.images}): ${v.top1.toFixed(2)}% (drop ${drop.toFixed(2)})${v.stoppedEarly ? " stopped early" : ""}`);
      if (v.stoppedEarly || drop > maxDrop) {
        log(`frontier point ${fi} (predicted KL ${frontier[fi]!.kl.toExponential(2)}, ${frontier[fi]!.nc.seconds.toFixed(0)} s): FAIL ${details.join("; ")}`);
        return { passed: false, detail: details.join("; ") };
      }
    }
    log(`frontier point ${fi} (predicted KL ${frontier[fi]!.kl.toExponential(2)}, ${frontier[fi]!.nc.seconds.toFixed(0)} s): pass ${details.join("; ")}`);
    return { passed: true, detail: details.join("; ") };
  };
  const bisThin = await bisectFrontier(thin.length, check);
  return {
    index: bisThin.index >= 0 ? thin[bisThin.index]! : -1,
    steps: bisThin.steps.map((st) => ({ ...st, index: thin[st.index]! })),
  };
  };
  let bis = await searchBudget();
  lap("screening", t);

  // Margin fallback. The margins were chosen on the impact set, whose inputs lie inside the profiled
  // range; a narrow-margin high-degree fit can still explode on test inputs just outside it. If even
  // the most accurate frontier point fails its screen, the validation's out-of-range counts name the
  // sites whose interval was too tight: those sites keep only their widest-margin fits (measured on
  // the impact set now if the margin screen had passed them over), the DP and the bisection run
  // again (at most twice).
  t = performance.now();
  const widest = Math.max(...margins);
  const marginFallback: { sites: string[]; bisection: BisectionStep[] }[] = [];
  for (let round = 0; bis.index < 0 && margins.length > 1 && round < 2; round++) {
    const first = screenAll.get(0);
    const narrow = (i: number) => {
      const c = candidates[i]![frontier[0]!.choice[i]!]!;
      return c.spec.family === "chebyshev" && (c.margin ?? widest) < widest;
    };
    // Only out-of-range evidence widens a site: a failure without it (e.g. sampling noise on a test
    // prefix) is left to the full validation of the most accurate point.
    const targets = sites.map((_, i) => i).filter((i) => narrow(i) && [...(first?.values() ?? [])].some((v) => (v.outOfRange[sites[i]!.id] ?? 0) > 0));
    if (targets.length === 0) break;
    log(`margin fallback: no frontier point passed; widest margin (${widest}) only at ${targets.length} site(s): ${targets.map((i) => sites[i]!.id).join(", ")}`);
    marginFallback.push({ sites: targets.map((i) => sites[i]!.id), bisection: bis.steps });
    for (const i of targets) {
      const cs = candidates[i]!;
      const todo: number[] = [];
      cs.forEach((c, k) => {
        if (c.spec.family !== "chebyshev") return;
        if ((c.margin ?? widest) < widest) banned[i]![k] = true;
        else if (!Number.isFinite(impacts[i]![k]!.kl) && schedulable(c)) {
          // measure it if its degree was measured at some margin (not skipped by the floor rule)
          const deg = c.spec.degree;
          if (cs.some((o, j) => o.spec.family === "chebyshev" && o.spec.degree === deg && Number.isFinite(impacts[i]![j]!.kl))) todo.push(k);
        }
      });
      if (todo.length === 0) continue;
      const prepared = await engine.prepare(sites[i]!);
      try {
        for (const k of todo) impacts[i]![k] = await engine.measure(prepared, elementwise(cs[k]!));
      } finally {
        await engine.release(prepared);
      }
    }
    frontier = solveDp();
    log(`DP (${dpForm}) with the widened sites: ${frontier.length} Pareto points`);
    bis = await searchBudget();
  }
  lap("marginFallback", t);

  // Full validation with ONNX polynomial subgraphs; if the screened choice fails on the full files,
  // fall back to more accurate points that passed screening, then to the most accurate point.
  t = performance.now();
  const fullValidate = async (fi: number): Promise<DatasetValidation[]> => {
    const plan = buildPlan(fi);
    const bytes = exposeTensors(planModelBytes(fi), [...new Set(sites.map((s) => s.inputTensor))]);
    const out: DatasetValidation[] = [];
    for (const name of validationSets) {
      const d = openDataset(name);
      try {
        const n = Math.min(opts.validationLimit ?? d.count, d.count);
        // continue the screening pass of this point on this file instead of repeating its images
        const prior = screenRuns.get(fi)?.get(name);
        const head = prior && prior.images <= n ? prior : undefined;
        if (head && head.images === n) {
          out.push(head);
          continue;
        }
        const tail = await validateOnDataset(bytes, d, siteIntervals(plan), {
          normalization: model.normalization, inputName, outputName, threads, limit: n, start: head?.images ?? 0,
          onProgress: (a, b) => progress(`validate #${fi} ${name}`, (head?.images ?? 0) + a, (head?.images ?? 0) + b),
        });
        out.push(head ? mergeValidations(head, tail) : tail);
      } finally {
        d.close();
      }
    }
    return out;
  };
  const passedIdx = bis.steps.filter((s) => s.passed).map((s) => s.index).sort((x, y) => y - x);
  const tries = [...new Set([...(bis.index >= 0 ? [bis.index] : []), ...passedIdx, 0])].slice(0, opts.maxFullValidations ?? 3);
  let chosen = tries[tries.length - 1]!;
  let vals: DatasetValidation[] = [];
  let meets = false;
  for (const fi of tries) {
    vals = await fullValidate(fi);
    const drops = vals.map((v) => exactTop1.get(v.dataset)! - v.top1);
    log(`full validation of frontier point ${fi}: ${vals.map((v, j) => `${v.dataset} ${v.top1.toFixed(2)}% (drop ${drops[j]!.toFixed(2)})`).join("; ")}`);
    chosen = fi;
    if (drops.every((d) => d <= maxDrop)) {
      meets = true;
      break;
    }
  }
  lap("validation", t);
  if (!meets) log(`no validated plan keeps the top-1 drop within ${maxDrop} points; reporting frontier point ${chosen}`);

  // 6. additivity: the whole plan at once on the impact set vs the sum of single-site impacts
  t = performance.now();
  const whole = await engine.measureModel(planModelBytes(chosen));
  lap("additivity", t);

  const plan = buildPlan(chosen);
  plan.validated = {
    top1: Object.fromEntries(vals.map((v) => [v.dataset, v.top1])),
    baselineTop1: Object.fromEntries(vals.map((v) => [v.dataset, exactTop1.get(v.dataset)!])),
    images: Object.fromEntries(vals.map((v) => [v.dataset, v.images])),
    outOfRange: Object.fromEntries(vals.map((v) => [v.dataset, v.outOfRange])),
  };

  let baselineReport: OptimizeReport["baseline"];
  if (opts.composite && sites.every((s) => s.kind === "relu")) {
    const base = uniformCompositePlan(model, sites, 13, B, opts.composite(13), costModel);
    baselineReport = {
      alpha: 13,
      B,
      timeSeconds: base.predicted!.timeSeconds,
      bootstraps: base.predicted!.bootstraps,
      speedup: base.predicted!.timeSeconds / plan.predicted!.timeSeconds,
    };
  }
  const f = frontier[chosen]!;
  const report: OptimizeReport = {
    model: plan.model,
    costModel: costModel.description,
    dp: { form: dpForm, budgetSlack: dpSlack },
    levelsAfterBootstrap: costModel.levelsAfterBootstrap,
    bootstrapSeconds: costModel.bootstrapSeconds,
    impactSet: { dataset: impactDataset, images: idx.length },
    calibImages: calib,
    maxDrop,
    sites: sites.map((s, i) => {
      const d = dists.get(s.id)!;
      const cands = candidates[i]!.map((c, k) => candidateReport(c, impacts[i]![k]!, candidateSeconds(costModel, c.cost), screenKls[i]![k]));
      return {
        id: s.id,
        kind: s.kind,
        profiledRange: [d.min, d.max] as [number, number],
        chosen: cands[f.choice[i]!]!,
        candidates: cands,
        bootstrapsBefore: f.nc.sites[i]!.bootstraps,
        outOfRange: Object.fromEntries(vals.map((v) => [v.dataset, { values: v.outOfRange[s.id]!, images: v.imagesOutOfRange[s.id]! }])),
      };
    }),
    frontier: frontier.map((p, index) => ({ index, predictedKl: p.kl, dpSeconds: p.dpSeconds, timeSeconds: p.nc.seconds, bootstraps: p.nc.bootstraps })),
    bisection: bis.steps,
    marginFallback,
    chosenFrontierIndex: chosen,
    additivity: { predictedKl: f.kl, measuredKl: whole.kl, measuredTop1Change: whole.top1Change, ratio: whole.kl / Math.max(f.kl, 1e-300) },
    validation: vals.map((v) => {
      const b = exactTop1.get(v.dataset)!;
      return { dataset: v.dataset, images: v.images, top1: v.top1, baselineTop1: b, drop: b - v.top1 };
    }),
    predicted: { timeSeconds: f.nc.seconds, polySeconds: f.nc.polySeconds, bootstrapSeconds: f.nc.bootstrapSeconds, bootstraps: f.nc.bootstraps },
    timings,
    meetsMaxDrop: meets,
  };
  if (baselineReport) report.baseline = baselineReport;
  timings.total = (performance.now() - t0) / 1000;
  return { plan, report };
}
