// `pnpm bench reproduce resnet20|resnet32`: the paper's claim side by side — the uniform alpha=13 composite
// ReLU plan vs the OLA plan, same runtime, preset and machine.
//   1. plans: uniform (uniformCompositePlan, alpha 13, B 40) and OLA (`--ola-plan FILE`, or optimize() with
//      the level model of the chosen bootstrapping preset), saved under results/plans/;
//   2. compile both (HeProgram): bootstraps, rotations, predicted time (analytic op table + the measured
//      bootstrap seconds of results/bootstrap-<preset>.json when present);
//   3. plaintext-simulated top-1 of both plans on both CIFAR-10 test files;
//   4. encrypted runs, interleaved (uniform, OLA, uniform, OLA, ...): `--encrypted full` runs whole images
//      on the bootstrapping preset; `--encrypted prefix` (default) runs, on the leveled preset `--prefix-preset`
//      (no bootstrap), the longest common network prefix both plans fit without a bootstrap, and compares the
//      decrypted slots with the program's slot simulation; `none` skips it.
// Writes results/reproduce-<model>.json|.md|.svg, each with the command.
//
// Full encrypted images take hours at N = 2^15, so `--encrypted full` can run one plan per process
// (`--plans uniform`, `--plans ola`: one per core), checkpoints every run (`--checkpoint-dir DIR`, resumed
// automatically), and writes each plan's measured images incrementally to
// results/reproduce-<model>-encrypted-<plan>.json|.md. `--encrypted from-results` then builds the side-by-side
// report from those two files (after checking they measured the programs compiled here), stating whether the
// two plans' runs overlapped in time (concurrent processes on the machine's cores: wall seconds include that
// contention; CPU seconds are per process).
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import {
  BOOTSTRAP_PRESETS,
  HeInferenceSession,
  compileHeProgram,
  getPreset,
  peakRssBytes,
  peekRunCheckpoint,
  programHash,
  simulateHeProgramSlots,
  validateParameters,
  type HeProgram,
  type PolyProgram,
  type RunReport,
} from "@ola/ckks-runtime";
import { findActivationSites, foldBatchNorm, importOnnx, loadModel, normalizeImages, openDataset, OnnxRunner, replaceActivations, top1, type LoadedModel } from "@ola/models";
import {
  analyticCostModel,
  defaultComposite,
  defaultFitter,
  defaultProfiler,
  optimize,
  planPrograms,
  readPlan,
  uniformCompositePlan,
  writePlan,
  type CostModel,
  type Plan,
} from "@ola/optimizer";
import { median } from "../measure.js";
import { mdTable, provenance, resultsDir, writeResults } from "../results.js";

interface ReproduceOptions {
  preset: string;
  prefixPreset: string;
  olaPlan?: string;
  encrypted: string;
  runs: string;
  images: string;
  top1Limit?: string;
  calib: string;
  impact: string;
  validationLimit: string;
  bootstrapSeconds?: string;
  olaLevels: string;
  plans: string;
  checkpointDir?: string;
  checkpointEvery: string;
  sparseBootstraps?: boolean;
  bootstrapThreads: string;
  bootstrapDiagonals?: string;
  placement: string;
  inputLevel?: string;
}

const say = (s: string) => process.stderr.write(`bench reproduce: ${s}\n`);

/** One process's share of an image's encrypted run (a resumed run has several). */
export interface RunSegment {
  pid: number;
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  cpuSeconds: number;
  /** 1-minute load average at the end of the segment (2 = both cores busy on this 2-core machine); null when not recorded. */
  loadavg1: number | null;
}

export interface EncryptedImage {
  image: number;
  /** Compute seconds (summed over resumed processes; checkpoint writing excluded). */
  seconds: number;
  /** Process CPU seconds over the run (summed over resumed processes). */
  cpuSeconds?: number;
  byKind: RunReport["byKind"];
  bootstraps: number;
  maxAbsError: number;
  argmaxAgrees?: boolean;
  label?: number;
  logits?: number[];
  plainLogits?: number[];
  resumes?: number;
  segments?: RunSegment[];
  /** Slot count of every bootstrap (N/2 = full-slot; fewer with --sparse-bootstraps). */
  bootstrapSlots?: number[];
}

interface PlanSide {
  name: "uniform" | "ola";
  plan: Plan;
  programs: Map<string, PolyProgram>;
  program?: HeProgram;
  top1: Record<string, number>;
  encrypted: EncryptedImage[];
}

/** results/reproduce-<model>-encrypted-<plan>.json: one plan's measured full encrypted images. */
export interface PerPlanResults {
  model: string;
  plan: "uniform" | "ola";
  preset: string;
  programHash: string;
  compiled: { bootstraps: number; predictedSeconds: number };
  checkpointDir: string | null;
  imagesRequested: number;
  complete: boolean;
  images: EncryptedImage[];
  peakRssBytes: number;
  /** Runs with --sparse-bootstraps (file reproduce-<model>-encrypted-<plan>-sparse.json). */
  sparseBootstraps?: boolean;
  /** Runs with --bootstrap-threads 2 (file reproduce-<model>-encrypted-<plan>[-sparse]-2t.json). */
  bootstrapThreads?: 2;
  /** Runs with --bootstrap-diagonals G (file ...-diag<G>g...): bootstrapping diagonals kept precomputed, GiB. */
  bootstrapDiagonalGiB?: number;
  /** Programs compiled with --placement before-activation / --input-level K (file ...-before-act-in<K>...). */
  placement?: "before-activation";
  inputLevel?: number;
}

/** How the encrypted runs were made: results and checkpoints of each runtime variant are kept apart. */
export interface RuntimeVariant {
  sparse?: boolean;
  threads?: 1 | 2;
  /** --bootstrap-diagonals (GiB); undefined = the session default. */
  diagonalGiB?: number;
  /** Compiler options (--placement, --input-level): other programs, so other files. */
  placement?: "lazy" | "before-activation";
  inputLevel?: number;
}

/** `plan` is uniform | ola, with a "-sparse" and/or "-2t" suffix for the runtime variant (variantName). */
const perPlanName = (model: string, plan: string) => `reproduce-${model}-encrypted-${plan}`;
/** name + "-sparse" (sparse-slot bootstraps) + "-2t" (two threads per bootstrap): the default variant has no suffix. */
export const variantName = (name: string, v: RuntimeVariant = {}) =>
  `${name}${v.placement === "before-activation" ? "-before-act" : ""}${v.inputLevel !== undefined ? `-in${v.inputLevel}` : ""}` +
  `${v.sparse ? "-sparse" : ""}${v.diagonalGiB !== undefined ? `-diag${v.diagonalGiB}g` : ""}${v.threads === 2 ? "-2t" : ""}`;
const variantFlags = (v: RuntimeVariant) =>
  `${v.placement === "before-activation" ? " --placement before-activation" : ""}${v.inputLevel !== undefined ? ` --input-level ${v.inputLevel}` : ""}` +
  `${v.sparse ? " --sparse-bootstraps" : ""}${v.diagonalGiB !== undefined ? ` --bootstrap-diagonals ${v.diagonalGiB}` : ""}${v.threads === 2 ? " --bootstrap-threads 2" : ""}`;

export function readPerPlan(model: string, plan: string, dir = resultsDir): PerPlanResults | undefined {
  const f = join(dir, `${perPlanName(model, plan)}.json`);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, "utf8")) as PerPlanResults;
  } catch (e) {
    throw new Error(`${f} is unreadable (${e instanceof Error ? e.message : String(e)}); rerun \`pnpm bench reproduce ${model} --encrypted full --plans ${plan}\``);
  }
}

function writePerPlan(r: PerPlanResults, prov: ReturnType<typeof provenance>): string {
  const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(1));
  const body =
    `# ${r.model}: ${r.plan} plan, full encrypted images on ${r.preset}${r.complete ? "" : " (in progress)"}\n\n` +
    `Program ${r.programHash.slice(0, 16)}…: ${r.compiled.bootstraps} bootstraps, predicted ${r.compiled.predictedSeconds.toFixed(0)} s. ` +
    `${r.images.length}/${r.imagesRequested} images measured. Seconds = compute wall seconds of the run (summed over resumed processes); ` +
    `CPU seconds = this plan's process CPU time; load = 1-minute load average at the end (another benchmark on the other core shows as ~2).\n\n` +
    mdTable(
      ["image", "seconds", "CPU s", "conv s", "act s", "boot s", "bootstraps", "max abs error", "argmax agrees", "resumes", "load"],
      r.images.map((e) => [
        e.image,
        f2(e.seconds),
        f2(e.cpuSeconds),
        f2(e.byKind.conv),
        f2(e.byKind.activation),
        f2(e.byKind.bootstrap),
        e.bootstraps,
        e.maxAbsError.toExponential(2),
        String(e.argmaxAgrees),
        e.resumes ?? 0,
        e.segments?.length ? e.segments.map((x) => (x.loadavg1 === null ? "?" : x.loadavg1.toFixed(1))).join(", ") : "n/a",
      ]),
    ) +
    "\n";
  return writeResults(
    perPlanName(r.model, variantName(r.plan, { sparse: r.sparseBootstraps, threads: r.bootstrapThreads, diagonalGiB: r.bootstrapDiagonalGiB, placement: r.placement, inputLevel: r.inputLevel })),
    r,
    body,
    prov,
  )[0];
}

/**
 * The measured images of one plan for `--encrypted from-results`, checked to be of the program compiled
 * here (same plan, preset, compiler): errors name the file and say which command makes it.
 */
export function loadPerPlanForReport(
  model: string,
  plan: "uniform" | "ola",
  expectedHash: string,
  preset: string,
  dir = resultsDir,
  variant: RuntimeVariant = {},
): { images: EncryptedImage[]; warning?: string } {
  const path = join(dir, `${perPlanName(model, variantName(plan, variant))}.json`);
  const f = readPerPlan(model, variantName(plan, variant), dir);
  if (!f) throw new Error(`--encrypted from-results: ${path} is missing; run \`pnpm bench reproduce ${model} --encrypted full --plans ${plan}${variantFlags(variant)}\` first`);
  if (f.programHash !== expectedHash || f.preset !== preset) {
    throw new Error(
      `--encrypted from-results: ${path} measured another program (preset '${f.preset}', program ${String(f.programHash).slice(0, 12)}…; here '${preset}', ${expectedHash.slice(0, 12)}…): ` +
        `use the same --preset and --ola-plan as that run, or rerun it`,
    );
  }
  if (!Array.isArray(f.images) || !f.images.length) throw new Error(`--encrypted from-results: ${path} has no measured image yet`);
  return { images: f.images, warning: f.complete ? undefined : `${path} is incomplete (${f.images.length}/${f.imagesRequested} images); reporting the images measured so far` };
}

/** How the two plans' runs shared the machine, from their segments: overlap seconds and an honest sentence. */
export function concurrencyOf(a: RunSegment[], b: RunSegment[], cores: number): { overlapSeconds: number; note: string } {
  const ov = overlapSeconds(a, b);
  const walls = [a, b].map((x) => x.reduce((t, y) => t + y.wallSeconds, 0));
  return {
    overlapSeconds: ov,
    note:
      ov > 0
        ? `the two plans ran as separate concurrent processes (one per core of this ${cores}-core machine; their runs overlapped for ${ov.toFixed(0)} s of ${walls.map((w) => w.toFixed(0)).join(" and ")} s), so each plan's wall seconds include contention for memory bandwidth and caches with the other; CPU seconds are per process`
        : "the two plans ran as separate processes whose runs did not overlap in time",
  };
}

/** Seconds during which the segments of two plans' runs overlapped in time. */
export function overlapSeconds(a: RunSegment[], b: RunSegment[]): number {
  let t = 0;
  for (const x of a) {
    for (const y of b) {
      const lo = Math.max(Date.parse(x.startedAt), Date.parse(y.startedAt));
      const hi = Math.min(Date.parse(x.finishedAt), Date.parse(y.finishedAt));
      if (hi > lo) t += (hi - lo) / 1000;
    }
  }
  return t;
}

function bootstrapSecondsFromResults(preset: string): number | undefined {
  const f = join(resultsDir, `bootstrap-${preset}.json`);
  if (!existsSync(f)) return undefined;
  try {
    // CPU seconds: the bootstrap is single-threaded, so on a shared machine they estimate an idle core's wall time
    const d = JSON.parse(readFileSync(f, "utf8")) as { result?: { seconds?: number; cpuSeconds?: number } };
    return d.result?.cpuSeconds ?? d.result?.seconds;
  } catch {
    return undefined;
  }
}

async function plaintextTop1(bytes: Uint8Array, model: LoadedModel, programs: Map<string, PolyProgram>, sites: { id: string }[], dataset: string, limit?: number): Promise<number> {
  const sim = replaceActivations(bytes, sites.map((s) => ({ siteId: s.id, program: programs.get(s.id)! })));
  const runner = await OnnxRunner.create(sim, { threads: 2 });
  const ds = openDataset(dataset);
  const n = Math.min(ds.count, limit ?? ds.count);
  const batch = 100;
  let correct = 0;
  try {
    for (let i = 0; i < n; i += batch) {
      const k = Math.min(batch, n - i);
      const raw = new Uint8Array(k * 3072);
      const labels: number[] = [];
      for (let j = 0; j < k; j++) {
        raw.set(ds.image(i + j), j * 3072);
        labels.push(ds.label(i + j));
      }
      const out = await runner.runBatch(normalizeImages(raw, model.normalization), [k, 3, 32, 32]);
      correct += (top1(out.data, labels) * k) / 100;
    }
  } finally {
    await runner.release();
  }
  return (100 * correct) / n;
}

function svgChart(title: string, bars: { label: string; value: number; note: string }[], unit: string, command: string): string {
  const W = 640;
  const barH = 28;
  const top = 50;
  const left = 210;
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const rows = bars
    .map((b, i) => {
      const y = top + i * (barH + 10);
      const w = ((W - left - 120) * b.value) / max;
      return (
        `<text x="${left - 8}" y="${y + 19}" text-anchor="end" font-size="13">${esc(b.label)}</text>` +
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${i % 2 ? "#2a9d8f" : "#e76f51"}"/>` +
        `<text x="${left + w + 6}" y="${y + 19}" font-size="12">${esc(b.note)}</text>`
      );
    })
    .join("\n");
  const H = top + bars.length * (barH + 10) + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<text x="10" y="24" font-size="15" font-weight="bold">${esc(title)}</text>
${rows}
<text x="10" y="${H - 12}" font-size="10" fill="#555">${esc(`${unit}; ${command}`)}</text>
</svg>
`;
}

/**
 * Writes `plan` unless the stored file already holds the same polynomials: the per-site cost-model fields
 * (`cost`, `seconds`) and `predicted` change with the cost model of each run, and rewriting the stored plan
 * for them alone would churn a file that earlier results refer to.
 */
export function storePlanIfChanged(path: string, plan: Plan): void {
  const polynomials = (p: Plan) => JSON.stringify(p.sites.map(({ cost: _c, seconds: _s, ...site }) => site));
  if (existsSync(path)) {
    try {
      if (polynomials(readPlan(path)) === polynomials(plan)) return;
    } catch {
      // unreadable or malformed: replace it
    }
  }
  writePlan(path, plan);
}

export function register(program: Command): void {
  program
    .command("reproduce")
    .argument("<model>", "resnet20 or resnet32")
    .description("uniform alpha=13 vs OLA plan: bootstraps, predicted and measured encrypted time, plaintext top-1, encrypted argmax agreement")
    .option("--preset <name>", `bootstrapping preset for compilation and --encrypted full (${Object.keys(BOOTSTRAP_PRESETS).join(", ")})`, "boot-n15-cnn")
    .option("--prefix-preset <name>", "leveled preset of --encrypted prefix", "n15")
    .option("--ola-plan <file>", "an OLA plan.json (default: run optimize() with the preset's level model)")
    .option("--encrypted <mode>", "full | prefix | none | from-results (the report from results/reproduce-<model>-encrypted-<plan>.json of earlier --encrypted full runs)", "prefix")
    .option("--plans <which>", "--encrypted full: uniform | ola | both (one plan per process lets two processes use the two cores; the report then comes from --encrypted from-results)", "both")
    .option("--checkpoint-dir <dir>", "--encrypted full: checkpoint every run under <dir>/<plan>/image-<i> and resume from it; <dir> holds the client's SECRET KEY (client-side secret material)")
    .option("--checkpoint-every <s>", "with --checkpoint-dir: save at least every <s> seconds (always after a bootstrap)", "120")
    .option("--runs <n>", "interleaved encrypted runs per plan (median)", "2")
    .option("--images <n>", "images of the lossless test file run encrypted (full mode)", "1")
    .option("--top1-limit <n>", "images per test file for plaintext top-1 (default all)")
    .option("--calib <n>", "optimize(): calibration images", "256")
    .option("--impact <n>", "optimize(): impact images", "128")
    .option("--validation-limit <n>", "optimize(): validation images per file", "2000")
    .option("--ola-levels <n>", "levels per bootstrap of the optimiser's level model when it makes the OLA plan (default 7: its analytic N=2^15 model, and the 7 application levels of boot-n15-cnn)", "7")
    .option("--sparse-bootstraps", "--encrypted full/from-results: sparse-slot bootstraps by layout period (results/reproduce-<model>[-encrypted-<plan>]-sparse.*, checkpoints under <dir>/<plan>-sparse)")
    .option("--bootstrap-threads <n>", "--encrypted full/from-results: 1, or 2 = full-slot bootstraps run their second EvalMod half on a worker thread (bit-identical; results/...-2t.*, checkpoints under <dir>/<plan>[-sparse]-2t)", "1")
    .option("--bootstrap-diagonals <GiB>", "--encrypted full/from-results: GiB of bootstrapping diagonals kept precomputed (session default 1.5; results/...-diag<G>g.*)")
    .option("--placement <where>", "compiler bootstrap placement: lazy or before-activation (results/...-before-act.*)", "lazy")
    .option("--input-level <n>", "compiler: level the client encrypts at (default: the levels after a bootstrap; results/...-in<n>.*)")
    .option("--bootstrap-seconds <s>", "seconds per bootstrap for predictions (default: results/bootstrap-<preset>.json, else analytic)")
    .action(async (modelName: string, o: ReproduceOptions) => {
      if (modelName !== "resnet20" && modelName !== "resnet32") throw new Error(`model must be resnet20 or resnet32, got '${modelName}'`);
      const bp = BOOTSTRAP_PRESETS[o.preset];
      if (!bp) throw new Error(`--preset must be one of ${Object.keys(BOOTSTRAP_PRESETS).join(", ")}, got '${o.preset}'`);
      if (!["full", "prefix", "none", "from-results"].includes(o.encrypted)) throw new Error(`--encrypted must be full, prefix, none or from-results, got '${o.encrypted}'`);
      if (!["uniform", "ola", "both"].includes(o.plans)) throw new Error(`--plans must be uniform, ola or both, got '${o.plans}'`);
      if (o.plans !== "both" && o.encrypted !== "full") throw new Error(`--plans ${o.plans} runs one plan's full encrypted images: it needs --encrypted full`);
      if (o.checkpointDir !== undefined && o.encrypted !== "full") throw new Error("--checkpoint-dir needs --encrypted full");
      if (o.sparseBootstraps && o.encrypted !== "full" && o.encrypted !== "from-results") throw new Error("--sparse-bootstraps needs --encrypted full or from-results");
      const threads = Number(o.bootstrapThreads);
      if (threads !== 1 && threads !== 2) throw new Error(`--bootstrap-threads must be 1 or 2, got '${o.bootstrapThreads}'`);
      if (threads === 2 && o.encrypted !== "full" && o.encrypted !== "from-results") throw new Error("--bootstrap-threads 2 needs --encrypted full or from-results");
      const diagonalGiB = o.bootstrapDiagonals === undefined ? undefined : Number(o.bootstrapDiagonals);
      if (diagonalGiB !== undefined && !(diagonalGiB >= 0 && diagonalGiB <= 16)) throw new Error(`--bootstrap-diagonals must be a number of GiB in [0, 16], got '${o.bootstrapDiagonals}'`);
      if (diagonalGiB !== undefined && o.encrypted !== "full" && o.encrypted !== "from-results") throw new Error("--bootstrap-diagonals needs --encrypted full or from-results");
      if (o.placement !== "lazy" && o.placement !== "before-activation") throw new Error(`--placement must be lazy or before-activation, got '${o.placement}'`);
      const placement = o.placement;
      const inputLevel = o.inputLevel === undefined ? undefined : Number(o.inputLevel);
      if (inputLevel !== undefined && !(Number.isInteger(inputLevel) && inputLevel >= 1)) throw new Error(`--input-level must be a positive integer, got '${o.inputLevel}'`);
      const variant: RuntimeVariant = { sparse: Boolean(o.sparseBootstraps), threads, diagonalGiB, ...(placement !== "lazy" ? { placement } : {}), inputLevel };
      const variantNote = [
        o.sparseBootstraps ? "sparse-slot bootstraps" : "",
        diagonalGiB !== undefined ? `${diagonalGiB} GiB of precomputed bootstrapping diagonals` : "",
        threads === 2 ? "two threads per full-slot bootstrap" : "",
      ]
        .filter(Boolean)
        .join(", ");
      const ckName = (plan: string) => variantName(plan, variant);
      const checkpointEvery = Number(o.checkpointEvery);
      if (!(checkpointEvery >= 0)) throw new Error(`--checkpoint-every must be a number of seconds >= 0, got '${o.checkpointEvery}'`);
      const onePlan = o.plans === "both" ? undefined : (o.plans as "uniform" | "ola");
      const runs = Number(o.runs);
      if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`--runs must be an integer in [1, 20], got '${o.runs}'`);
      const prov = provenance();
      const L = bp.layout.appLevels;
      const measuredBoot = o.bootstrapSeconds !== undefined ? Number(o.bootstrapSeconds) : bootstrapSecondsFromResults(o.preset);
      const costModel: CostModel = analyticCostModel({ levelsAfterBootstrap: L, ...(measuredBoot !== undefined ? { bootstrapSeconds: measuredBoot } : {}) });
      say(`cost model: ${costModel.description}`);

      const model = await loadModel(modelName);
      const bytes = foldBatchNorm(model.bytes);
      const graph = importOnnx(bytes, `${model.path} (BatchNorm folded)`);
      const sites = findActivationSites(graph);

      // 1. plans
      say("uniform alpha=13 plan");
      const uniform = uniformCompositePlan(model, sites, 13, 40, defaultComposite(13), costModel);
      let ola: Plan | undefined;
      if (o.olaPlan) ola = readPlan(o.olaPlan);
      else if (onePlan !== "uniform") {
        const olaL = Number(o.olaLevels);
        if (!Number.isInteger(olaL) || olaL < 2 || olaL > 19) throw new Error(`--ola-levels must be an integer in [2, 19], got '${o.olaLevels}'`);
        say(`OLA plan: optimize() with ${olaL} levels per bootstrap (this profiles, fits, measures impact and validates)`);
        const olaCost = analyticCostModel({ levelsAfterBootstrap: olaL, ...(measuredBoot !== undefined ? { bootstrapSeconds: measuredBoot } : {}) });
        const r = await optimize({
          model: modelName,
          calib: Number(o.calib),
          impactImages: Number(o.impact),
          validationLimit: Number(o.validationLimit),
          costModel: olaCost,
          threads: 2,
          profiler: defaultProfiler({}),
          fitter: defaultFitter,
          composite: defaultComposite,
          log: (m) => say(`optimize: ${m}`),
          onProgress: (stage, d, t) => {
            if (d === t || d % 50 === 0) say(`optimize: ${stage} ${d}/${t}`);
          },
        });
        ola = r.plan;
      }
      storePlanIfChanged(join(resultsDir, "plans", `${modelName}-uniform-alpha13.plan.json`), uniform);
      // a plan given with --ola-plan is already stored; only a plan optimize() made here is written (it would
      // otherwise overwrite the stored plan that earlier results refer to)
      if (ola && !o.olaPlan) writePlan(join(resultsDir, "plans", `${modelName}-ola.plan.json`), ola);
      const allSides: PlanSide[] = [
        { name: "uniform", plan: uniform, programs: new Map(planPrograms(uniform).map((p) => [p.siteId, p.program as unknown as PolyProgram])), top1: {}, encrypted: [] },
        ...(ola ? [{ name: "ola" as const, plan: ola, programs: new Map(planPrograms(ola).map((p) => [p.siteId, p.program as unknown as PolyProgram])), top1: {}, encrypted: [] }] : []),
      ];
      const sides = onePlan ? allSides.filter((x) => x.name === onePlan) : allSides;

      // 2. compile
      const slots = bp.params.N / 2;
      const costTable = { ...(costModel as unknown as { table: Parameters<typeof compileHeProgram>[3]["costTable"] }).table!, bootstrapSeconds: costModel.bootstrapSeconds };
      for (const s of sides) {
        say(`compiling the ${s.name} plan for ${o.preset} (${slots} slots, ${L} levels per refresh)`);
        s.program = compileHeProgram(graph, sites, s.programs, { slots, levelsAfterBootstrap: L, costTable, model: modelName, placement, ...(inputLevel !== undefined ? { inputLevel } : {}) });
        say(`${s.name}: ${s.program.summary.bootstraps} bootstraps, predicted ${s.program.summary.predictedSeconds.toFixed(0)} s`);
      }

      const lossless = openDataset("cifar10-test-lossless");
      /**
       * Full encrypted images of `runSides`, interleaved per image, one session (context, keys, bootstrapper:
       * same linear layers, same bootstrapper); each plan's measured images are written to its per-plan file
       * after every image.
       */
      const runFull = async (runSides: PlanSide[]): Promise<void> => {
        const nImages = Number(o.images);
        if (!Number.isInteger(nImages) || nImages < 1 || nImages > lossless.count) throw new Error(`--images must be an integer in [1, ${lossless.count}], got '${o.images}'`);
        const ckRoot = o.checkpointDir === undefined ? undefined : resolve(o.checkpointDir);
        if (ckRoot) say(`checkpoints under ${ckRoot}/<plan>/image-<i> (the directory holds the client's secret key: keep it client-side)`);
        const files = new Map<string, PerPlanResults>();
        for (const s of runSides) {
          const hash = programHash(s.program!);
          files.set(s.name, {
            model: modelName,
            plan: s.name,
            preset: o.preset,
            programHash: hash,
            compiled: { bootstraps: s.program!.summary.bootstraps, predictedSeconds: s.program!.summary.predictedSeconds },
            checkpointDir: ckRoot ?? null,
            imagesRequested: nImages,
            complete: false,
            images: [],
            peakRssBytes: 0,
            ...(o.sparseBootstraps ? { sparseBootstraps: true } : {}),
            ...(threads === 2 ? { bootstrapThreads: 2 as const } : {}),
            ...(diagonalGiB !== undefined ? { bootstrapDiagonalGiB: diagonalGiB } : {}),
            ...(placement !== "lazy" ? { placement } : {}),
            ...(inputLevel !== undefined ? { inputLevel } : {}),
          });
        }
        if (ckRoot) {
          // refuse another run's checkpoint before the (slow) key generation
          for (const s of runSides) {
            for (let i = 0; i < nImages; i++) {
              const found = peekRunCheckpoint(join(ckRoot, ckName(s.name), `image-${i}`), { programHash: programHash(s.program!), preset: bp.params.name, image: i, lastStep: s.program!.steps.length - 1 });
              if (found) say(`${s.name} image ${i}: checkpoint at step ${found.nextStep}/${s.program!.steps.length - 1} (${found.seconds.toFixed(0)} s done) will be resumed`);
            }
          }
        }
        // sparse: the plans share the layouts (same network), so the first program's periods serve both; a period
        // without its own bootstrapper would get the next larger one (still correct)
        const session = await HeInferenceSession.create(runSides[0]!.program!, { bootstrapPreset: bp, allowInsecure: true, log: say, checkpointDir: ckRoot, sparseBootstraps: Boolean(o.sparseBootstraps),
          bootstrapThreads: threads,
          ...(diagonalGiB !== undefined ? { bootstrapDiagonalBytes: diagonalGiB * 2 ** 30 } : {}),
        });
        try {
          for (let i = 0; i < nImages; i++) {
            const img = normalizeImages(lossless.image(i), model.normalization);
            for (const s of runSides) {
              const plainBytes = replaceActivations(bytes, sites.map((x) => ({ siteId: x.id, program: s.programs.get(x.id)! })));
              const r = await OnnxRunner.create(plainBytes, { threads: 1 });
              const plain = (await r.runBatch(img, [1, 3, 32, 32])).data;
              await r.release();
              say(`encrypted ${s.name}, image ${i}`);
              const { values, report } = session.run(s.program!, img, {
                onStep: (t, d, tot) => say(`${s.name} image ${i}: step ${d}/${tot} ${t.kind} ${t.name.slice(0, 40)} ${t.seconds.toFixed(1)} s`),
                checkpoint: ckRoot ? { image: i, dir: join(ckRoot, ckName(s.name), `image-${i}`), everySeconds: checkpointEvery } : undefined,
                onCheckpoint: (e) =>
                  say(e.kind === "resumed" ? `${s.name} image ${i}: resumed from ${e.dir} at step ${e.nextStep} (${e.savedSeconds.toFixed(0)} s done before)` : `${s.name} image ${i}: checkpoint at step ${e.nextStep} (${e.seconds.toFixed(1)} s)`),
              });
              const err = Math.max(...Array.from(values, (v, j) => Math.abs(v - plain[j]!)));
              const am = (a: ArrayLike<number>) => Array.from(a).indexOf(Math.max(...Array.from(a)));
              const file = files.get(s.name)!;
              // the processes that ran this image (several when resumed from checkpoints); the load average is
              // known only for this process's
              const segments: RunSegment[] = report.segments.map((x, k) => ({
                pid: x.pid,
                startedAt: x.startedAt,
                finishedAt: x.endedAt,
                wallSeconds: x.seconds,
                cpuSeconds: x.cpuSeconds,
                loadavg1: k === report.segments.length - 1 ? loadavg()[0]! : null,
              }));
              const e: EncryptedImage = {
                image: i,
                label: lossless.label(i),
                seconds: report.seconds,
                cpuSeconds: report.cpuSeconds,
                byKind: report.byKind,
                bootstraps: report.bootstraps,
                maxAbsError: err,
                argmaxAgrees: am(values) === am(plain),
                logits: Array.from(values),
                plainLogits: Array.from(plain),
                resumes: report.resumes,
                segments,
                ...(report.bootstrapSlots ? { bootstrapSlots: report.bootstrapSlots } : {}),
              };
              s.encrypted.push(e);
              file.images.push(e);
              file.complete = i === nImages - 1;
              file.peakRssBytes = peakRssBytes();
              const path = writePerPlan(file, prov);
              say(`${s.name} image ${i}: ${e.seconds.toFixed(1)} s, ${e.cpuSeconds!.toFixed(1)} CPU s, ${e.bootstraps} bootstraps, max abs error ${err.toExponential(2)}, argmax ${e.argmaxAgrees ? "agrees" : "DIFFERS"}; wrote ${path}`);
            }
          }
        } finally {
          session.dispose();
        }
      };
      if (onePlan) {
        await runFull(sides);
        say(`done: ${sides[0]!.encrypted.length} image(s) of the ${onePlan} plan; the side-by-side report: pnpm bench reproduce ${modelName} --encrypted from-results${variantFlags(variant)} (same --preset/--ola-plan)`);
        return;
      }

      // 3. plaintext top-1
      const limit = o.top1Limit ? Number(o.top1Limit) : undefined;
      const datasets = ["cifar10-test-lossless", "cifar10-test"];
      const exactTop1: Record<string, number> = {};
      for (const ds of datasets) {
        say(`plaintext top-1 on ${ds}${limit ? ` (first ${limit})` : ""}`);
        for (const s of sides) s.top1[ds] = await plaintextTop1(bytes, model, s.programs, sites, ds, limit);
        // the exact network (ReLU) on the same images
        const runner = await OnnxRunner.create(bytes, { threads: 2 });
        const d = openDataset(ds);
        const n = Math.min(d.count, limit ?? d.count);
        let correct = 0;
        for (let i = 0; i < n; i += 100) {
          const k = Math.min(100, n - i);
          const raw = new Uint8Array(k * 3072);
          const labels: number[] = [];
          for (let j = 0; j < k; j++) {
            raw.set(d.image(i + j), j * 3072);
            labels.push(d.label(i + j));
          }
          correct += (top1((await runner.runBatch(normalizeImages(raw, model.normalization), [k, 3, 32, 32])).data, labels) * k) / 100;
        }
        await runner.release();
        exactTop1[ds] = (100 * correct) / n;
        say(`${ds}: exact ${exactTop1[ds]!.toFixed(2)}%, uniform ${sides[0]!.top1[ds]!.toFixed(2)}%, OLA ${sides[1]!.top1[ds]!.toFixed(2)}%`);
      }

      // 4. encrypted, interleaved
      let encryptedNote = "not run (--encrypted none)";
      let prefix: { preset: string; lastStep: number; description: string; stepsKinds: string[] } | undefined;
      let concurrency: { overlapSeconds: number; note: string } | undefined;
      if (o.encrypted === "full") {
        await runFull(sides);
        encryptedNote = `full end-to-end images on ${o.preset}${variantNote ? ` (${variantNote})` : ""}, both plans in one process, interleaved`;
      } else if (o.encrypted === "from-results") {
        for (const s of sides) {
          const r = loadPerPlanForReport(modelName, s.name, programHash(s.program!), o.preset, resultsDir, variant);
          s.encrypted = r.images;
          if (r.warning) say(`warning: ${r.warning}`);
        }
        const segs = (s: PlanSide) => s.encrypted.flatMap((e) => e.segments ?? []);
        concurrency = concurrencyOf(segs(sides[0]!), segs(sides[1]!), prov.machine.cores);
        encryptedNote = `full end-to-end images on ${o.preset}${variantNote ? ` (${variantNote})` : ""} from ${sides.map((s) => `results/${perPlanName(modelName, ckName(s.name))}.json`).join(" and ")}; ${concurrency.note}`;
      } else if (o.encrypted === "prefix") {
        const pp = getPreset(o.prefixPreset);
        const v = validateParameters(pp);
        // recompile with the leveled chain's levels: the longest common prefix that needs no bootstrap
        const progs = sides.map((s) => compileHeProgram(graph, sites, s.programs, { slots: v.slots, levelsAfterBootstrap: v.levels, costTable, model: modelName }));
        const firstBoot = (p: HeProgram) => p.steps.findIndex((s) => s.kind === "bootstrap" || (s.kind === "activation" && s.innerBootstraps.length > 0));
        const fb = progs.map((p) => {
          const k = firstBoot(p);
          return k < 0 ? p.steps.length : k;
        });
        const lastStep = Math.min(...fb) - 1;
        if (lastStep < 1) throw new Error(`no common prefix without a bootstrap on '${o.prefixPreset}'`);
        prefix = {
          preset: o.prefixPreset,
          lastStep,
          description: progs[0]!.steps.slice(1, lastStep + 1).map((s) => (s.kind === "linear" ? `${s.layer} ${s.node}` : s.kind === "activation" ? `activation ${s.site}` : s.kind)).join(", "),
          stepsKinds: progs[0]!.steps.slice(1, lastStep + 1).map((s) => s.kind),
        };
        say(`prefix on ${o.prefixPreset}: steps 1..${lastStep} (${prefix.description})`);
        // one session (context, keys) for both plans: the prefix's linear layers, hence its rotation keys, are the same
        const steps0 = JSON.stringify(progs[0]!.steps.slice(0, lastStep + 1).flatMap((s) => (s.kind === "linear" ? s.program.steps : [])));
        const steps1 = JSON.stringify(progs[1]!.steps.slice(0, lastStep + 1).flatMap((s) => (s.kind === "linear" ? s.program.steps : [])));
        if (steps0 !== steps1) throw new Error("internal: the two plans' prefixes have different linear layers");
        const sessions: HeInferenceSession[] = [];
        try {
          sessions.push(await HeInferenceSession.create(progs[0]!, { params: pp, allowInsecure: true, lastStep, log: say }));
          sessions.push(sessions[0]!);
          const img = normalizeImages(lossless.image(0), model.normalization);
          const refs = progs.map((p) => simulateHeProgramSlots(p, img, lastStep));
          for (let r = 0; r < runs; r++) {
            sides.forEach((s, k) => {
              const { values, report } = sessions[k]!.run(progs[k]!, img, { lastStep });
              let e = 0;
              for (let j = 0; j < values.length; j++) e = Math.max(e, Math.abs(values[j]! - refs[k]![j]!));
              say(`${s.name} prefix run ${r + 1}: ${report.seconds.toFixed(2)} s (conv ${report.byKind.conv.toFixed(2)}, activation ${report.byKind.activation.toFixed(2)}), max slot error ${e.toExponential(2)}`);
              s.encrypted.push({ image: 0, seconds: report.seconds, byKind: report.byKind, bootstraps: 0, maxAbsError: e });
            });
          }
        } finally {
          sessions[0]?.dispose();
        }
        encryptedNote = `network prefix (steps 1..${lastStep}: ${prefix.description}) on the leveled preset ${o.prefixPreset}, ${runs} interleaved runs per plan, lossless test image 0`;
      }

      // results
      const med = (s: PlanSide, f: (e: PlanSide["encrypted"][number]) => number) => (s.encrypted.length ? median(s.encrypted.map(f)) : NaN);
      const [U, O] = sides as [PlanSide, PlanSide];
      const measuredSpeedup = med(U, (e) => e.seconds) / med(O, (e) => e.seconds);
      const measuredCpuSpeedup = med(U, (e) => e.cpuSeconds ?? NaN) / med(O, (e) => e.cpuSeconds ?? NaN);
      const predictedSpeedup = U.program!.summary.predictedSeconds / O.program!.summary.predictedSeconds;
      const fullImages = o.encrypted === "full" || o.encrypted === "from-results";
      const data = {
        model: modelName,
        preset: o.preset,
        levelsAfterBootstrap: L,
        costModel: costModel.description,
        bootstrapSecondsSource: o.bootstrapSeconds !== undefined ? "--bootstrap-seconds" : measuredBoot !== undefined ? `results/bootstrap-${o.preset}.json (measured)` : "analytic",
        exactTop1,
        plans: sides.map((s) => ({
          name: s.name,
          sites: s.plan.sites.length,
          depths: s.plan.sites.map((x) => x.depth),
          planPredicted: s.plan.predicted ?? null,
          compiled: {
            bootstraps: s.program!.summary.bootstraps,
            innerBootstraps: s.program!.summary.innerBootstraps,
            rotations: s.program!.summary.rotations,
            predictedSeconds: s.program!.summary.predictedSeconds,
            predictedByKind: s.program!.summary.predictedByKind,
          },
          plaintextTop1: s.top1,
          encrypted: s.encrypted,
          encryptedMedianSeconds: med(s, (e) => e.seconds),
          encryptedMedianCpuSeconds: med(s, (e) => e.cpuSeconds ?? NaN),
        })),
        predictedSpeedup,
        encrypted: {
          mode: o.encrypted,
          note: encryptedNote,
          prefix: prefix ?? null,
          measuredSpeedup: Number.isFinite(measuredSpeedup) ? measuredSpeedup : null,
          measuredCpuSpeedup: Number.isFinite(measuredCpuSpeedup) ? measuredCpuSpeedup : null,
          concurrency: concurrency ?? null,
        },
        top1Limit: limit ?? null,
        peakRssBytes: peakRssBytes(),
      };
      const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");
      const ex = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : "n/a");
      const body =
        `# Reproduction: ${modelName}, uniform alpha=13 vs OLA\n\n` +
        `Compilation preset \`${o.preset}\` (${slots} slots, ${L} levels per bootstrap); cost model: ${costModel.description}.\n\n` +
        mdTable(
          ["", "uniform alpha=13", "OLA"],
          [
            ["compiled bootstraps", U.program!.summary.bootstraps, O.program!.summary.bootstraps],
            ["of which inside activations", U.program!.summary.innerBootstraps, O.program!.summary.innerBootstraps],
            ["rotations (linear layers)", U.program!.summary.rotations, O.program!.summary.rotations],
            ["PREDICTED encrypted seconds / image", f2(U.program!.summary.predictedSeconds), f2(O.program!.summary.predictedSeconds)],
            ...datasets.map((d) => [`plaintext-simulated top-1 ${d}${limit ? ` (first ${limit})` : ""} (exact ${f2(exactTop1[d]!)})`, f2(U.top1[d]!), f2(O.top1[d]!)]),
            [`MEASURED encrypted seconds (median; ${o.encrypted})`, f2(med(U, (e) => e.seconds)), f2(med(O, (e) => e.seconds))],
            ["  of which bootstraps between layers", f2(med(U, (e) => e.byKind.bootstrap ?? 0)), f2(med(O, (e) => e.byKind.bootstrap ?? 0))],
            ["  of which activations (with the bootstraps inside them)", f2(med(U, (e) => e.byKind.activation)), f2(med(O, (e) => e.byKind.activation))],
            ["  of which linear layers", f2(med(U, (e) => e.byKind.conv)), f2(med(O, (e) => e.byKind.conv))],
            ...(fullImages
              ? [
                  ["MEASURED process CPU seconds (median)", f2(med(U, (e) => e.cpuSeconds ?? NaN)), f2(med(O, (e) => e.cpuSeconds ?? NaN))],
                  ["bootstraps run", U.encrypted.map((e) => e.bootstraps).join(", "), O.encrypted.map((e) => e.bootstraps).join(", ")],
                  ["image indices run (lossless file)", U.encrypted.map((e) => e.image).join(", "), O.encrypted.map((e) => e.image).join(", ")],
                  ["encrypted argmax = plaintext-simulated argmax", `${U.encrypted.filter((e) => e.argmaxAgrees).length}/${U.encrypted.length}`, `${O.encrypted.filter((e) => e.argmaxAgrees).length}/${O.encrypted.length}`],
                  ["resumed from checkpoints (times)", U.encrypted.map((e) => e.resumes ?? 0).join(", "), O.encrypted.map((e) => e.resumes ?? 0).join(", ")],
                ]
              : []),
            ["max abs error vs plaintext simulation", ex(Math.max(...U.encrypted.map((e) => e.maxAbsError))), ex(Math.max(...O.encrypted.map((e) => e.maxAbsError)))],
          ],
        ) +
        `\n\nPredicted speed-up (compiled programs x cost model): **${f2(predictedSpeedup)}x**. ` +
        `Measured speed-up of the encrypted runs (${encryptedNote}): **${f2(measuredSpeedup)}x**` +
        (fullImages ? ` (${f2(measuredCpuSpeedup)}x in process CPU seconds)` : "") +
        ".\n";
      const [jp] = writeResults(variantName(`reproduce-${modelName}`, variant), data, body, prov);
      const svg = svgChart(
        `${modelName}: uniform alpha=13 vs OLA (encrypted, ${o.preset})`,
        [
          { label: "uniform predicted", value: U.program!.summary.predictedSeconds, note: `${f2(U.program!.summary.predictedSeconds)} s, ${U.program!.summary.bootstraps} bootstraps` },
          { label: "OLA predicted", value: O.program!.summary.predictedSeconds, note: `${f2(O.program!.summary.predictedSeconds)} s, ${O.program!.summary.bootstraps} bootstraps` },
          ...(fullImages
            ? [
                { label: "uniform measured", value: med(U, (e) => e.seconds), note: `${f2(med(U, (e) => e.seconds))} s (${f2(med(U, (e) => e.cpuSeconds ?? NaN))} CPU s), ${U.encrypted.length} image(s)` },
                { label: "OLA measured", value: med(O, (e) => e.seconds), note: `${f2(med(O, (e) => e.seconds))} s (${f2(med(O, (e) => e.cpuSeconds ?? NaN))} CPU s), ${O.encrypted.length} image(s)` },
              ]
            : []),
        ],
        fullImages
          ? `seconds per image, median (measured: ${concurrency ? (concurrency.overlapSeconds > 0 ? "concurrent processes, one per core" : "separate processes") : "one process, interleaved"}; top-1 in the .md/.json)`
          : "predicted seconds per image (measured prefix and top-1 in the .md/.json)",
        prov.command,
      );
      const { writeFileSync, renameSync } = await import("node:fs");
      const svgPath = join(resultsDir, `${variantName(`reproduce-${modelName}`, variant)}.svg`);
      writeFileSync(`${svgPath}.tmp`, svg);
      renameSync(`${svgPath}.tmp`, svgPath);
      say(`wrote ${jp}, .md and .svg`);
    });
}
