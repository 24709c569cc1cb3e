// `ola eval --model NAME|FILE [--data NAME|FILE] [--limit N] [--threads T] [--json]`: plaintext top-1 accuracy
// and throughput with onnxruntime. The work is in `evaluateForCli`, which takes the ONNX bytes to run, so a later
// `--plan plan.json` option only has to turn the plan into bytes (replaceActivations) and call it.
import type { Command } from "commander";
import { DATASET_FILES, evaluateModel, loadModel, openDataset, type LoadedModel } from "@ola/models";
import { applyPlan, readPlan } from "@ola/optimizer";
import { parseIntArg } from "../args.js";
import { log, printJson, printText } from "../output.js";
import { progressBar } from "../progress.js";

export const DEFAULT_EVAL_DATASET = "cifar10-test-lossless";

/** The JSON document of `ola eval --json` (issue 3), plus context fields. */
export interface EvalReport {
  model: string;
  images: number;
  top1: number;
  imagesPerSecond: number;
  correct: number;
  dataset: string;
  threads: number;
  seconds: number;
  /** The manifest's reference top-1 for this model on this dataset, if any. */
  reference: number | null;
}

export interface EvalCliOptions {
  dataset: string;
  limit?: number;
  threads: number;
  batchSize: number;
  progress: boolean;
  /** Label shown in progress and used as `model` in the report (default: model.name). */
  label?: string;
}

/** Evaluates `bytes` (the model itself or a rewrite of it) with `model`'s normalisation on a dataset. */
export async function evaluateForCli(model: LoadedModel, bytes: Uint8Array, o: EvalCliOptions): Promise<EvalReport> {
  const ds = openDataset(o.dataset);
  const label = o.label ?? model.name;
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    const r = await evaluateModel(bytes, ds, {
      normalization: model.normalization,
      threads: o.threads,
      batchSize: o.batchSize,
      limit: o.limit,
      onProgress: (done, total) => {
        bar ??= progressBar(`eval ${label}`, total, o.progress);
        bar.update(done, total, "images");
      },
    });
    bar?.stop();
    const datasetKey = DATASET_FILES[o.dataset] ? o.dataset : ds.path;
    const ref = model.reference?.[o.dataset];
    return {
      model: label,
      images: r.images,
      top1: r.top1,
      imagesPerSecond: r.imagesPerSecond,
      correct: r.correct,
      dataset: datasetKey,
      threads: o.threads,
      seconds: r.seconds,
      // The reference is for the whole file; it only applies when every record was evaluated.
      reference: ref !== undefined && r.images === ds.count ? ref : null,
    };
  } finally {
    bar?.stop();
    ds.close();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function register(program: Command): void {
  program
    .command("eval")
    .description("plaintext top-1 accuracy and images/s of a model on a CIFAR-10 test file (onnxruntime, CPU)")
    .requiredOption("--model <name|file>", "registry model name (resnet20, resnet32, convnext-cifar10, ...) or an .onnx file")
    .option("--data <name|file>", `dataset: ${Object.keys(DATASET_FILES).join(", ")}, or a CIFAR-10 .bin file`, DEFAULT_EVAL_DATASET)
    .option("--limit <n>", "evaluate only the first N records")
    .option("--threads <n>", "onnxruntime intra-op threads", "1")
    .option("--batch-size <n>", "images per onnxruntime run", "100")
    .option("--plan <plan.json>", "replace every activation by the plan's polynomial (from `ola optimize`) before evaluating")
    .option("--json", "print one JSON document on stdout")
    .option("--no-progress", "no progress bar on stderr")
    .action(async (o: { model: string; data: string; limit?: string; threads: string; batchSize: string; plan?: string; json?: boolean; progress: boolean }) => {
      const limit = o.limit === undefined ? undefined : parseIntArg("--limit", o.limit, 1, 10_000_000);
      const threads = parseIntArg("--threads", o.threads, 1, 64);
      const batchSize = parseIntArg("--batch-size", o.batchSize, 1, 10_000);
      const model = await loadModel(o.model);
      // --plan: the plan's polynomials as ONNX subgraphs (@ola/optimizer applyPlan checks the model hash and sites).
      const bytes = o.plan ? applyPlan(model, readPlan(o.plan)) : model.bytes;
      const label = o.plan ? `${model.name} + plan ${o.plan}` : undefined;
      const report = await evaluateForCli(model, bytes, { dataset: o.data, limit, threads, batchSize, progress: o.progress && !o.json, ...(label ? { label } : {}) });
      if (o.plan) report.reference = null; // the manifest's reference is the exact model's
      if (o.json) {
        printJson(report);
        return;
      }
      const refs = Object.entries(model.reference ?? {})
        .filter(([k]) => k === "cifar10-test-lossless" || k === "cifar10-test")
        .map(([k, v]) => `${pct(v!)} on ${k}`);
      printText(
        [
          `model        ${report.model}`,
          `dataset      ${report.dataset} (${report.images} images)`,
          `top-1        ${pct(report.top1)} (${report.correct}/${report.images})`,
          `throughput   ${report.imagesPerSecond.toFixed(1)} images/s (${report.threads} thread${report.threads > 1 ? "s" : ""})`,
          ...(refs.length ? [`reference    ${refs.join(", ")} (MANIFEST.json, full files)`] : []),
        ].join("\n"),
      );
      if (report.reference !== null && Math.abs(report.reference - report.top1) > 5e-5) {
        log(`note: top-1 differs from the manifest's reference ${pct(report.reference)}`);
      }
    });
}
