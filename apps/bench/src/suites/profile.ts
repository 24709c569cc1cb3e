// `pnpm bench profile`: throughput of @ola/profile's profiler on a model, against a baseline
// measured in the same process: the same onnxruntime runs (same exposed outputs, same batches)
// without the statistics. The difference is the cost of the streaming statistics.
import type { Command } from "commander";
import { OnnxRunner, exposeTensors, findActivationSites, loadModel, normalizeImages, openDataset, selectIndices } from "@ola/models";
import { profileModel } from "@ola/profile";
import { timeRuns } from "../measure.js";
import { mdTable, writeResults } from "../results.js";

export function register(program: Command): void {
  program
    .command("profile")
    .description("profiler throughput vs plain onnxruntime inference with the same exposed outputs")
    .option("--model <name>", "model", "resnet20")
    .option("--images <n>", "calibration images", "500")
    .option("--batch-size <n>", "images per run", "50")
    .option("--runs <n>", "timed runs", "3")
    .action(async (o: { model: string; images: string; batchSize: string; runs: string }) => {
      const images = Number(o.images) | 0;
      const batchSize = Number(o.batchSize) | 0;
      const runs = Math.max(1, Number(o.runs) | 0);
      const model = await loadModel(o.model);
      const sites = findActivationSites(model.graph);
      const tensors = [...new Set(sites.map((s) => s.inputTensor))];
      const runner = await OnnxRunner.create(exposeTensors(model.bytes, tensors));
      const ds = openDataset("cifar10-train");
      const idx = selectIndices(ds.count, { limit: images, seed: 0 });
      let values = 0;
      const baseline = await timeRuns("onnxruntime only", runs, async () => {
        values = 0;
        for (const b of ds.batches(batchSize, idx)) {
          const out = await runner.run({ [runner.inputNames[0]!]: { data: normalizeImages(b.images, model.normalization), dims: [b.labels.length, 3, 32, 32] } }, tensors);
          for (const t of tensors) values += out[t]!.data.length;
        }
      });
      await runner.release();
      ds.close();
      const full = await timeRuns("profileModel", runs, () => profileModel(model, { images, batchSize, seed: 0 }));
      const statsNsPerValue = ((full.medianSeconds - baseline.medianSeconds) / values) * 1e9;
      const rows = [baseline, full].map((t) => [t.name, t.medianSeconds.toFixed(2), (images / t.medianSeconds).toFixed(1)]);
      const body =
        `# Profiler throughput: ${model.name}, ${images} images of cifar10-train, batches of ${batchSize} (median of ${runs} runs)\n\n` +
        mdTable(["run", "median s", "images/s"], rows) +
        `\n\n${sites.length} sites, ${values} activation values per pass; statistics cost ≈ ${statsNsPerValue.toFixed(1)} ns per value ` +
        `(difference of the medians).\n`;
      const [json, md] = writeResults(`profile-${model.name}`, { model: model.name, images, batchSize, runs, values, baseline, profile: full, statsNsPerValue }, body);
      process.stderr.write(body + `wrote ${json} and ${md}\n`);
    });
}
