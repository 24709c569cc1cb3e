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
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import {
  BOOTSTRAP_PRESETS,
  HeInferenceSession,
  compileHeProgram,
  getPreset,
  peakRssBytes,
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
}

const say = (s: string) => process.stderr.write(`bench reproduce: ${s}\n`);

interface PlanSide {
  name: "uniform" | "ola";
  plan: Plan;
  programs: Map<string, PolyProgram>;
  program?: HeProgram;
  top1: Record<string, number>;
  encrypted: { image: number; seconds: number; byKind: RunReport["byKind"]; bootstraps: number; maxAbsError: number; argmaxAgrees?: boolean }[];
}

function bootstrapSecondsFromResults(preset: string): number | undefined {
  const f = join(resultsDir, `bootstrap-${preset}.json`);
  if (!existsSync(f)) return undefined;
  try {
    const d = JSON.parse(readFileSync(f, "utf8")) as { result?: { seconds?: number } };
    return d.result?.seconds;
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

export function register(program: Command): void {
  program
    .command("reproduce")
    .argument("<model>", "resnet20 or resnet32")
    .description("uniform alpha=13 vs OLA plan: bootstraps, predicted and measured encrypted time, plaintext top-1, encrypted argmax agreement")
    .option("--preset <name>", `bootstrapping preset for compilation and --encrypted full (${Object.keys(BOOTSTRAP_PRESETS).join(", ")})`, "boot-n15-cnn")
    .option("--prefix-preset <name>", "leveled preset of --encrypted prefix", "n15")
    .option("--ola-plan <file>", "an OLA plan.json (default: run optimize() with the preset's level model)")
    .option("--encrypted <mode>", "full | prefix | none", "prefix")
    .option("--runs <n>", "interleaved encrypted runs per plan (median)", "2")
    .option("--images <n>", "images of the lossless test file run encrypted (full mode)", "1")
    .option("--top1-limit <n>", "images per test file for plaintext top-1 (default all)")
    .option("--calib <n>", "optimize(): calibration images", "256")
    .option("--impact <n>", "optimize(): impact images", "128")
    .option("--validation-limit <n>", "optimize(): validation images per file", "2000")
    .option("--ola-levels <n>", "levels per bootstrap of the optimiser's level model when it makes the OLA plan (default 7: its analytic N=2^15 model, and the 7 application levels of boot-n15-cnn)", "7")
    .option("--bootstrap-seconds <s>", "seconds per bootstrap for predictions (default: results/bootstrap-<preset>.json, else analytic)")
    .action(async (modelName: string, o: ReproduceOptions) => {
      if (modelName !== "resnet20" && modelName !== "resnet32") throw new Error(`model must be resnet20 or resnet32, got '${modelName}'`);
      const bp = BOOTSTRAP_PRESETS[o.preset];
      if (!bp) throw new Error(`--preset must be one of ${Object.keys(BOOTSTRAP_PRESETS).join(", ")}, got '${o.preset}'`);
      if (!["full", "prefix", "none"].includes(o.encrypted)) throw new Error(`--encrypted must be full, prefix or none, got '${o.encrypted}'`);
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
      let ola: Plan;
      if (o.olaPlan) ola = readPlan(o.olaPlan);
      else {
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
      writePlan(join(resultsDir, "plans", `${modelName}-uniform-alpha13.plan.json`), uniform);
      writePlan(join(resultsDir, "plans", `${modelName}-ola.plan.json`), ola);
      const sides: PlanSide[] = [
        { name: "uniform", plan: uniform, programs: new Map(planPrograms(uniform).map((p) => [p.siteId, p.program as unknown as PolyProgram])), top1: {}, encrypted: [] },
        { name: "ola", plan: ola, programs: new Map(planPrograms(ola).map((p) => [p.siteId, p.program as unknown as PolyProgram])), top1: {}, encrypted: [] },
      ];

      // 2. compile
      const slots = bp.params.N / 2;
      const costTable = { ...(costModel as unknown as { table: Parameters<typeof compileHeProgram>[3]["costTable"] }).table!, bootstrapSeconds: costModel.bootstrapSeconds };
      for (const s of sides) {
        say(`compiling the ${s.name} plan for ${o.preset} (${slots} slots, ${L} levels per refresh)`);
        s.program = compileHeProgram(graph, sites, s.programs, { slots, levelsAfterBootstrap: L, costTable, model: modelName });
        say(`${s.name}: ${s.program.summary.bootstraps} bootstraps, predicted ${s.program.summary.predictedSeconds.toFixed(0)} s`);
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
      const lossless = openDataset("cifar10-test-lossless");
      if (o.encrypted === "full") {
        const nImages = Number(o.images);
        // one session (context, keys, bootstrapper) for both plans: same linear layers, same bootstrapper
        const sessions = new Map<string, HeInferenceSession>();
        try {
          const shared = await HeInferenceSession.create(sides[0]!.program!, { bootstrapPreset: bp, allowInsecure: true, log: say });
          for (const s of sides) sessions.set(s.name, shared);
          for (let i = 0; i < nImages; i++) {
            const img = normalizeImages(lossless.image(i), model.normalization);
            for (const s of sides) {
              const plainBytes = replaceActivations(bytes, sites.map((x) => ({ siteId: x.id, program: s.programs.get(x.id)! })));
              const r = await OnnxRunner.create(plainBytes, { threads: 1 });
              const plain = (await r.runBatch(img, [1, 3, 32, 32])).data;
              await r.release();
              say(`encrypted ${s.name}, image ${i}`);
              const { values, report } = sessions.get(s.name)!.run(s.program!, img, {
                onStep: (t, d, tot) => say(`${s.name} image ${i}: step ${d}/${tot} ${t.kind} ${t.name.slice(0, 40)} ${t.seconds.toFixed(1)} s`),
              });
              const err = Math.max(...Array.from(values, (v, j) => Math.abs(v - plain[j]!)));
              const am = (a: ArrayLike<number>) => Array.from(a).indexOf(Math.max(...Array.from(a)));
              s.encrypted.push({ image: i, seconds: report.seconds, byKind: report.byKind, bootstraps: report.bootstraps, maxAbsError: err, argmaxAgrees: am(values) === am(plain) });
            }
          }
        } finally {
          sessions.get("uniform")?.dispose();
        }
        encryptedNote = `full end-to-end images on ${o.preset}`;
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
      const predictedSpeedup = U.program!.summary.predictedSeconds / O.program!.summary.predictedSeconds;
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
        })),
        predictedSpeedup,
        encrypted: { mode: o.encrypted, note: encryptedNote, prefix: prefix ?? null, measuredSpeedup: Number.isFinite(measuredSpeedup) ? measuredSpeedup : null },
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
            ["  of which activations (median)", f2(med(U, (e) => e.byKind.activation)), f2(med(O, (e) => e.byKind.activation))],
            ["  of which linear layers (median)", f2(med(U, (e) => e.byKind.conv)), f2(med(O, (e) => e.byKind.conv))],
            ["max abs error vs plaintext simulation", ex(Math.max(...U.encrypted.map((e) => e.maxAbsError))), ex(Math.max(...O.encrypted.map((e) => e.maxAbsError)))],
          ],
        ) +
        `\n\nPredicted speed-up (compiled programs x cost model): **${f2(predictedSpeedup)}x**. ` +
        `Measured speed-up of the encrypted runs (${encryptedNote}): **${f2(measuredSpeedup)}x**.\n`;
      const [jp] = writeResults(`reproduce-${modelName}`, data, body, prov);
      const svg = svgChart(
        `${modelName}: uniform alpha=13 vs OLA (encrypted, ${o.preset})`,
        [
          { label: "uniform predicted", value: U.program!.summary.predictedSeconds, note: `${f2(U.program!.summary.predictedSeconds)} s, ${U.program!.summary.bootstraps} bootstraps` },
          { label: "OLA predicted", value: O.program!.summary.predictedSeconds, note: `${f2(O.program!.summary.predictedSeconds)} s, ${O.program!.summary.bootstraps} bootstraps` },
        ],
        "predicted seconds per image (measured prefix and top-1 in the .md/.json)",
        prov.command,
      );
      const { writeFileSync, renameSync } = await import("node:fs");
      const svgPath = join(resultsDir, `reproduce-${modelName}.svg`);
      writeFileSync(`${svgPath}.tmp`, svg);
      renameSync(`${svgPath}.tmp`, svgPath);
      say(`wrote ${jp}, .md and .svg`);
    });
}
