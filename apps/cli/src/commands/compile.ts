// `ola compile`: model + plan -> HeProgram (a dry run: levels, bootstraps, rotations and the cost model's
// predicted time per layer; nothing is encrypted). Also the shared loading code of `ola infer`.
import type { Command } from "commander";
import {
  BOOTSTRAP_PRESETS,
  PRESETS,
  compileHeProgram,
  describeHeProgram,
  validateParameters,
  type BootstrapPlacement,
  type HeProgram,
  type ParameterSet,
  type PolyProgram,
} from "@ola/ckks-runtime";
import { findActivationSites, foldBatchNorm, importOnnx, loadModel, type ActivationSite, type Graph, type LoadedModel } from "@ola/models";
import { analyticCostModel, planPrograms, readCostTable, readPlan, TableCostModel, type CostModel, type Plan } from "@ola/optimizer";
import { parseIntArg } from "../args.js";
import { UsageError } from "../errors.js";
import { log, printJson, printText, table } from "../output.js";

export const DEFAULT_COMPILE_PRESET = "boot-n15-cnn";

export const INPUT_LEVEL_HELP = "level the client encrypts the image at (default: the levels after a bootstrap; one more lets the first convolution run before the first refresh with --placement before-activation)";
export const PLACEMENT_HELP =
  "bootstrap placement: lazy (refresh right before the step that lacks levels) or before-activation (an activation that fits in one refresh also reserves the next linear layer's level, so convolutions run on the level it leaves instead of right after a refresh)";

export interface CompileInputs {
  model: LoadedModel;
  /** The graph the compiler reads (BatchNorm folded). */
  graph: Graph;
  /** Model bytes with BatchNorm folded (what the plaintext simulation runs). */
  bytes: Uint8Array;
  sites: ActivationSite[];
  plan: Plan;
  programs: Map<string, PolyProgram>;
  params: ParameterSet;
  /** Set when the preset has a bootstrapping layout (the real Bootstrapper can run it). */
  bootstrapPreset?: string;
  levelsAfterBootstrap: number;
  /** Level the client encrypts at (default levelsAfterBootstrap). */
  inputLevel?: number;
  placement: BootstrapPlacement;
  costModel: CostModel;
  warnings: string[];
}

export interface CompileCliOptions {
  model: string;
  plan: string;
  preset: string;
  levels?: string;
  costTable?: string;
  bootstrapSeconds?: string;
  inputLevel?: string;
  placement?: string;
}

/** Loads model, plan and preset and checks that they belong together. */
export async function loadCompileInputs(o: CompileCliOptions): Promise<CompileInputs> {
  const warnings: string[] = [];
  const boot = BOOTSTRAP_PRESETS[o.preset];
  const leveled = PRESETS[o.preset];
  if (!boot && !leveled) {
    throw new UsageError(`--preset must be one of ${[...Object.keys(BOOTSTRAP_PRESETS), ...Object.keys(PRESETS)].join(", ")}, got '${o.preset}'`);
  }
  const params = boot ? boot.params : leveled!;
  const v = validateParameters(params);
  let L: number;
  if (o.levels !== undefined) L = parseIntArg("--levels", o.levels, 1, v.levels);
  else if (boot) L = boot.layout.appLevels;
  else L = analyticCostModel().levelsAfterBootstrap;
  if (boot && L !== boot.layout.appLevels) warnings.push(`--levels ${L} differs from the ${boot.layout.appLevels} levels the '${o.preset}' bootstrapper provides; the program can only be run with a bootstrapper that gives ${L}`);
  if (L > v.levels) throw new UsageError(`--levels ${L} exceeds the ${v.levels} levels of preset '${o.preset}'`);
  const inputLevel = o.inputLevel === undefined ? undefined : parseIntArg("--input-level", o.inputLevel, 1, v.levels);
  const placement = (o.placement ?? "lazy") as BootstrapPlacement;
  if (placement !== "lazy" && placement !== "before-activation") throw new UsageError(`--placement must be lazy or before-activation, got '${o.placement}'`);
  const extra: { levelsAfterBootstrap: number; bootstrapSeconds?: number } = { levelsAfterBootstrap: Math.max(2, L) };
  if (o.bootstrapSeconds !== undefined) {
    const b = Number(o.bootstrapSeconds);
    if (!(b >= 0)) throw new UsageError(`--bootstrap-seconds must be a non-negative number, got '${o.bootstrapSeconds}'`);
    extra.bootstrapSeconds = b;
  }
  const costModel: CostModel = o.costTable ? new TableCostModel(readCostTable(o.costTable), extra) : analyticCostModel(extra);

  const model = await loadModel(o.model);
  let bytes = model.bytes;
  let graph = model.graph;
  if (graph.nodes.some((n) => n.opType === "BatchNormalization")) {
    bytes = foldBatchNorm(bytes);
    graph = importOnnx(bytes, `${model.path} (BatchNorm folded)`);
  }
  const sites = findActivationSites(graph);
  const plan = readPlan(o.plan);
  if (plan.model.sha256 !== model.sha256) {
    warnings.push(`plan ${o.plan} was made for model '${plan.model.name}' (sha256 ${plan.model.sha256.slice(0, 12)}…), not '${model.name}' (${model.sha256.slice(0, 12)}…); sites are matched by id`);
  }
  const programs = new Map(planPrograms(plan).map((p) => [p.siteId, p.program as unknown as PolyProgram]));
  const missing = sites.filter((s) => !programs.has(s.id));
  if (missing.length) {
    throw new UsageError(`plan ${o.plan} has no polynomial for the model's activation site(s) ${missing.map((s) => s.id).join(", ")}`);
  }
  const extraSites = [...programs.keys()].filter((id) => !sites.some((s) => s.id === id));
  if (extraSites.length) throw new UsageError(`plan ${o.plan} names site(s) the model does not have: ${extraSites.join(", ")}`);
  return { model, graph, bytes, sites, plan, programs, params, bootstrapPreset: boot ? o.preset : undefined, levelsAfterBootstrap: L, inputLevel, placement, costModel, warnings };
}

/** The cost table behind a CostModel (TableCostModel) with the model's bootstrap seconds, for the compiler. */
export function costTableOf(m: CostModel): Parameters<typeof compileHeProgram>[3]["costTable"] {
  const t = (m as TableCostModel).table;
  if (!t) return undefined;
  return { ...t, bootstrapSeconds: m.bootstrapSeconds };
}

export function compileFromInputs(i: CompileInputs): HeProgram {
  return compileHeProgram(i.graph, i.sites, i.programs, {
    slots: validateParameters(i.params).slots,
    levelsAfterBootstrap: i.levelsAfterBootstrap,
    costTable: costTableOf(i.costModel),
    model: i.model.name,
    ...(i.inputLevel !== undefined ? { inputLevel: i.inputLevel } : {}),
    placement: i.placement,
  });
}

export function programTable(p: HeProgram): string {
  const rows: (string | number)[][] = [["#", "step", "name", "levels", "layout", "rotations", "bootstraps", "predicted s"]];
  const lay = (l: { channels: number; height: number; width: number; gap: number }) => `${l.channels}x${l.height}x${l.width} gap ${l.gap}`;
  for (const s of p.steps) {
    switch (s.kind) {
      case "encrypt":
        rows.push([s.index, "encrypt", s.tensor, `${s.level}`, lay(s.layout), "", "", ""]);
        break;
      case "linear":
        rows.push([s.index, s.layer, s.node, `${s.inLevel}->${s.outLevel}`, s.outLayout ? lay(s.outLayout) : "logits", s.program.counts.rotations, "", s.predictedSeconds.toFixed(2)]);
        break;
      case "activation":
        rows.push([s.index, `act d${s.program.cost.depth}`, s.site, `${s.inLevel}->${s.outLevel}`, "", "", s.innerBootstraps.length || "", s.predictedSeconds.toFixed(2)]);
        break;
      case "bootstrap":
        rows.push([s.index, "bootstrap", s.reason.slice(0, 60), `${s.fromLevel}->${s.toLevel}`, "", "", 1, s.predictedSeconds.toFixed(2)]);
        break;
      case "add":
        rows.push([s.index, "add", s.node, `${s.levelA},${s.levelB}->${s.level}`, "", "", "", s.predictedSeconds.toFixed(3)]);
        break;
    }
  }
  return table(rows);
}

interface CompileCommandOptions extends CompileCliOptions {
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("compile")
    .description("compile a model + plan to a CKKS program (dry run): per-layer levels, bootstraps, rotations, predicted time")
    .requiredOption("--model <name|file>", "registry model name (resnet20, resnet32, ...) or an .onnx file")
    .requiredOption("--plan <file>", "plan.json from `ola optimize`")
    .option("--preset <name>", `parameter preset: a bootstrapping preset (${Object.keys(BOOTSTRAP_PRESETS).join(", ")}) or a leveled one (${Object.keys(PRESETS).join(", ")})`, DEFAULT_COMPILE_PRESET)
    .option("--levels <n>", "levels after a bootstrap (default: the preset's bootstrapping layout; leveled presets: the optimiser's cost model)")
    .option("--cost-table <file>", "costs.json from `ola he calibrate` (default: the optimiser's analytic N=2^15 table)")
    .option("--bootstrap-seconds <s>", "seconds per bootstrap for the prediction (default: the cost model's)")
    .option("--input-level <n>", INPUT_LEVEL_HELP)
    .option("--placement <where>", PLACEMENT_HELP, "lazy")
    .option("--json", "print one JSON document on stdout")
    .action(async (o: CompileCommandOptions) => {
      const inputs = await loadCompileInputs(o);
      for (const w of inputs.warnings) log(`ola compile: warning: ${w}`);
      const p = compileFromInputs(inputs);
      const doc = {
        model: inputs.model.name,
        plan: o.plan,
        preset: o.preset,
        slots: p.slots,
        levelsAfterBootstrap: p.levelsAfterBootstrap,
        inputLevel: p.inputLevel,
        placement: p.placement ?? "lazy",
        costModel: inputs.costModel.description,
        planPredicted: inputs.plan.predicted ?? null,
        bootstraps: p.summary.bootstraps,
        rotations: p.summary.rotations,
        predictedSeconds: p.summary.predictedSeconds,
        program: describeHeProgram(p),
      };
      if (o.json) {
        printJson(doc);
        return;
      }
      printText(programTable(p));
      const s = p.summary;
      printText(
        [
          ``,
          `model ${inputs.model.name}, preset ${o.preset} (${p.slots} slots), ${p.levelsAfterBootstrap} levels after a bootstrap, input at level ${p.inputLevel}, placement ${p.placement ?? "lazy"}`,
          `${s.linearLayers} linear layers (${s.rotations} rotations, ${s.rotationSteps.length} distinct steps), ${s.activations} activations`,
          `bootstraps: ${s.bootstraps} (${s.innerBootstraps} inside activations)` +
            (inputs.plan.predicted ? `; the plan's prediction: ${inputs.plan.predicted.bootstraps}` : ""),
          `predicted time: ${s.predictedSeconds.toFixed(1)} s (linear ${s.predictedByKind.linear.toFixed(1)}, activations ${s.predictedByKind.activation.toFixed(1)}, bootstraps ${s.predictedByKind.bootstrap.toFixed(1)}) — ${inputs.costModel.description}`,
        ].join("\n"),
      );
    });
}
