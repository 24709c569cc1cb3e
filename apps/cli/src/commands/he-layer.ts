// `ola he layer`: one real CNN linear layer (Conv / option-A shortcut / avgpool+FC) run encrypted on packed
// ciphertexts and compared with onnxruntime on a CIFAR-10 test image (max abs error, time, rotations).
// Plugs into the `he` command group (finds or creates it).
import type { Command } from "commander";
import {
  compileGraphLayer,
  findLinearLayer,
  getPreset,
  listLinearLayers,
  presetNames,
  runLayer,
  validateParameters,
  type ParameterSet,
} from "@ola/ckks-runtime";
import { exposeTensors, foldBatchNorm, importOnnx, loadModel, normalizeImages, OnnxRunner, openDataset } from "@ola/models";
import { parseIntArg } from "../args.js";
import { UsageError } from "../errors.js";
import { log, printJson, printText, table } from "../output.js";
import { progressBar, type Progress } from "../progress.js";

interface HeLayerCliOptions {
  model: string;
  layer: string;
  preset: string;
  level: string;
  workers: string;
  image: string;
  allowInsecure?: boolean;
  json?: boolean;
  progress: boolean;
}

export function registerHeLayer(he: Command): void {
  he.command("layer")
    .description("run one linear layer of a model encrypted (packed, one level) and compare with onnxruntime")
    .requiredOption("--model <name|file>", "registry model name (resnet20, resnet32, ...) or an .onnx file; BatchNorm is folded")
    .requiredOption("--layer <id>", "layer: node name (e.g. /layer1/layer1.0/conv1/Conv) or index; 'list' lists them")
    .requiredOption("--preset <name>", `CKKS parameter set (${presetNames().join(", ")})`)
    .option("--level <L>", "level the input is encrypted at (the layer consumes one)", "1")
    .option("--workers <n>", "0 = evaluate in this thread, n = on a pool of n worker threads", "0")
    .option("--image <i>", "index of the CIFAR-10 image (cifar10-test-lossless) whose activations feed the layer", "0")
    .option("--allow-insecure", "allow an insecure (test) preset")
    .option("--json", "print one JSON document on stdout")
    .option("--no-progress", "no progress on stderr")
    .action(async (o: HeLayerCliOptions) => {
      let params: ParameterSet;
      try {
        params = getPreset(o.preset);
      } catch {
        throw new UsageError(`--preset must be one of ${presetNames().join(", ")}, got '${o.preset}'`);
      }
      const v = validateParameters(params);
      if (v.insecure && !o.allowInsecure && process.env.OLA_ALLOW_INSECURE !== "1")
        throw new UsageError(`preset '${o.preset}' is insecure (for tests); pass --allow-insecure to run it`);
      const level = parseIntArg("--level", o.level, 1, v.levels);
      const workers = parseIntArg("--workers", o.workers, 0, 16);
      const imageIndex = parseIntArg("--image", o.image, 0, 999);

      const model = await loadModel(o.model);
      const hasBn = model.graph.nodes.some((n) => n.opType === "BatchNormalization");
      const bytes = hasBn ? foldBatchNorm(model.bytes) : model.bytes;
      const graph = hasBn ? importOnnx(bytes, model.path) : model.graph;
      if (o.layer === "list") {
        const layers = listLinearLayers(graph);
        if (o.json) printJson({ model: model.name, layers: layers.map((l) => ({ index: l.index, id: l.id, kind: l.kind, inputShape: l.inputShape, outputShape: l.outputShape })) });
        else printText(table([["index", "id", "kind", "input", "output"], ...layers.map((l) => [l.index, l.id, l.kind, l.inputShape.join("×"), l.outputShape.join("×")])]));
        return;
      }
      let layer;
      try {
        layer = findLinearLayer(graph, o.layer);
      } catch (e) {
        throw new UsageError(`--layer: ${(e as Error).message}`);
      }
      let plan;
      try {
        plan = compileGraphLayer(graph, layer, v.slots);
      } catch (e) {
        throw new UsageError(`--layer ${layer.id} on preset '${o.preset}' (${v.slots} slots): ${(e as Error).message}`);
      }

      // onnxruntime reference: the layer's input and output tensors on one test image
      const inputName = graph.inputs[0]!.name;
      const exposed = [layer.inputTensor, layer.outputTensor].filter((t) => t !== inputName);
      const runner = await OnnxRunner.create(exposeTensors(bytes, exposed), { threads: 1 });
      const x = normalizeImages(openDataset("cifar10-test-lossless").image(imageIndex), model.normalization);
      const ort = await runner.run({ [inputName]: { data: x, dims: [1, 3, 32, 32] } });
      await runner.release();
      const input = layer.inputTensor === inputName ? x : ort[layer.inputTensor]!.data;
      const reference = ort[layer.outputTensor]!.data;

      let bar: Progress | undefined;
      const r = await runLayer({
        params,
        allowInsecure: true,
        plan,
        input,
        level,
        workers,
        onProgress: (phase, done, total) => {
          if (!o.progress) return;
          if (phase === "layer" && total !== undefined) {
            bar ??= progressBar(`ola he layer ${layer.id}`, total);
            bar.update(done ?? 0, total);
          } else if (phase !== "layer") log(`ola he layer: ${phase}`);
        },
      });
      bar?.stop();
      let maxAbsError = 0;
      let maxAbsReference = 0;
      for (let i = 0; i < reference.length; i++) {
        maxAbsError = Math.max(maxAbsError, Math.abs(r.output[i]! - reference[i]!));
        maxAbsReference = Math.max(maxAbsReference, Math.abs(reference[i]!));
      }
      const doc = {
        model: model.name,
        layer: layer.id,
        kind: layer.kind,
        inputShape: layer.inputShape,
        outputShape: layer.outputShape,
        image: imageIndex,
        preset: v.name,
        N: v.N,
        slots: v.slots,
        layout: { input: plan.input.describe(), output: plan.output?.describe() ?? null },
        levelIn: r.levelIn,
        levelOut: r.levelOut,
        workers,
        maxAbsError,
        maxAbsReference,
        maxAbsErrorVsSimulator: r.maxAbsErrorVsSimulator,
        seconds: r.seconds.layer,
        setupSeconds: { context: r.seconds.context, keys: r.seconds.keys, workersInit: r.seconds.workersInit, encrypt: r.seconds.encrypt, decrypt: r.seconds.decrypt },
        rotations: r.counts.rotations,
        mulPlain: r.counts.mulPlain,
        additions: r.counts.additions,
        levels: r.counts.levels,
        rotationSteps: r.steps,
        diagonals: plan.info?.diagonals ?? null,
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
      };
      if (o.json) {
        printJson(doc);
        return;
      }
      printText(
        table([
          ["model / layer", `${model.name} ${layer.id} (${layer.kind})`],
          ["shape", `${layer.inputShape.join("×")} → ${layer.outputShape.join("×")}`],
          ["preset", `${v.name} (N = ${v.N}, ${v.slots} slots)`],
          ["layout in", doc.layout.input],
          ["layout out", doc.layout.output ?? `logits at slots ${plan.outputSlots!.join(",")}`],
          ["levels", `${r.levelIn} → ${r.levelOut}`],
          ["max abs error vs onnxruntime", `${maxAbsError.toExponential(3)} (max |ref| ${maxAbsReference.toFixed(3)})`],
          ["max abs error vs slot simulator", r.maxAbsErrorVsSimulator.toExponential(3)],
          ["layer seconds", `${r.seconds.layer.toFixed(3)} (${workers === 0 ? "in process" : `${workers} workers`})`],
          ["rotations / ct×pt / additions", `${r.counts.rotations} / ${r.counts.mulPlain} / ${r.counts.additions}`],
          ["rotation keys", r.steps.join(", ")],
          ["peak RSS", `${(doc.peakRssBytes / 2 ** 30).toFixed(2)} GiB`],
        ]),
      );
    });
}

/** Registers `he layer` under the existing `he` group (or creates the group if it is not there yet). */
export function register(program: Command): void {
  const he = program.commands.find((c) => c.name() === "he") ?? program.command("he").description("RNS-CKKS runtime commands");
  registerHeLayer(he);
}
