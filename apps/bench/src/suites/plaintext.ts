// `pnpm bench plaintext [--models resnet20] [--threads 1,2] [--images 1000] [--runs 5]`: plaintext onnxruntime
// throughput (images/s) per model and intra-op thread count. Images are read and normalised once, before timing;
// a run is one pass over them in batches through one session (created once per model x threads, one warm-up
// pass). Reports the median of the runs and checks top-1 against the manifest on the lossless file.
import { loadavg } from "node:os";
import type { Command } from "commander";
import { OnnxRunner, argmaxRows, loadModel, normalizeImages, openDataset } from "@ola/models";
import { timeRuns } from "../measure.js";
import { mdTable, provenance, writeResults } from "../results.js";

interface Row {
  model: string;
  threads: number;
  images: number;
  batchSize: number;
  runs: number;
  medianSeconds: number;
  imagesPerSecond: number;
  minSeconds: number;
  maxSeconds: number;
  top1: number;
  referenceTop1: number | null;
}

const intList = (name: string, raw: string, lo: number, hi: number) =>
  raw.split(",").map((s) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${name} must be integers in [${lo}, ${hi}], got '${raw}'`);
    return v;
  });

export function register(program: Command): void {
  program
    .command("plaintext")
    .description("plaintext onnxruntime images/s (median of runs) for ResNet-20 with 1 and 2 intra-op threads")
    .option("--models <names>", "comma-separated registry models", "resnet20")
    .option("--threads <list>", "intra-op thread counts", "1,2")
    .option("--dataset <name>", "dataset (the lossless file: top-1 is checked against the manifest)", "cifar10-test-lossless")
    .option("--images <n>", "images per run", "1000")
    .option("--batch-size <n>", "images per session run", "100")
    .option("--runs <n>", "timed runs (median)", "5")
    .action(async (o: { models: string; threads: string; dataset: string; images: string; batchSize: string; runs: string }) => {
      const threadList = intList("--threads", o.threads, 1, 64);
      const [images] = intList("--images", o.images, 1, 100_000);
      const [batchSize] = intList("--batch-size", o.batchSize, 1, 10_000);
      const [runs] = intList("--runs", o.runs, 1, 100);
      const prov = provenance();
      // The machine is shared: record its load, since 2 threads cannot beat 1 on a saturated 2-core box.
      const loadBefore = loadavg()[0]!;
      const rows: Row[] = [];
      for (const name of o.models.split(",")) {
        const model = await loadModel(name);
        const ds = openDataset(o.dataset);
        const batches = [...ds.batches(batchSize!, { limit: images })].map((b) => ({
          x: normalizeImages(b.images, model.normalization),
          labels: b.labels,
        }));
        const n = batches.reduce((s, b) => s + b.labels.length, 0);
        const referenceTop1 = n === ds.count ? (model.reference?.[o.dataset] ?? null) : null;
        ds.close();
        for (const threads of threadList) {
          const runner = await OnnxRunner.create(model.bytes, { threads });
          let correct = 0;
          const pass = async () => {
            correct = 0;
            for (const b of batches) {
              const out = await runner.runBatch(b.x, [b.labels.length, 3, 32, 32]);
              const pred = argmaxRows(out.data, out.dims[1]!);
              for (let i = 0; i < pred.length; i++) if (pred[i] === b.labels[i]) correct++;
            }
          };
          process.stderr.write(`bench plaintext: ${name}, ${threads} thread(s), ${n} images x ${runs} runs\n`);
          const t = await timeRuns(`${name}/${threads}`, runs!, pass, 1);
          await runner.release();
          const top1 = correct / n;
          if (referenceTop1 !== null && Math.abs(top1 - referenceTop1) > 5e-5) {
            throw new Error(`${name}: top-1 ${top1} differs from the manifest's ${referenceTop1}; the timing would be of a broken model`);
          }
          rows.push({
            model: name,
            threads,
            images: n,
            batchSize: batchSize!,
            runs: runs!,
            medianSeconds: t.medianSeconds,
            imagesPerSecond: n / t.medianSeconds,
            minSeconds: t.minSeconds,
            maxSeconds: t.maxSeconds,
            top1,
            referenceTop1,
          });
        }
      }
      const body =
        `# Plaintext inference throughput (onnxruntime-node, CPU)\n\n` +
        `Dataset \`${o.dataset}\`; images read and normalised before timing; one warm-up pass; median of ${runs} passes.\n` +
        `1-minute load average: ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (${prov.machine.cores} cores).\n\n` +
        mdTable(
          ["model", "threads", "images", "batch", "median s", "images/s", "min..max s", "top-1"],
          rows.map((r) => [
            r.model,
            r.threads,
            r.images,
            r.batchSize,
            r.medianSeconds.toFixed(3),
            r.imagesPerSecond.toFixed(0),
            `${r.minSeconds.toFixed(3)}..${r.maxSeconds.toFixed(3)}`,
            `${(100 * r.top1).toFixed(2)}%`,
          ]),
        );
      const [json, md] = writeResults("plaintext", { loadAverage: { before: loadBefore, after: loadavg()[0] }, rows }, body, prov);
      process.stderr.write(`bench plaintext: wrote ${json} and ${md}\n`);
      process.stdout.write(body + "\n");
    });
}
