// `ola profile`: activation statistics of a model over a calibration set, written as profile.json
// (@ola/profile's versioned format). Progress on stderr; --json prints one summary document.
import type { Command } from "commander";
import { loadModel } from "@ola/models";
import { DEFAULT_CALIBRATION_DATASET, DEFAULT_CALIBRATION_IMAGES, profileModel, quantile, saveProfile } from "@ola/profile";
import { parseIntArg } from "../args.js";
import { log, printJson, printText, table } from "../output.js";
import { progressBar } from "../progress.js";

interface ProfileCliOptions {
  model: string;
  calib: string;
  dataset: string;
  seed: string;
  batchSize: string;
  threads: string;
  out?: string;
  json?: boolean;
  progress: boolean;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(5) : String(x));

export function register(program: Command): void {
  program
    .command("profile")
    .description("profile the input of every activation site over calibration images; write profile.json")
    .requiredOption("--model <name|file>", "registry model name (resnet20, resnet32, ...) or an .onnx file")
    .option("--calib <n>", "number of calibration images", String(DEFAULT_CALIBRATION_IMAGES))
    .option("--dataset <name|file>", "calibration dataset name or CIFAR-10 .bin file", DEFAULT_CALIBRATION_DATASET)
    .option("--seed <n>", "seed of the deterministic uniform image subset ('none': the first N images)", "0")
    .option("--batch-size <n>", "images per onnxruntime run", "50")
    .option("--threads <n>", "onnxruntime intra-op threads", "1")
    .option("--out <file>", "write the profile here (atomically)")
    .option("--json", "print one JSON summary document on stdout")
    .option("--no-progress", "no progress bar on stderr")
    .action(async (o: ProfileCliOptions) => {
      const images = parseIntArg("--calib", o.calib, 1, 1_000_000);
      const seed = o.seed === "none" ? null : parseIntArg("--seed", o.seed, 0, 2 ** 31 - 1);
      const batchSize = parseIntArg("--batch-size", o.batchSize, 1, 10_000);
      const threads = parseIntArg("--threads", o.threads, 1, 64);
      const model = await loadModel(o.model);
      let bar: ReturnType<typeof progressBar> | undefined;
      const t0 = performance.now();
      let profile;
      try {
        profile = await profileModel(model, {
          dataset: o.dataset,
          images,
          seed,
          batchSize,
          threads,
          onProgress: (done, total) => {
            bar ??= progressBar(`profile ${model.name}`, total, o.progress);
            bar.update(done, total, "images");
          },
        });
      } finally {
        bar?.stop();
      }
      const seconds = (performance.now() - t0) / 1000;
      if (o.out) saveProfile(o.out, profile);
      const rows = profile.sites.map((s) => ({
        id: s.id,
        kind: s.kind,
        count: s.stats.count,
        min: s.stats.min,
        max: s.stats.max,
        mean: s.stats.mean,
        std: s.stats.std,
        q001: quantile(s.stats, 0.001),
        q999: quantile(s.stats, 0.999),
      }));
      if (o.json) {
        printJson({
          model: profile.model,
          calibration: profile.calibration,
          out: o.out ?? null,
          seconds,
          sites: rows,
        });
        return;
      }
      printText(
        table([
          ["site", "kind", "min", "q0.001", "mean", "std", "q0.999", "max"],
          ...rows.map((r) => [r.id, r.kind, fmt(r.min), fmt(r.q001), fmt(r.mean), fmt(r.std), fmt(r.q999), fmt(r.max)]),
        ]),
      );
      log(`${profile.sites.length} sites, ${profile.calibration.images} images of ${profile.calibration.dataset} in ${seconds.toFixed(1)} s` + (o.out ? `; wrote ${o.out}` : ""));
    });
}
