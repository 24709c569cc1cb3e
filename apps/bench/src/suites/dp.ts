// `pnpm bench dp`: solve times of @ola/dp on synthetic instances shaped like ResNet-20/32
// (sites × candidate options, residual blocks, level budgets), median of several runs.
import type { Command } from "commander";
import { solveKnapsack, solveLevelAware, type KnapsackGroup, type LevelStage } from "@ola/dp";
import { timeRuns } from "../measure.js";
import { mdTable, writeResults } from "../results.js";

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A ResNet-like chain: stem conv + act, then `blocks` residual blocks (conv, act, conv | skip) + act. */
function resnetStages(blocks: number, options: number, seed: number): LevelStage[] {
  const r = rng(seed);
  const act = (): LevelStage => ({
    kind: "site",
    options: Array.from({ length: options }, (_, k) => ({
      depth: 2 + (k % 5),
      weight: r() * 0.02,
      cost: (l: number) => (1 + k / 10) * (1 + l / 12),
    })),
  });
  const conv: LevelStage = { kind: "linear", depth: 1, cost: (l: number) => 0.5 * (1 + l / 12) };
  const stages: LevelStage[] = [conv, act()];
  for (let b = 0; b < blocks; b++) {
    const downsample = b > 0 && b % (blocks / 3) === 0;
    stages.push({ kind: "residual", main: [conv, act(), conv], skip: downsample ? [conv] : [] }, act());
  }
  return stages;
}

export function register(program: Command): void {
  program
    .command("dp")
    .description("@ola/dp solve times on ResNet-20/32-shaped instances (median of --runs)")
    .option("--runs <n>", "timed runs per case", "3")
    .action(async (o: { runs: string }) => {
      const runs = Math.max(1, Number(o.runs) | 0);
      const cases: { name: string; sites: number; options: number; levels: number; bins: number; fn: () => unknown }[] = [];
      for (const [net, blocks] of [["resnet20", 9], ["resnet32", 15]] as const) {
        for (const [levels, bins] of [[12, 1000], [20, 1000], [20, 2000]] as const) {
          const stages = resnetStages(blocks, 40, 1);
          cases.push({
            name: `level-aware ${net}`,
            sites: 2 * blocks + 1,
            options: 40,
            levels,
            bins,
            fn: () => solveLevelAware({ stages, initialLevel: levels, levelsAfterBootstrap: levels, bootstrapCost: 30 }, { maxWeight: 0.3, bins }),
          });
        }
        const r = rng(2);
        const groups: KnapsackGroup[] = Array.from({ length: 2 * blocks + 1 }, () => ({
          options: Array.from({ length: 40 }, () => ({ cost: r() * 10, weight: r() * 0.02 })),
        }));
        cases.push({ name: `knapsack ${net}`, sites: groups.length, options: 40, levels: 0, bins: 4000, fn: () => solveKnapsack(groups, { maxWeight: 0.3, bins: 4000 }) });
      }
      const rows: (string | number)[][] = [];
      const results = [];
      for (const c of cases) {
        const t = await timeRuns(`${c.name} L=${c.levels} bins=${c.bins}`, runs, c.fn);
        process.stderr.write(`${t.name}: median ${t.medianSeconds.toFixed(3)} s\n`);
        results.push({ ...c, fn: undefined, timing: t });
        rows.push([c.name, c.sites, c.options, c.levels || "—", c.bins, t.medianSeconds.toFixed(3), t.minSeconds.toFixed(3), t.maxSeconds.toFixed(3)]);
      }
      const [json, md] = writeResults(
        "dp",
        { runs, cases: results },
        `# @ola/dp solve times (median of ${runs} runs, seconds)\n\nSynthetic instances: 40 options per site (depth 2–6, level-dependent costs), ` +
          `residual blocks with identity or 1-conv skips, bootstrap cost 30.\n\n` +
          mdTable(["solver", "sites", "options", "levels", "bins", "median s", "min s", "max s"], rows),
      );
      process.stderr.write(`wrote ${json} and ${md}\n`);
    });
}
