// `pnpm bench optimize --model resnet20`: wall time of the whole `ola optimize` pipeline, per stage
// (profile, candidate fits, impact measurement, DP, budget screening, full validation, additivity),
// median over --runs complete runs. Issue 4's target: ResNet-20 under 10 minutes on the 2-core
// machine. The machine's load average is recorded before and after, since other jobs share it.
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import type { Command } from "commander";
import { defaultComposite, defaultFitter, defaultProfiler, optimize, type OptimizeReport } from "@ola/optimizer";
import { median } from "../measure.js";
import { mdTable, writeResults } from "../results.js";

/** Stages in pipeline order, as named in OptimizeReport.timings. */
const STAGES: [key: string, label: string][] = [
  ["profile", "profile (calibration images through the model)"],
  ["candidates", "fits (every degree x margin per site, composites)"],
  ["impact", "impact (single-site replacements on the impact set)"],
  ["dp", "DP (level-aware frontier)"],
  ["screening", "screening (exact baselines + bisection on test prefixes)"],
  ["marginFallback", "margin fallback (widened sites: impact, DP, bisection again)"],
  ["validation", "full validation (rest of both test files)"],
  ["additivity", "additivity (whole plan on the impact set)"],
];

const parseList = (name: string, raw: string): number[] =>
  raw.split(",").map((x) => {
    const v = Number(x.trim());
    if (!Number.isFinite(v)) throw new Error(`${name}: "${x}" is not a number`);
    return v;
  });

export function register(program: Command): void {
  program
    .command("optimize")
    .description("wall time of `ola optimize` per stage (profile, fits, impact, DP, validation)")
    .option("--model <name>", "model", "resnet20")
    .option("--max-drop <points>", "allowed top-1 drop", "0.5")
    .option("--degrees <list>", "candidate degrees (default: the optimiser's)")
    .option("--margins <list>", "fit-interval margins (default: the optimiser's)")
    .option("--runs <n>", "complete pipeline runs (median per stage)", "1")
    .option("--threads <n>", "onnxruntime threads", "2")
    .action(async (o: { model: string; maxDrop: string; degrees?: string; margins?: string; runs: string; threads: string }) => {
      const runs = Math.max(1, Number(o.runs) | 0);
      const threads = Math.max(1, Number(o.threads) | 0);
      const maxDrop = Number(o.maxDrop);
      if (!Number.isFinite(maxDrop) || maxDrop < 0) throw new Error(`--max-drop: "${o.maxDrop}" is not a number >= 0`);
      const loadBefore = loadavg();
      const reports: OptimizeReport[] = [];
      const walls: number[] = [];
      for (let r = 0; r < runs; r++) {
        process.stderr.write(`run ${r + 1}/${runs}: ola optimize --model ${o.model} --max-drop ${maxDrop}\n`);
        const t0 = performance.now();
        const { report } = await optimize({
          model: o.model,
          maxDrop,
          threads,
          profiler: defaultProfiler({ threads }),
          fitter: defaultFitter,
          composite: defaultComposite,
          log: (m) => process.stderr.write(`  ${m}\n`),
          ...(o.degrees ? { degrees: parseList("--degrees", o.degrees) } : {}),
          ...(o.margins ? { margins: parseList("--margins", o.margins) } : {}),
        });
        walls.push((performance.now() - t0) / 1000);
        reports.push(report);
      }
      const loadAfter = loadavg();
      const stage = (k: string) => reports.map((rep) => rep.timings[k] ?? 0);
      const rows = STAGES.map(([k, label]) => {
        const xs = stage(k);
        return [label, median(xs).toFixed(1), Math.min(...xs).toFixed(1), Math.max(...xs).toFixed(1)];
      });
      const walled = (i: number) => walls[i]! - STAGES.reduce((t, [k]) => t + (reports[i]!.timings[k] ?? 0), 0);
      const rest = walls.map((_, i) => walled(i));
      rows.push(["model loading, baseline plan, report", median(rest).toFixed(1), Math.min(...rest).toFixed(1), Math.max(...rest).toFixed(1)]);
      rows.push(["**total (wall)**", median(walls).toFixed(1), Math.min(...walls).toFixed(1), Math.max(...walls).toFixed(1)]);
      const last = reports[reports.length - 1]!;
      const measured = last.sites.reduce((n, s) => n + s.candidates.filter((c) => Number.isFinite(c.kl)).length, 0);
      const screened = last.sites.reduce((n, s) => n + s.candidates.filter((c) => c.screenKl !== undefined).length, 0);
      const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(" / ");
      const body =
        `# \`ola optimize\` wall time per stage: ${last.model.name} (median of ${runs} run${runs > 1 ? "s" : ""}, max-drop ${maxDrop})\n\n` +
        mdTable(["stage", "median s", "min s", "max s"], rows) +
        `\n\nLoad average (1/5/15 min) before: ${fmt(loadBefore)}; after: ${fmt(loadAfter)} (other jobs share this machine).\n\n` +
        `Last run: ${last.sites.length} sites; ${screened} (site, candidate) pairs compared on the margin screen, ` +
        `${measured} measured on all ${last.impactSet.images} impact images; ${last.frontier.length} frontier points, ` +
        `${last.bisection.length} screened. Result: ` +
        last.validation.map((v) => `${v.dataset} ${v.top1.toFixed(2)}% (exact ${v.baselineTop1.toFixed(2)}%, ${v.images} images)`).join("; ") +
        `; within ${maxDrop}: ${last.meetsMaxDrop ? "yes" : "no"}; predicted ${last.predicted.timeSeconds.toFixed(1)} s, ${last.predicted.bootstraps} bootstraps` +
        (last.baseline ? `; uniform alpha=${last.baseline.alpha}: ${last.baseline.timeSeconds.toFixed(1)} s (speed-up ${last.baseline.speedup.toFixed(2)}x)` : "") +
        ".\n";
      const [json, md] = writeResults(
        `optimize-${last.model.name}`,
        {
          model: last.model,
          runs,
          maxDrop,
          loadBefore,
          loadAfter,
          wallSeconds: walls,
          stageSeconds: Object.fromEntries(STAGES.map(([k]) => [k, stage(k)])),
          result: {
            validation: last.validation,
            meetsMaxDrop: last.meetsMaxDrop,
            predicted: last.predicted,
            baseline: last.baseline ?? null,
            chosen: last.sites.map((s) => ({ id: s.id, label: s.chosen.label, interval: s.chosen.interval, kl: s.chosen.kl })),
          },
        },
        body,
      );
      process.stderr.write(body + `wrote ${json} and ${md}\n`);
    });
}
