// `pnpm bench linear [--preset n15] [--layer ID] [--level L] [--runs R] [--workers 1,2]`: one real ResNet-20
// linear layer (default: the stage-1 convolution /layer1/layer1.0/conv1/Conv) encrypted on packed ciphertexts
// against onnxruntime on a CIFAR-10 test image. One SEAL context and key set (exactly the plan's rotation
// steps); per worker count a WorkerPool runs the layer once cold (diagonals encoded) and `runs` times warm
// (diagonals cached in the workers); reports the median, the error vs onnxruntime, rotation count and peak RSS.
// Writes results/linear-<preset>.json|md.
import type { Command } from "commander";
import { performance } from "node:perf_hooks";
import {
  Ciphertext,
  CkksClient,
  CkksContext,
  compileGraphLayer,
  findLinearLayer,
  getPreset,
  shareEvaluationKeys,
  unpackLayerOutput,
  validateParameters,
  WorkerPool,
} from "@ola/ckks-runtime";
import { exposeTensors, foldBatchNorm, importOnnx, loadModel, normalizeImages, OnnxRunner, openDataset } from "@ola/models";
import { median } from "../measure.js";
import { mdTable, provenance, writeResults } from "../results.js";

interface LinearBenchOptions {
  preset: string;
  model: string;
  layer: string;
  level: string;
  runs: string;
  workers: string;
  image: string;
  keyAffinity?: boolean;
}

const log = (s: string) => process.stderr.write(`bench linear: ${s}\n`);
const rssGiB = () => (process.resourceUsage().maxRSS * 1024) / 2 ** 30;

export function register(program: Command): void {
  program
    .command("linear")
    .description("one ResNet-20 linear layer encrypted (packed, one level) vs onnxruntime: time (median), rotations, peak RSS; 1 vs 2 workers")
    .option("--preset <name>", "CKKS parameter set", "n15")
    .option("--model <name>", "model (BatchNorm is folded)", "resnet20")
    .option("--layer <id>", "layer node name or index", "/layer1/layer1.0/conv1/Conv")
    .option("--level <L>", "level the input is encrypted at", "1")
    .option("--runs <n>", "warm runs per worker count (median)", "3")
    .option("--workers <list>", "worker counts to compare", "1,2")
    .option("--image <i>", "CIFAR-10 lossless test image feeding the layer", "0")
    .option("--key-affinity", "home each rotation step on one worker (each loads only its share of the keys); results go to linear-<preset>-affinity")
    .action(async (o: LinearBenchOptions) => {
      const prov = provenance();
      const params = getPreset(o.preset);
      const v = validateParameters(params);
      const level = Number(o.level);
      const runs = Number(o.runs);
      const workerCounts = o.workers.split(",").map(Number);
      if (!Number.isInteger(level) || level < 1 || level > v.levels) throw new Error(`--level must be in [1, ${v.levels}], got '${o.level}'`);
      if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be an integer in [1, 50], got '${o.runs}'`);
      if (workerCounts.some((w) => !Number.isInteger(w) || w < 1 || w > 8)) throw new Error(`--workers must list integers in [1, 8], got '${o.workers}'`);

      const model = await loadModel(o.model);
      const hasBn = model.graph.nodes.some((n) => n.opType === "BatchNormalization");
      const bytes = hasBn ? foldBatchNorm(model.bytes) : model.bytes;
      const graph = hasBn ? importOnnx(bytes, model.path) : model.graph;
      const layer = findLinearLayer(graph, o.layer);
      // with key affinity every Horner chain would use the same homed key: one chain
      const chains = o.keyAffinity ? 1 : Math.max(...workerCounts);
      const tc = performance.now();
      const plan = compileGraphLayer(graph, layer, v.slots, { hornerChains: chains });
      const compileSeconds = (performance.now() - tc) / 1000;
      log(`${layer.id}: ${plan.program.counts.rotations} rotations, ${plan.program.counts.mulPlain} ct×pt, keys [${plan.program.steps.join(", ")}]`);

      const inputName = graph.inputs[0]!.name;
      const runner = await OnnxRunner.create(exposeTensors(bytes, [layer.inputTensor, layer.outputTensor].filter((t) => t !== inputName)), { threads: 1 });
      const x = normalizeImages(openDataset("cifar10-test-lossless").image(Number(o.image)), model.normalization);
      const ort = await runner.run({ [inputName]: { data: x, dims: [1, 3, 32, 32] } });
      await runner.release();
      const input = layer.inputTensor === inputName ? x : ort[layer.inputTensor]!.data;
      const reference = ort[layer.outputTensor]!.data;

      let t = performance.now();
      log(`building the ${v.name} context (N = ${v.N})`);
      const ctx = await CkksContext.create(params, { allowInsecure: true });
      const contextSeconds = (performance.now() - t) / 1000;
      const client = new CkksClient(ctx);
      t = performance.now();
      // held once, in SharedArrayBuffers that every worker reads (210 MiB per Galois key at N = 2^15)
      const keys = shareEvaluationKeys(client.evaluationKeys(plan.program.steps));
      const keySeconds = (performance.now() - t) / 1000;
      let keyBytes = 0;
      for (const b of keys.galoisKeys.values()) keyBytes += b.byteLength;
      const ctBytes = (() => {
        using ct = client.encrypt(plan.input.pack(input), { level });
        return ct.toBytes();
      })();

      const rows: {
        workers: number;
        initSeconds: number;
        coldSeconds: number;
        warmSeconds: number[];
        medianSeconds: number;
        maxAbsError: number;
        opsPerWorker: number[];
        transfers: number;
        transferBytes: number;
        peakRssGiB: number;
      }[] = [];
      for (const w of workerCounts) {
        t = performance.now();
        log(`starting ${w} worker(s)`);
        const pool = await WorkerPool.create({
          params,
          keys,
          workers: w,
          allowInsecure: true,
          plainCacheBytes: 2 * 2 ** 30,
          keyAffinity: o.keyAffinity ?? false,
        });
        const initSeconds = (performance.now() - t) / 1000;
        try {
          t = performance.now();
          let r = await pool.run(plan.program, ctBytes);
          const coldSeconds = (performance.now() - t) / 1000;
          log(`${w} worker(s): cold run ${coldSeconds.toFixed(2)} s`);
          const warm: number[] = [];
          for (let i = 0; i < runs; i++) {
            t = performance.now();
            r = await pool.run(plan.program, ctBytes);
            warm.push((performance.now() - t) / 1000);
            log(`${w} worker(s): warm run ${i + 1}/${runs} ${warm[i]!.toFixed(2)} s`);
          }
          using out = Ciphertext.fromBytes(ctx, r.output);
          const got = unpackLayerOutput(plan, client.decrypt(out));
          let err = 0;
          for (let i = 0; i < reference.length; i++) err = Math.max(err, Math.abs(got[i]! - reference[i]!));
          rows.push({
            workers: w,
            initSeconds,
            coldSeconds,
            warmSeconds: warm,
            medianSeconds: median(warm),
            maxAbsError: err,
            opsPerWorker: r.stats.opsPerWorker,
            transfers: r.stats.transfers,
            transferBytes: r.stats.transferBytes,
            peakRssGiB: rssGiB(),
          });
        } finally {
          await pool.close();
        }
      }
      client.dispose();
      ctx.dispose();

      const base = rows[0]!.medianSeconds;
      const counts = plan.program.counts;
      const body =
        `# Packed linear layer, encrypted vs onnxruntime\n\n` +
        `Layer \`${layer.id}\` of ${model.name} (${layer.inputShape.join("×")} → ${layer.outputShape.join("×")}), ` +
        `preset \`${v.name}\` (N = ${v.N}, ${v.slots} slots), input at level ${level} → output at level ${level - counts.levels}; ` +
        `${o.keyAffinity ? "key affinity on (each rotation step homed on one worker); " : ""}` +
        `CIFAR-10 lossless test image ${o.image}.\n\n` +
        mdTable(
          ["quantity", "value"],
          [
            ["layout in / out", `${plan.input.describe()} / ${plan.output?.describe() ?? "logits"}`],
            ["rotations / ct×pt / additions / rescales", `${counts.rotations} / ${counts.mulPlain} / ${counts.additions} / ${counts.rescales}`],
            ["diagonals, baby rows R, Horner chains", `${plan.info?.diagonals ?? "-"}, ${plan.info?.babyRows ?? "-"}, ${chains}`],
            ["Galois keys", `${plan.program.steps.length} steps [${plan.program.steps.join(", ")}], ${(keyBytes / 2 ** 30).toFixed(2)} GiB serialised`],
            ["compile / context / keygen s", `${compileSeconds.toFixed(2)} / ${contextSeconds.toFixed(1)} / ${keySeconds.toFixed(1)}`],
          ],
        ) +
        "\n\n" +
        mdTable(
          ["workers", "pool init s", "cold run s (encodes)", `warm median s (${runs} runs)`, "speed-up", "max abs error vs ORT", "ops per worker", "ct transfers", "peak RSS GiB"],
          rows.map((r) => [
            r.workers,
            r.initSeconds.toFixed(1),
            r.coldSeconds.toFixed(2),
            r.medianSeconds.toFixed(3),
            (base / r.medianSeconds).toFixed(2),
            r.maxAbsError.toExponential(2),
            r.opsPerWorker.join("/"),
            `${r.transfers} (${(r.transferBytes / 2 ** 20).toFixed(0)} MiB)`,
            r.peakRssGiB.toFixed(2),
          ]),
        );
      const [json, md] = writeResults(
        `linear-${v.name}${o.keyAffinity ? "-affinity" : ""}`,
        { layer: layer.id, preset: v.name, level, counts, steps: plan.program.steps, keyBytes, compileSeconds, contextSeconds, keySeconds, rows },
        body,
        prov,
      );
      log(`wrote ${json} and ${md}`);
      process.stdout.write(body + "\n");
    });
}
