// `ola infer`: CIFAR-10 images through a model with a plan's polynomials, in plaintext simulation
// (onnxruntime, replaceActivations) and, with --encrypted, under CKKS: compile -> client keys/encrypt ->
// server run (evaluation keys only, the real Bootstrapper) -> client decrypt; per image time by layer kind,
// bootstraps, decrypted logits vs the plaintext simulation, peak RSS.
// With --checkpoint DIR an encrypted run survives its process: each image's run is checkpointed under
// DIR/image-<i> (ckks-runtime checkpoint.ts) and a later invocation with the same DIR resumes it; DIR keeps
// the client's secret key, so it is client-side secret material.
import { join, resolve } from "node:path";
import type { Command } from "commander";
import {
  BOOTSTRAP_PRESETS,
  HeInferenceSession,
  RunStoppedError,
  getPreset,
  peakRssBytes,
  peekRunCheckpoint,
  programHash,
  simulateHeProgramSlots,
  validateParameters,
} from "@ola/ckks-runtime";
import { normalizeImages, OnnxRunner, openDataset, replaceActivations } from "@ola/models";
import { parseFloatArg, parseIntArg } from "../args.js";
import { UsageError } from "../errors.js";
import { log, printJson, printText, table } from "../output.js";
import { progressBar } from "../progress.js";
import { compileFromInputs, DEFAULT_COMPILE_PRESET, INPUT_LEVEL_HELP, loadCompileInputs, PLACEMENT_HELP } from "./compile.js";

export interface InferImageResult {
  index: number;
  label: number;
  seconds: number;
  secondsByKind: { conv: number; activation: number; bootstrap: number; add: number };
  bootstraps: number;
  /** Process CPU seconds of the encrypted run (summed over resumed processes). */
  cpuSeconds?: number;
  /** How many times the encrypted run was resumed from a --checkpoint. */
  resumes: number;
  logits: number[];
  plainLogits: number[];
  maxAbsError: number | null;
  argmaxAgrees: boolean | null;
  /** Slot count of every bootstrap (N/2 = full-slot; fewer with --sparse-bootstraps), when encrypted. */
  bootstrapSlots?: number[];
  /** Only with --last-step: the prefix's output slots vs the slot simulation (no logits). */
  prefix?: { lastStep: number; maxAbsSlotError: number };
}

export interface InferOptions {
  model: string;
  plan: string;
  preset: string;
  levels?: string;
  images: string;
  dataset: string;
  encrypted?: boolean;
  lastStep?: string;
  allowInsecure?: boolean;
  json?: boolean;
  progress: boolean;
  checkpoint?: string;
  checkpointEvery: string;
  stopAfterStep?: string;
  stopAfterSeconds?: string;
  sparseBootstraps?: boolean;
  bootstrapThreads: string;
  bootstrapDiagonals?: string;
  inputLevel?: string;
  placement: string;
}

export function parseImageRange(raw: string): [number, number] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(raw.trim());
  if (!m) throw new UsageError(`--images must be I or I..J (non-negative integers, I <= J), got '${raw}'`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a) throw new UsageError(`--images ${raw}: the end ${b} is before the start ${a}`);
  return [a, b];
}

const argmax = (a: ArrayLike<number>): number => {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[k]!) k = i;
  return k;
};

export function register(program: Command): void {
  program
    .command("infer")
    .description("classify CIFAR-10 images with a plan's polynomials: plaintext simulation and (--encrypted) CKKS end to end")
    .requiredOption("--model <name|file>", "registry model name (resnet20, resnet32, ...) or an .onnx file")
    .requiredOption("--plan <file>", "plan.json from `ola optimize`")
    .requiredOption("--images <I..J>", "image indices (inclusive), e.g. 0..4")
    .option("--dataset <name>", "dataset: cifar10-test-lossless, cifar10-test", "cifar10-test-lossless")
    .option("--encrypted", "also run under CKKS (otherwise plaintext simulation only)")
    .option("--preset <name>", `parameter preset (bootstrapping: ${Object.keys(BOOTSTRAP_PRESETS).join(", ")}; leveled presets run only programs without bootstraps)`, DEFAULT_COMPILE_PRESET)
    .option("--levels <n>", "levels after a bootstrap (default: the bootstrapper's; leveled presets: all levels of the chain)")
    .option("--input-level <n>", INPUT_LEVEL_HELP)
    .option("--placement <where>", PLACEMENT_HELP, "lazy")
    .option("--last-step <k>", "run only steps 0..k of the compiled program (a network prefix) and compare its slots with the slot simulation")
    .option("--allow-insecure", "allow parameter sets below 128-bit security (the test presets test and boot-test-n12)")
    .option("--checkpoint <dir>", "checkpoint encrypted runs in <dir> (one subdirectory per image) and resume from it; <dir> also holds the client's SECRET KEY (client-side secret material)")
    .option("--checkpoint-every <s>", "with --checkpoint: save at least every <s> seconds (always after a bootstrap)", "120")
    .option("--stop-after-step <k>", "with --checkpoint: stop after step k of the first unfinished image, leaving a checkpoint (rerun to resume)")
    .option("--stop-after-seconds <s>", "with --checkpoint: stop after the first step that ends <s> seconds after the start, leaving a checkpoint (time slicing)")
    .option("--sparse-bootstraps", "with --encrypted: refresh each value with a sparse-slot bootstrap of its layout's period (one bootstrapper per period; smaller DFTs, one EvalMod)")
    .option("--bootstrap-threads <n>", "with --encrypted: 1, or 2 = each full-slot bootstrap runs its second EvalMod half on a worker thread (same results, ~0.4 GiB more at N=2^15)", "1")
    .option("--bootstrap-diagonals <GiB>", "with --encrypted: GiB of bootstrapping diagonals kept precomputed per bootstrapper (default 1.5; the rest are finished right before use: same result, slower; 4.52 GiB holds all of boot-n15-cnn's, and with --bootstrap-threads 2 the worker then also takes CoeffToSlot's second output)")
    .option("--json", "print one JSON document on stdout")
    .option("--no-progress", "no progress bar")
    .action(async (o: InferOptions) => {
      const [first, last] = parseImageRange(o.images);
      const ds = openDataset(o.dataset);
      if (last >= ds.count) throw new UsageError(`--images ${o.images}: dataset '${o.dataset}' has ${ds.count} images (0..${ds.count - 1})`);
      const boot = BOOTSTRAP_PRESETS[o.preset];
      let levels = o.levels;
      if (levels === undefined && !boot) {
        try {
          levels = String(validateParameters(getPreset(o.preset)).levels);
        } catch {
          /* unknown preset: loadCompileInputs names the allowed ones */
        }
      }
      const inputs = await loadCompileInputs({ model: o.model, plan: o.plan, preset: o.preset, levels, inputLevel: o.inputLevel, placement: o.placement });
      for (const w of inputs.warnings) log(`ola infer: warning: ${w}`);
      const p = compileFromInputs(inputs);
      const lastStep = o.lastStep === undefined ? undefined : parseIntArg("--last-step", o.lastStep, 1, p.steps.length - 1);
      if (!o.encrypted && (o.checkpoint || o.stopAfterStep !== undefined || o.stopAfterSeconds !== undefined)) throw new UsageError("--checkpoint, --stop-after-step and --stop-after-seconds need --encrypted");
      if (!o.encrypted && o.sparseBootstraps) throw new UsageError("--sparse-bootstraps needs --encrypted");
      const bootstrapThreads = parseIntArg("--bootstrap-threads", o.bootstrapThreads, 1, 2) as 1 | 2;
      if (!o.encrypted && bootstrapThreads !== 1) throw new UsageError("--bootstrap-threads needs --encrypted");
      const diagonalGiB = o.bootstrapDiagonals === undefined ? undefined : parseFloatArg("--bootstrap-diagonals", o.bootstrapDiagonals, 0, 16);
      if (!o.encrypted && diagonalGiB !== undefined) throw new UsageError("--bootstrap-diagonals needs --encrypted");
      if (!o.checkpoint && (o.stopAfterStep !== undefined || o.stopAfterSeconds !== undefined)) throw new UsageError("--stop-after-step/--stop-after-seconds need --checkpoint DIR (otherwise the stopped run is lost)");
      const checkpointEvery = parseIntArg("--checkpoint-every", o.checkpointEvery, 0, 86_400);
      const stopAfterStep = o.stopAfterStep === undefined ? undefined : parseIntArg("--stop-after-step", o.stopAfterStep, 1, (lastStep ?? p.steps.length - 1) - 1);
      const stopAfterSeconds = o.stopAfterSeconds === undefined ? undefined : parseIntArg("--stop-after-seconds", o.stopAfterSeconds, 0, 10 * 86_400);
      const checkpointDir = o.checkpoint === undefined ? undefined : resolve(o.checkpoint);
      const startedAt = Date.now();
      log(`ola infer: compiled ${inputs.model.name}: ${p.steps.length} steps, ${p.summary.bootstraps} bootstraps, ${p.levelsAfterBootstrap} levels per refresh`);
      const v = validateParameters(inputs.params);
      if (o.encrypted && v.insecure && !o.allowInsecure && process.env.OLA_ALLOW_INSECURE !== "1") {
        throw new UsageError(`preset '${o.preset}' is below 128-bit security (${v.description ?? ""}); pass --allow-insecure to run it`);
      }
      const prefixSteps = p.steps.slice(0, (lastStep ?? p.steps.length - 1) + 1);
      const needsBoot = prefixSteps.some((s) => s.kind === "bootstrap" || (s.kind === "activation" && s.innerBootstraps.length > 0));
      if (o.encrypted && needsBoot && !boot) {
        const firstBoot = prefixSteps.find((s) => s.kind === "bootstrap" || (s.kind === "activation" && s.innerBootstraps.length > 0))!;
        throw new UsageError(
          `preset '${o.preset}' has no bootstrapper but the program needs ${p.summary.bootstraps} bootstrap(s) (the first at step ${firstBoot.index}); ` +
            `use a bootstrapping preset (${Object.keys(BOOTSTRAP_PRESETS).join(", ")}) or --last-step ${firstBoot.index - 1}`,
        );
      }
      // plaintext simulation of the same plan: onnxruntime with the plan's programs in place of the activations
      const simBytes = replaceActivations(inputs.bytes, inputs.sites.map((s) => ({ siteId: s.id, program: inputs.programs.get(s.id)! })));
      const runner = await OnnxRunner.create(simBytes, { threads: 1 });
      const [C, H, W] = p.inputShape;
      const images: InferImageResult[] = [];
      let session: HeInferenceSession | undefined;
      let stopped: { image: number; afterStep: number } | undefined;
      try {
        if (o.encrypted && checkpointDir) {
          // refuse another run's checkpoint before the (slow) key generation
          for (let i = first; i <= last; i++) {
            const found = peekRunCheckpoint(join(checkpointDir, `image-${i}`), { programHash: programHash(p), preset: inputs.params.name, image: i, lastStep: lastStep ?? p.steps.length - 1 });
            if (found) log(`ola infer: image ${i}: checkpoint at step ${found.nextStep}/${prefixSteps.length - 1} (${found.seconds.toFixed(1)} s done) will be resumed`);
          }
        }
        if (o.encrypted) {
          session = await HeInferenceSession.create(p, {
            params: inputs.params,
            bootstrapPreset: inputs.bootstrapPreset ? BOOTSTRAP_PRESETS[inputs.bootstrapPreset] : undefined,
            allowInsecure: true,
            lastStep,
            log: (s) => log(`ola infer: ${s}`),
            checkpointDir,
            sparseBootstraps: Boolean(o.sparseBootstraps),
            bootstrapThreads,
            ...(diagonalGiB !== undefined ? { bootstrapDiagonalBytes: diagonalGiB * 2 ** 30 } : {}),
          });
          if (o.sparseBootstraps) log(`ola infer: sparse-slot bootstraps: bootstrappers of ${session.bootstrapperSlots.join(", ")} slots`);
        }
        for (let i = first; i <= last; i++) {
          const img = normalizeImages(ds.image(i), inputs.model.normalization);
          const plain = Array.from((await runner.runBatch(img, [1, C, H, W])).data);
          const r: InferImageResult = {
            index: i,
            label: ds.label(i),
            seconds: 0,
            secondsByKind: { conv: 0, activation: 0, bootstrap: 0, add: 0 },
            bootstraps: 0,
            resumes: 0,
            logits: [],
            plainLogits: plain,
            maxAbsError: null,
            argmaxAgrees: null,
          };
          if (session) {
            let bar: ReturnType<typeof progressBar> | undefined;
            const openBar = () => (bar ??= progressBar(`image ${i}`, prefixSteps.length - 1, o.progress && !o.json));
            let run: ReturnType<HeInferenceSession["run"]>;
            try {
              run = session.run(p, img, {
                lastStep,
                onStep: (t, done, total) => openBar().update(done - 1, total - 1, `${t.kind} ${t.name.slice(0, 40)} (level ${t.level})`),
                checkpoint: checkpointDir ? { image: i, everySeconds: checkpointEvery } : undefined,
                onCheckpoint: (e) => {
                  if (e.kind === "resumed") {
                    log(`ola infer: image ${i}: resuming from ${e.dir} at step ${e.nextStep}/${prefixSteps.length - 1} (${e.savedSeconds.toFixed(1)} s done before, resume ${e.resumes})`);
                    openBar().update(e.nextStep - 1, prefixSteps.length - 1, "resumed");
                  }
                },
                stopAfterStep,
                shouldStop: stopAfterSeconds === undefined ? undefined : () => (Date.now() - startedAt) / 1000 >= stopAfterSeconds,
              });
            } catch (e) {
              bar?.stop();
              if (e instanceof RunStoppedError) {
                stopped = { image: i, afterStep: e.step };
                log(`ola infer: image ${i}: stopped after step ${e.step}; checkpoint in ${checkpointDir}; rerun the same command to resume`);
                break;
              }
              throw e;
            }
            bar?.stop();
            const { values, report } = run;
            r.seconds = report.seconds;
            r.secondsByKind = report.byKind;
            r.bootstraps = report.bootstraps;
            r.cpuSeconds = report.cpuSeconds;
            r.resumes = report.resumes;
            if (report.bootstrapSlots) r.bootstrapSlots = report.bootstrapSlots;
            if (lastStep === undefined) {
              r.logits = Array.from(values);
              r.maxAbsError = Math.max(...r.logits.map((x, j) => Math.abs(x - plain[j]!)));
              r.argmaxAgrees = argmax(r.logits) === argmax(plain);
            } else {
              const ref = simulateHeProgramSlots(p, img, lastStep);
              let e = 0;
              for (let j = 0; j < ref.length; j++) e = Math.max(e, Math.abs(values[j]! - ref[j]!));
              r.prefix = { lastStep, maxAbsSlotError: e };
            }
            log(
              `ola infer: image ${i}: ${r.seconds.toFixed(1)} s${r.resumes ? ` (over ${r.resumes + 1} processes)` : ""} (conv ${report.byKind.conv.toFixed(1)}, activation ${report.byKind.activation.toFixed(1)}, bootstrap ${report.byKind.bootstrap.toFixed(1)}), ${r.bootstraps} bootstraps` +
                (r.prefix ? `, prefix max slot error ${r.prefix.maxAbsSlotError.toExponential(2)}` : `, max |logit error| ${r.maxAbsError?.toExponential(2)}, argmax ${r.argmaxAgrees ? "agrees" : "DIFFERS"}`),
            );
          }
          images.push(r);
        }
      } finally {
        session?.dispose();
        await runner.release();
      }
      const doc = {
        model: inputs.model.name,
        plan: o.plan,
        preset: o.preset,
        encrypted: Boolean(o.encrypted),
        dataset: o.dataset,
        levelsAfterBootstrap: p.levelsAfterBootstrap,
        compiledBootstraps: p.summary.bootstraps,
        predictedSeconds: p.summary.predictedSeconds,
        lastStep: lastStep ?? null,
        setupSeconds: session?.setupSeconds ?? null,
        sparseBootstraps: Boolean(o.sparseBootstraps),
        bootstrapThreads: session?.bootstrapThreads ?? null,
        bootstrapDiagonalGiB: diagonalGiB ?? null,
        bootstrapperSlots: session?.bootstrapperSlots ?? null,
        images,
        checkpoint: checkpointDir ?? null,
        /** Set when --stop-after-* stopped a run: that image is not in `images`; rerun to resume it. */
        stopped: stopped ?? null,
        peakRssBytes: peakRssBytes(),
      };
      if (o.json) {
        printJson(doc);
        return;
      }
      const rows: (string | number)[][] = [["image", "label", "plain argmax", "seconds", "conv s", "act s", "boot s", "bootstraps", "max |err|", "argmax agrees"]];
      for (const r of images) {
        rows.push([
          r.index,
          r.label,
          argmax(r.plainLogits),
          o.encrypted ? r.seconds.toFixed(1) : "-",
          o.encrypted ? r.secondsByKind.conv.toFixed(1) : "-",
          o.encrypted ? r.secondsByKind.activation.toFixed(1) : "-",
          o.encrypted ? r.secondsByKind.bootstrap.toFixed(1) : "-",
          o.encrypted ? r.bootstraps : "-",
          r.prefix ? `${r.prefix.maxAbsSlotError.toExponential(2)} (slots)` : o.encrypted && r.maxAbsError !== null ? r.maxAbsError.toExponential(2) : "-",
          r.prefix ? "-" : o.encrypted ? String(r.argmaxAgrees) : "-",
        ]);
      }
      printText(table(rows));
      printText(`peak RSS ${(doc.peakRssBytes / 2 ** 30).toFixed(2)} GiB`);
      if (stopped) printText(`stopped after step ${stopped.afterStep} of image ${stopped.image}; rerun with --checkpoint ${checkpointDir} to resume`);
    });
}
