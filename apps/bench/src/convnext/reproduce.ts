// The ConvNeXt reproduction (issue 8): every GELU replaced by a polynomial, backbone unchanged.
// Nothing here knows about a particular file: any ONNX model with activation sites works (the
// sites, LayerNorms and level structure are found from the graph).
//
// Pipeline: profile every site on calibration images (training data) -> per-site WLS fits of each
// candidate degree (OLA) and distribution-free uniform fits on [-R, R] (least squares and minimax)
// -> single-site impacts on a disjoint impact set -> DP frontier (level-aware when the graph's block
// structure is understood) -> plaintext top-1 of every configuration on the test files, with depth
// and the predicted encrypted cost of the activation part (the optimiser's CostModel).
import { performance } from "node:perf_hooks";
import { listSites, solveKnapsack, solveLevelAware, type LevelStage } from "@ola/dp";
import {
  OnnxRunner,
  evaluateModel,
  exposeTensors,
  extractSubgraph,
  findActivationSites,
  loadModel,
  normalizeImages,
  openDataset,
  replaceActivations,
  selectIndices,
  type LoadedModel,
} from "@ola/models";
import {
  ImpactEngine,
  StructureError,
  candidateSeconds,
  chebyshevCandidate,
  fitCandidates,
  networkCost,
  networkStages,
  type Candidate,
  type CostModel,
  type Impact,
  type InferenceBackend,
  type SiteDistribution,
  type WlsFitter,
} from "@ola/optimizer";
import { ChebyshevPoly, type PolyCost } from "@ola/poly";
import { profileModel, quantile, type Profile } from "@ola/profile";
import { coveringRange, uniformLeastSquares, uniformMinimax } from "./uniform.js";

export interface TestSet {
  name: string;
  /** Evaluate only the first `limit` images (default all). */
  limit?: number;
}

export interface ReproduceOptions {
  model: string;
  calibImages: number;
  calibDataset: string;
  impactImages: number;
  impactDataset: string;
  testSets: TestSet[];
  /** Degrees fitted per site for the fit table (always includes 3). */
  fitDegrees: number[];
  /** Candidate degrees offered to the DP. */
  dpDegrees: number[];
  /** The uniform high degree (e.g. 15). */
  highDegree: number;
  /** Fit interval margin (fraction of the profiled range on each side). */
  margin: number;
  /**
   * Fit-interval margins whose all-degree-3 OLA plan is measured on the impact set (training data,
   * never the test files): how sensitive degree 3 is to the interval choice.
   */
  marginSweep?: number[];
  /** KL budgets of the DP plans, as multiples of the all-degree-3 OLA plan's predicted KL. */
  budgetFactors: number[];
  threads: number;
  costModel: CostModel;
  fitter: WlsFitter;
  /** The exact activation of each kind (GELU with erf, ReLU). */
  exact: Record<"relu" | "gelu", (x: number) => number>;
  log?: (msg: string) => void;
}

export interface SiteSummary {
  id: string;
  kind: "relu" | "gelu";
  shape: number[];
  count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  quantiles: Record<string, number>;
}

export interface FitRow {
  site: string;
  fit: string;
  degree: number;
  interval: [number, number];
  /** RMSE under the site's calibration distribution, and max error over its histogram cells. */
  weightedRmse: number;
  maxError: number;
  coefficients: number[];
}

export interface ConfigResult {
  label: string;
  kind: "original" | "ola" | "uniform-ls" | "uniform-minimax" | "dp";
  degrees: number[] | null;
  maxDepth: number;
  nonScalarMultiplications: number;
  predicted: { seconds: number; polySeconds: number; bootstrapSeconds: number; bootstraps: number } | null;
  predictedKl: number | null;
  top1: Record<string, number>;
  images: Record<string, number>;
  evalSeconds: number;
}

export interface ReproduceResult {
  model: { name: string; sha256: string };
  costModel: string;
  calibration: { dataset: string; images: number };
  impactSet: { dataset: string; images: number };
  margin: number;
  uniformRange: number;
  sites: SiteSummary[];
  fits: FitRow[];
  impacts: { site: string; degree: number; kl: number; top1Change: number; seconds: number }[];
  /** The all-degree-3 OLA plan (every site replaced at once) on the impact set, per fit-interval margin. */
  marginSweep: { margin: number; kl: number; top1Change: number; impactTop1: number }[];
  dp: { form: "level-aware" | "knapsack"; budgetSlack: number; frontier: { kl: number; seconds: number; bootstraps: number; degrees: number[] }[] };
  configs: ConfigResult[];
  /** Series drawn in the figure, per site: the OLA degree-3 fit and the uniform degree-3 fits. */
  figure: { site: string; range: [number, number]; histogram: { lo: number; hi: number; counts: number[] }; ola3: ChebyshevPoly; uniformLs3: ChebyshevPoly; uniformMinimax3: ChebyshevPoly }[];
  profile: Profile;
  timings: Record<string, number>;
}

/** A profile entry as a fitting distribution (histogram cells as weights, the reservoir as samples). */
export function siteDistribution(stats: Profile["sites"][number]["stats"]): SiteDistribution {
  const h = stats.histogram;
  const lo = h.lo + h.offset * h.width;
  return { min: stats.min, max: stats.max, histogram: { lo, hi: lo + h.counts.length * h.width, counts: h.counts }, samples: stats.reservoir };
}

/** RMSE of p against f under the histogram weights, and the max error over the occupied cells. */
export function distributionError(p: (x: number) => number, f: (x: number) => number, dist: SiteDistribution): { weightedRmse: number; maxError: number } {
  const h = dist.histogram;
  if (!h) throw new Error("distributionError: the distribution has no histogram");
  const n = h.counts.length;
  const w = (h.hi - h.lo) / n;
  let se = 0;
  let mass = 0;
  let maxError = 0;
  for (let i = 0; i < n; i++) {
    const c = h.counts[i]!;
    if (c <= 0) continue;
    const x = h.lo + (i + 0.5) * w;
    const e = p(x) - f(x);
    se += c * e * e;
    mass += c;
    maxError = Math.max(maxError, Math.abs(e));
  }
  return { weightedRmse: mass > 0 ? Math.sqrt(se / mass) : NaN, maxError };
}

function backend(threads: number): InferenceBackend {
  return {
    exposeTensors,
    extractSubgraph: (bytes, inputs, outputs) => extractSubgraph(bytes, inputs, outputs),
    async createSession(bytes: Uint8Array) {
      const r = await OnnxRunner.create(bytes, { threads });
      return { run: (feeds, outputs) => r.run(feeds, outputs), dispose: () => r.release() };
    },
  };
}

function costSummary(costModel: CostModel, costs: PolyCost[]) {
  const nc = networkCost(costModel, costs);
  return {
    maxDepth: Math.max(...costs.map((c) => c.depth)),
    nonScalarMultiplications: costs.reduce((s, c) => s + c.nonScalarMultiplications, 0),
    predicted: { seconds: nc.seconds, polySeconds: nc.polySeconds, bootstrapSeconds: nc.bootstrapSeconds, bootstraps: nc.bootstraps },
  };
}

async function evaluateOn(model: LoadedModel, bytes: Uint8Array, sets: TestSet[], threads: number, log: (m: string) => void, label: string) {
  const top1: Record<string, number> = {};
  const images: Record<string, number> = {};
  const t0 = performance.now();
  const runner = await OnnxRunner.create(bytes, { threads });
  try {
    for (const s of sets) {
      const ds = openDataset(s.name);
      try {
        const r = await evaluateModel(undefined, ds, {
          normalization: model.normalization,
          runner,
          batchSize: 100,
          ...(s.limit !== undefined ? { limit: s.limit } : {}),
        });
        top1[s.name] = 100 * r.top1;
        images[s.name] = r.images;
      } finally {
        ds.close();
      }
    }
  } finally {
    await runner.release();
  }
  const evalSeconds = (performance.now() - t0) / 1000;
  log(`${label}: ${sets.map((s) => `${s.name} ${top1[s.name]!.toFixed(2)}%`).join(", ")} (${evalSeconds.toFixed(0)} s)`);
  return { top1, images, evalSeconds };
}

export async function reproduceConvnext(opts: ReproduceOptions): Promise<ReproduceResult> {
  const log = opts.log ?? (() => {});
  const timings: Record<string, number> = {};
  const lap = (k: string, t: number) => (timings[k] = (performance.now() - t) / 1000);
  const model = await loadModel(opts.model);
  const sites = findActivationSites(model.graph);
  if (sites.length === 0) throw new Error(`model ${model.name} has no activation sites`);
  log(`${model.name}: ${sites.length} activation sites (${[...new Set(sites.map((s) => s.kind))].join(", ")}); cost model ${opts.costModel.description}`);

  // 1. profile
  let t = performance.now();
  const profile = await profileModel(model, { images: opts.calibImages, dataset: opts.calibDataset, threads: opts.threads, sites, seed: 0 });
  lap("profile", t);
  const byId = new Map(profile.sites.map((p) => [p.id, p]));
  const dists = sites.map((s) => {
    const p = byId.get(s.id);
    if (!p || p.stats.count === 0) throw new Error(`profile: site ${s.id} saw no finite inputs`);
    return siteDistribution(p.stats);
  });
  const summaries: SiteSummary[] = sites.map((s, i) => {
    const st = byId.get(s.id)!.stats;
    return {
      id: s.id,
      kind: s.kind,
      shape: s.shape,
      count: st.count,
      min: st.min,
      max: st.max,
      mean: st.mean,
      std: st.std,
      quantiles: Object.fromEntries([0.001, 0.01, 0.5, 0.99, 0.999].map((q) => [`p${q * 100}`, quantile(st, q)])),
    };
  });
  log(`profiled ${profile.calibration?.images ?? opts.calibImages} images in ${timings.profile!.toFixed(1)} s`);

  // 2. fits: per-site WLS (OLA) of every degree, uniform fits on [-R, R]
  t = performance.now();
  const allDegrees = [...new Set([3, ...opts.fitDegrees, ...opts.dpDegrees])].sort((a, b) => a - b);
  const ola: Map<number, Candidate>[] = sites.map((s, i) => {
    const cands = fitCandidates(s.kind, dists[i]!, allDegrees, opts.margin, opts.fitter);
    return new Map(cands.map((c, k) => [allDegrees[k]!, c]));
  });
  const R = coveringRange(dists);
  const kinds = [...new Set(sites.map((s) => s.kind))];
  const uniform = new Map<string, { ls3: ChebyshevPoly; mm3: ChebyshevPoly; lsHi: ChebyshevPoly; mmHi: ChebyshevPoly }>();
  for (const k of kinds) {
    const f = opts.exact[k];
    uniform.set(k, {
      ls3: uniformLeastSquares(opts.fitter, k, 3, R),
      mm3: uniformMinimax(f, 3, R).poly,
      lsHi: uniformLeastSquares(opts.fitter, k, opts.highDegree, R),
      mmHi: uniformMinimax(f, opts.highDegree, R).poly,
    });
  }
  const fits: FitRow[] = [];
  sites.forEach((s, i) => {
    const f = opts.exact[s.kind];
    const row = (fit: string, p: ChebyshevPoly) => {
      const e = distributionError((x) => p.evaluate(x), f, dists[i]!);
      fits.push({ site: s.id, fit, degree: p.degree, interval: [p.a, p.b], ...e, coefficients: Array.from(p.coeffs) });
    };
    for (const d of opts.fitDegrees) {
      const c = ola[i]!.get(d)!;
      if (c.spec.family !== "chebyshev") throw new Error("internal: OLA candidate is not a Chebyshev series");
      row("ola-wls", seriesOf(c));
    }
    const u = uniform.get(s.kind)!;
    row("uniform-ls", u.ls3);
    row("uniform-minimax", u.mm3);
    row("uniform-ls", u.lsHi);
    row("uniform-minimax", u.mmHi);
  });
  lap("fits", t);
  log(`fits: degrees ${allDegrees.join(",")} per site; uniform range R = ${R}`);

  // 3. single-site impacts of the DP candidates on the impact set
  t = performance.now();
  const ds = openDataset(opts.impactDataset);
  const idx = selectIndices(ds.count, { limit: opts.impactImages });
  const batch = ds.read(idx);
  ds.close();
  const inputName = model.graph.inputs[0]!.name;
  const outputName = model.graph.outputs[0]!.name;
  const engine = new ImpactEngine(backend(opts.threads), model.bytes, model.graph, {
    inputName,
    outputName,
    images: normalizeImages(batch.images, model.normalization),
    count: idx.length,
  });
  await engine.exact();
  const dpCands: Candidate[][] = sites.map((_, i) => opts.dpDegrees.map((d) => ola[i]!.get(d)!));
  const impacts: Impact[][] = [];
  for (let i = 0; i < sites.length; i++) {
    const prepared = await engine.prepare(sites[i]!);
    try {
      const row: Impact[] = [];
      for (const c of dpCands[i]!) {
        const series = seriesOf(c);
        row.push(await engine.measure(prepared, (x) => series.evaluateMany(x)));
      }
      impacts.push(row);
    } finally {
      await engine.release(prepared);
    }
    log(`impact ${sites[i]!.id}: ${opts.dpDegrees.map((d, k) => `d${d} ${impacts[i]![k]!.kl.toExponential(2)}`).join(" ")}`);
  }
  lap("impact", t);

  // 3b. interval sensitivity of degree 3 (whole plan at once, impact set = training data)
  t = performance.now();
  const marginSweep: ReproduceResult["marginSweep"] = [];
  const exactTop1 = (await engine.exact()).top1;
  let exactCorrect = 0;
  for (let i = 0; i < idx.length; i++) if (exactTop1[i] === batch.labels[i]) exactCorrect++;
  for (const margin of opts.marginSweep ?? []) {
    const reps = sites.map((s, i) => ({ siteId: s.id, program: fitCandidates(s.kind, dists[i]!, [3], margin, opts.fitter)[0]!.program }));
    const im = await engine.measureModel(replaceActivations(model.bytes, reps));
    marginSweep.push({ margin, kl: im.kl, top1Change: im.top1Change, impactTop1: (100 * exactCorrect) / idx.length });
    log(`margin ${margin}: all-degree-3 plan on the impact set: KL ${im.kl.toExponential(2)}, top-1 changes ${im.top1Change.toFixed(2)}%`);
  }
  lap("marginSweep", t);

  // 4. DP over the candidates (level-aware when the block structure is understood)
  t = performance.now();
  const cm = opts.costModel;
  const L = cm.levelsAfterBootstrap;
  const usable = dpCands.map((cs, i) => cs.map((_, k) => k).filter((k) => Number.isFinite(impacts[i]![k]!.kl) && cs[k]!.cost.depth + cm.linearDepth <= L));
  usable.forEach((u, i) => {
    if (u.length === 0) throw new Error(`site ${sites[i]!.id}: no DP candidate is finite and shallow enough to schedule`);
  });
  const maxWeight = Math.max(1e-9, usable.reduce((s, u, i) => s + Math.max(...u.map((k) => impacts[i]![k]!.kl)), 0));
  let form: "level-aware" | "knapsack" = "knapsack";
  let frontierRaw: { choices: number[]; weight: number }[];
  let budgetSlack: number;
  let stages: LevelStage[] | undefined;
  try {
    const index = new Map(sites.map((s, i) => [s.id, i]));
    stages = networkStages(model.graph, sites, (id) => {
      const i = index.get(id)!;
      return {
        kind: "site",
        name: id,
        options: usable[i]!.map((k) => ({ depth: dpCands[i]![k]!.cost.depth, weight: impacts[i]![k]!.kl, cost: (lvl: number) => cm.polySeconds(dpCands[i]![k]!.cost, lvl) })),
      };
    });
  } catch (e) {
    if (!(e instanceof StructureError)) throw e;
    log(`level-aware DP unavailable (${e.message}); separable knapsack`);
  }
  if (stages) {
    const sol = solveLevelAware({ stages, initialLevel: L, levelsAfterBootstrap: L, bootstrapCost: cm.bootstrapSeconds }, { maxWeight, bins: 1000 });
    const order = listSites(stages).map((si) => sites.findIndex((s) => s.id === si.name));
    form = "level-aware";
    budgetSlack = sol.discretisation.budgetSlack;
    frontierRaw = sol.frontier.points.map((p) => {
      const choices = new Array<number>(sites.length);
      p.plan.choices.forEach((c, j) => (choices[order[j]!] = usable[order[j]!]![c]!));
      return { choices, weight: p.weight };
    });
  } else {
    const groups = usable.map((u, i) => ({ name: sites[i]!.id, options: u.map((k) => ({ cost: candidateSeconds(cm, dpCands[i]![k]!.cost), weight: impacts[i]![k]!.kl })) }));
    const sol = solveKnapsack(groups, { maxWeight, bins: 4000 });
    budgetSlack = sol.discretisation.budgetSlack;
    frontierRaw = sol.frontier.points.map((p) => ({ choices: p.plan.choices.map((c, i) => usable[i]![c]!), weight: p.weight }));
  }
  const frontier = frontierRaw.map((p) => {
    const nc = networkCost(cm, p.choices.map((k, i) => dpCands[i]![k]!.cost));
    return { ...p, seconds: nc.seconds, bootstraps: nc.bootstraps, degrees: p.choices.map((k) => opts.dpDegrees[k]!) };
  });
  lap("dp", t);
  log(`DP (${form}): ${frontier.length} Pareto points`);

  // 5. configurations and their plaintext top-1
  t = performance.now();
  const configs: ConfigResult[] = [];
  const base = await evaluateOn(model, model.bytes, opts.testSets, opts.threads, log, "original");
  configs.push({ label: "original (exact GELU)", kind: "original", degrees: null, maxDepth: 0, nonScalarMultiplications: 0, predicted: null, predictedKl: null, ...base });
  const run = async (label: string, kind: ConfigResult["kind"], perSite: ChebyshevPoly[] | Candidate[], predictedKl: number | null) => {
    const cands = perSite.map((p) => ("spec" in p ? p : chebyshevCandidate(p)));
    const bytes = replaceActivations(model.bytes, sites.map((s, i) => ({ siteId: s.id, program: cands[i]!.program })));
    const r = await evaluateOn(model, bytes, opts.testSets, opts.threads, log, label);
    configs.push({
      label,
      kind,
      degrees: cands.map((c) => (c.spec.family === "chebyshev" ? c.spec.degree : NaN)),
      ...costSummary(cm, cands.map((c) => c.cost)),
      predictedKl,
      ...r,
    });
  };
  const klOf = (deg: number) => {
    const k = opts.dpDegrees.indexOf(deg);
    return k < 0 ? null : impacts.reduce((s, row) => s + row[k]!.kl, 0);
  };
  await run("OLA: per-site WLS, degree 3", "ola", ola.map((m) => m.get(3)!), klOf(3));
  const ofKind = (pick: (u: { ls3: ChebyshevPoly; mm3: ChebyshevPoly; lsHi: ChebyshevPoly; mmHi: ChebyshevPoly }) => ChebyshevPoly) =>
    sites.map((s) => pick(uniform.get(s.kind)!));
  await run(`uniform least squares on [-${R}, ${R}], degree 3`, "uniform-ls", ofKind((u) => u.ls3), null);
  await run(`uniform minimax on [-${R}, ${R}], degree 3`, "uniform-minimax", ofKind((u) => u.mm3), null);
  await run(`uniform least squares on [-${R}, ${R}], degree ${opts.highDegree}`, "uniform-ls", ofKind((u) => u.lsHi), null);
  await run(`uniform minimax on [-${R}, ${R}], degree ${opts.highDegree}`, "uniform-minimax", ofKind((u) => u.mmHi), null);
  const ola3Kl = klOf(3) ?? frontier[frontier.length - 1]!.weight;
  const chosen = new Set<number>();
  for (const f of opts.budgetFactors) {
    const budget = f * ola3Kl;
    let best = -1;
    frontier.forEach((p, k) => {
      if (p.weight <= budget && (best < 0 || p.seconds < frontier[best]!.seconds)) best = k;
    });
    if (best < 0) {
      log(`DP budget ${budget.toExponential(2)} nats (${f} x OLA-3): infeasible (lightest plan ${frontier[0]?.weight.toExponential(2)})`);
      continue;
    }
    if (chosen.has(best)) continue;
    chosen.add(best);
    const p = frontier[best]!;
    await run(`DP plan, KL budget ${f} x OLA-3 (${budget.toExponential(2)} nats)`, "dp", p.choices.map((k, i) => dpCands[i]![k]!), p.weight);
  }
  lap("evaluation", t);

  const figure = sites.map((s, i) => {
    const h = dists[i]!.histogram!;
    const u = uniform.get(s.kind)!;
    return {
      site: s.id,
      range: [dists[i]!.min, dists[i]!.max] as [number, number],
      histogram: { lo: h.lo, hi: h.hi, counts: Array.from(h.counts) },
      ola3: seriesOf(ola[i]!.get(3)!),
      uniformLs3: u.ls3,
      uniformMinimax3: u.mm3,
    };
  });
  return {
    model: { name: model.name, sha256: model.sha256 },
    costModel: cm.description,
    calibration: { dataset: opts.calibDataset, images: opts.calibImages },
    impactSet: { dataset: opts.impactDataset, images: idx.length },
    margin: opts.margin,
    uniformRange: R,
    sites: summaries,
    fits,
    marginSweep,
    impacts: impacts.flatMap((row, i) => row.map((im, k) => ({ site: sites[i]!.id, degree: opts.dpDegrees[k]!, ...im, seconds: candidateSeconds(cm, dpCands[i]![k]!.cost) }))),
    dp: { form, budgetSlack, frontier: frontier.map((p) => ({ kl: p.weight, seconds: p.seconds, bootstraps: p.bootstraps, degrees: p.degrees })) },
    configs,
    figure,
    profile,
    timings,
  };
}

/** The Chebyshev series of a candidate. */
export function seriesOf(c: Candidate): ChebyshevPoly {
  if (c.spec.family !== "chebyshev") throw new Error(`candidate ${c.label} is not a Chebyshev series`);
  return new ChebyshevPoly(c.spec.coefficients, c.spec.interval[0], c.spec.interval[1]);
}
