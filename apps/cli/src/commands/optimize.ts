// `ola optimize`: the OLA pipeline (profile -> candidates -> impact -> DP -> validated plan), or with
// --uniform-alpha the paper's uniform composite-ReLU baseline plan in the same format.
import type { Command } from "commander";
import { findActivationSites, loadModel } from "@ola/models";
import {
  DEFAULT_DEGREES,
  DEFAULT_MARGINS,
  TableCostModel,
  analyticCostModel,
  defaultComposite,
  defaultFitter,
  defaultProfiler,
  optimize,
  readCostTable,
  reportMarkdown,
  uniformCompositePlan,
  validatePlanInPlaintext,
  writePlan,
  type CostModel,
} from "@ola/optimizer";
import { parseFloatArg, parseIntArg, parseIntListArg } from "../args.js";
import { UsageError } from "../errors.js";
import { log, printJson, printText, writeFileAtomic } from "../output.js";
import { progressBar, type Progress } from "../progress.js";

interface OptimizeCliOptions {
  model?: string;
  calib: string;
  profile?: string;
  screen: string;
  impact: string;
  maxDrop: string;
  degrees?: string;
  alphas?: string;
  margin?: string;
  margins?: string;
  out?: string;
  report?: string;
  json?: boolean;
  uniformAlpha?: string;
  range: string;
  costTable?: string;
  levelsAfterBootstrap?: string;
  bootstrapSeconds?: string;
  threads: string;
  validationLimit?: string;
  validate: boolean;
  progress: boolean;
}

/** The cost model the CLI options describe (shared with other commands through this export). */
export function costModelFromOptions(o: { costTable?: string; levelsAfterBootstrap?: string; bootstrapSeconds?: string }): CostModel {
  const extra: { levelsAfterBootstrap?: number; bootstrapSeconds?: number } = {};
  if (o.levelsAfterBootstrap !== undefined) extra.levelsAfterBootstrap = parseIntArg("--levels-after-bootstrap", o.levelsAfterBootstrap, 2, 60);
  if (o.bootstrapSeconds !== undefined) extra.bootstrapSeconds = parseFloatArg("--bootstrap-seconds", o.bootstrapSeconds, 0, 1e6);
  if (o.costTable) return new TableCostModel(readCostTable(o.costTable), extra, undefined);
  return analyticCostModel(extra);
}

/** The user's arguments of this invocation (the root program's raw arguments). */
export function commandLine(cmd: Command): string {
  let root = cmd;
  while (root.parent) root = root.parent;
  // commander keeps the arguments given to parse() (main() parses with from: "user") untyped
  return ((root as unknown as { rawArgs?: string[] }).rawArgs ?? []).join(" ");
}

export function register(program: Command): void {
  program
    .command("optimize")
    .description("choose a polynomial per activation site (OLA): profile, candidates, impact, DP, plaintext validation")
    .requiredOption("--model <name|file>", "registry model name (resnet20, resnet32, ...) or an .onnx file")
    .option("--calib <n>", "calibration images for the profile (training subset)", "512")
    .option("--profile <profile.json>", "use a saved profile (from `ola profile`) instead of profiling")
    .option("--impact <n>", "impact-set images (lossless training file, disjoint from the test files)", "128")
    .option("--max-drop <points>", "allowed top-1 drop in percentage points on each test file", "0.5")
    .option("--degrees <list>", `candidate degrees, e.g. 2..31,63 (default ${DEFAULT_DEGREES.join(",")})`)
    .option("--alphas <list>", "composite ReLU candidates alpha (default 4..14; 'none' for none)")
    .option("--margins <list>", `fit-interval margins tried for every degree (fraction of the profiled range added on each side; the measured impact picks), e.g. 0,0.1,0.5 (default ${DEFAULT_MARGINS.join(",")})`)
    .option("--margin <fraction>", "a single fit-interval margin instead of --margins")
    .option("--screen <n>", "images of each test file (from its start) used to screen each frontier point during the budget bisection", "1000")
    .option("--out <file>", "write the plan JSON here (atomically)")
    .option("--report <file>", "write the markdown report here")
    .option("--json", "print one JSON document {plan, report} on stdout")
    .option("--uniform-alpha <alpha>", "produce the uniform composite-ReLU baseline plan (e.g. 13) instead of optimising")
    .option("--range <B>", "B of the composite ReLU x(1+p(x/B))/2", "40")
    .option("--cost-table <costs.json>", "measured cost table from `ola he calibrate` (default: the analytic N=2^15 table)")
    .option("--levels-after-bootstrap <L>", "override the cost model's levels after a bootstrap")
    .option("--bootstrap-seconds <s>", "override the cost model's bootstrap time")
    .option("--threads <n>", "onnxruntime intra-op threads", "2")
    .option("--validation-limit <n>", "validate on the first N images of each test file only (default: all)")
    .option("--no-validate", "baseline plan only: skip the plaintext validation")
    .option("--no-progress", "no progress bars on stderr")
    .action(async (o: OptimizeCliOptions, cmd: Command) => {
      const calib = parseIntArg("--calib", o.calib, 1, 100_000);
      const impact = parseIntArg("--impact", o.impact, 8, 4000);
      const maxDrop = parseFloatArg("--max-drop", o.maxDrop, 0, 100);
      if (o.margin !== undefined && o.margins !== undefined) throw new UsageError("give either --margin or --margins, not both");
      const margins =
        o.margin !== undefined
          ? [parseFloatArg("--margin", o.margin, 0, 10)]
          : o.margins !== undefined
            ? o.margins.split(",").map((m) => parseFloatArg("--margins", m.trim(), 0, 10))
            : undefined;
      const B = parseFloatArg("--range", o.range, 1e-6, 1e6);
      const threads = parseIntArg("--threads", o.threads, 1, 64);
      const validationLimit = o.validationLimit !== undefined ? parseIntArg("--validation-limit", o.validationLimit, 1, 1_000_000) : undefined;
      const degrees = o.degrees !== undefined ? parseIntListArg("--degrees", o.degrees, 1, 127) : undefined;
      const alphas =
        o.alphas === undefined ? undefined : o.alphas === "none" ? [] : parseIntListArg("--alphas", o.alphas, 4, 14);
      const costModel = costModelFromOptions(o);
      const bars = new Map<string, Progress>();
      const onProgress = (stage: string, done: number, total: number, label?: string) => {
        if (!o.progress) return;
        const key = stage.replace(/ #\d+/, "");
        let bar = bars.get(key);
        if (!bar) {
          for (const b of bars.values()) b.stop();
          bars.clear();
          bar = progressBar(stage, total);
          bars.set(key, bar);
        }
        bar.update(done, total, label);
      };
      const stopBars = () => {
        for (const b of bars.values()) b.stop();
        bars.clear();
      };
      // the arguments as given to `ola` (they start with the sub-command's own name)
      const command = `ola ${commandLine(cmd)}`.trim();

      if (o.uniformAlpha !== undefined) {
        const alpha = parseIntArg("--uniform-alpha", o.uniformAlpha, 4, 14);
        const model = await loadModel(o.model!);
        const sites = findActivationSites(model.graph);
        const nonRelu = sites.find((s) => s.kind !== "relu");
        if (nonRelu) throw new UsageError(`--uniform-alpha builds a composite ReLU, but ${model.name} site ${nonRelu.id} is ${nonRelu.kind}`);
        log(`building the alpha=${alpha} composite ReLU (B=${B}) for ${sites.length} sites`);
        const plan = uniformCompositePlan(model, sites, alpha, B, defaultComposite(alpha), costModel);
        if (o.validate) {
          try {
            plan.validated = await validatePlanInPlaintext(model, plan, { threads, limit: validationLimit, onProgress });
          } finally {
            stopBars();
          }
        }
        if (o.out) writePlan(o.out, plan);
        if (o.json) printJson({ plan, ...(o.out ? { out: o.out } : {}) });
        else {
          const v = plan.validated;
          printText(
            [
              `uniform alpha=${alpha} composite ReLU, B=${B}: depth ${plan.sites[0]!.depth} per site, ${plan.sites.length} sites`,
              `predicted ${plan.predicted!.timeSeconds.toFixed(1)} s, ${plan.predicted!.bootstraps} bootstraps (${plan.predicted!.costModel})`,
              ...(v ? Object.keys(v.top1).map((d) => `${d}: top-1 ${v.top1[d]!.toFixed(2)}% (exact ${v.baselineTop1[d]!.toFixed(2)}%, ${v.images[d]} images)`) : []),
              ...(o.out ? [`plan written to ${o.out}`] : []),
            ].join("\n"),
          );
        }
        return;
      }

      let result;
      try {
        result = await optimize({
          model: o.model!,
          calib,
          impactImages: impact,
          maxDrop,
          ...(margins ? { margins } : {}),
          threads,
          costModel,
          profiler: defaultProfiler({ onProgress, threads, ...(o.profile ? { profilePath: o.profile } : {}) }),
          screenLimit: parseIntArg("--screen", o.screen, 1, 1_000_000),
          fitter: defaultFitter,
          composite: defaultComposite,
          onProgress,
          log: (m) => {
            stopBars();
            log(m);
          },
          ...(degrees ? { degrees } : {}),
          ...(alphas ? { alphas } : {}),
          ...(validationLimit ? { validationLimit } : {}),
        });
      } finally {
        stopBars();
      }
      const { plan, report } = result;
      if (o.out) writePlan(o.out, plan);
      const md = reportMarkdown(report, command);
      if (o.report) writeFileAtomic(o.report, md);
      if (o.json) printJson({ plan, report, ...(o.out ? { out: o.out } : {}) });
      else printText(md);
      if (!report.meetsMaxDrop) {
        throw new Error(`no plan keeps the top-1 drop within ${maxDrop} points (most accurate plan reported); try more --degrees or a larger --calib`);
      }
    });
}
