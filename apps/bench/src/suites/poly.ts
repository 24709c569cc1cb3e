// `pnpm bench poly [--runs 3] [--alphas 4..14] [--samples 1000000] [--degree 31]`: @ola/poly speed.
//  * composite construction for each alpha: the degree DP plus the full-precision build
//    (compositeSign). The DP's per-degree error tables are built lazily once per process, so the
//    first pass over the alphas ("cold") is reported separately from the medians of warm runs;
//    the build from known degrees (compositeSignFromDegrees) is timed on its own too.
//  * the OLA weighted least-squares fit of GELU at degree d on N raw samples (seeded normal), and on
//    the N(0,1) density and a 2048-bin histogram for comparison.
// Writes results/poly.json and results/poly.md.
import type { Command } from "commander";
import { compositeSign, compositeSignFromDegrees, wlsFit } from "@ola/poly";
import { median, timeRuns, type Timing } from "../measure.js";
import { mdTable, provenance, writeResults } from "../results.js";

function parseRange(name: string, raw: string, min: number, max: number): number[] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(raw.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo < min || hi > max || lo > hi) throw new Error(`${name} must be N or N..M within [${min}, ${max}], got '${raw}'`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

function parseInt(name: string, raw: string, min: number, max: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got '${raw}'`);
  return v;
}

/** Seeded standard normal samples (mulberry32 + Box-Muller). */
function normalSamples(n: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

const s = (t: Timing) => t.medianSeconds.toFixed(3);

export function register(program: Command): void {
  program
    .command("poly")
    .description("@ola/poly: composite sign/ReLU construction for alpha range, WLS fit time on raw samples (medians)")
    .option("--runs <n>", "timed runs per measurement (median)", "3")
    .option("--alphas <range>", "alpha range, N..M within [4, 16]", "4..14")
    .option("--samples <n>", "raw samples for the WLS fit", "1000000")
    .option("--degree <d>", "WLS fit degree", "31")
    .action(async (o: { runs: string; alphas: string; samples: string; degree: string }) => {
      const runs = parseInt("--runs", o.runs, 1, 20);
      const alphas = parseRange("--alphas", o.alphas, 4, 16);
      const nSamples = parseInt("--samples", o.samples, 1000, 50_000_000);
      const degree = parseInt("--degree", o.degree, 1, 63);
      const prov = provenance();
      const log = (m: string) => process.stderr.write(`bench poly: ${m}\n`);

      // --- composite construction
      const composite: {
        alpha: number;
        degrees: number[];
        depth: number;
        nonScalarMultiplications: number;
        epsilonLog2: number;
        reluErrorLog2: number;
        coldSeconds: number;
        dpAndBuild: Timing;
        buildFromDegrees: Timing;
      }[] = [];
      for (const alpha of alphas) {
        log(`composite alpha=${alpha}: cold pass`);
        const t0 = performance.now();
        const cold = compositeSign(alpha);
        const coldSeconds = (performance.now() - t0) / 1000;
        const dpAndBuild = await timeRuns(`composite alpha=${alpha}`, runs, () => compositeSign(alpha), 0);
        const buildFromDegrees = await timeRuns(`build alpha=${alpha}`, runs, () => compositeSignFromDegrees(cold.degrees, cold.epsilon, alpha), 0);
        composite.push({
          alpha,
          degrees: cold.degrees,
          depth: cold.cost.depth,
          nonScalarMultiplications: cold.cost.nonScalarMultiplications,
          epsilonLog2: Math.log2(cold.epsilon),
          reluErrorLog2: Math.log2(cold.reluError),
          coldSeconds,
          dpAndBuild,
          buildFromDegrees,
        });
        log(`composite alpha=${alpha}: degrees ${cold.degrees.join(",")} cold ${coldSeconds.toFixed(2)} s, warm median ${s(dpAndBuild)} s`);
      }

      // --- WLS fit
      log(`wls: generating ${nSamples} seeded normal samples`);
      const samples = normalSamples(nSamples, 1);
      const interval: [number, number] = [-6, 6];
      const fitSamples = await timeRuns(`wls d=${degree} N=${nSamples} samples`, runs, () =>
        wlsFit({ target: "gelu", degree, interval, distribution: { kind: "samples", values: samples } }),
      );
      const fitDensity = await timeRuns(`wls d=${degree} gaussian density`, runs, () =>
        wlsFit({ target: "gelu", degree, interval, distribution: { kind: "gaussian", mean: 0, std: 1 } }),
      );
      const edges = Array.from({ length: 2049 }, (_, i) => -6 + (12 * i) / 2048);
      const counts = new Float64Array(2048);
      for (const v of samples) {
        const j = Math.floor(((v + 6) / 12) * 2048);
        if (j >= 0 && j < 2048) counts[j]! += 1;
      }
      const fitHist = await timeRuns(`wls d=${degree} histogram 2048 bins`, runs, () =>
        wlsFit({ target: "gelu", degree, interval, distribution: { kind: "histogram", edges, counts } }),
      );
      const quality = wlsFit({ target: "gelu", degree, interval, distribution: { kind: "samples", values: samples } });

      const body =
        `# @ola/poly benchmarks\n\n## Composite minimax sign / ReLU construction (medians of ${runs} warm runs)\n\n` +
        `"cold" is the first call in the process (includes building the DP's per-degree error tables for the degrees it needs);` +
        ` "DP + build" repeats compositeSign(alpha) with warm tables; "build" is compositeSignFromDegrees at the chosen degrees and eps.\n\n` +
        mdTable(
          ["alpha", "degrees (p_1 first)", "depth", "mults", "eps", "ReLU error", "cold s", "DP + build s", "build s"],
          composite.map((c) => [
            c.alpha,
            c.degrees.join(","),
            c.depth,
            c.nonScalarMultiplications,
            `2^${c.epsilonLog2.toFixed(2)}`,
            `2^${c.reluErrorLog2.toFixed(2)}`,
            c.coldSeconds.toFixed(2),
            s(c.dpAndBuild),
            s(c.buildFromDegrees),
          ]),
        ) +
        `\n\n## Weighted least squares (GELU on [-6, 6], degree ${degree}, medians of ${runs} runs)\n\n` +
        mdTable(
          ["distribution", "median s", "min s"],
          [
            [`${nSamples} raw samples (seeded N(0,1))`, s(fitSamples), fitSamples.minSeconds.toFixed(3)],
            ["N(0,1) density (512 panels x 8 Gauss-Legendre)", s(fitDensity), fitDensity.minSeconds.toFixed(3)],
            ["histogram of the samples, 2048 bins", s(fitHist), fitHist.minSeconds.toFixed(3)],
          ],
        ) +
        `\n\nFit on the raw samples: weighted RMSE ${quality.weightedRmse.toExponential(3)}, max error on the samples ${quality.maxError.toExponential(3)}.\n` +
        `Total composite median (DP + build, all alphas): ${median(composite.map((c) => c.dpAndBuild.medianSeconds)).toFixed(3)} s per alpha (median over alphas).\n`;
      const [json, md] = writeResults("poly", { composite, wls: { degree, samples: nSamples, fitSamples, fitDensity, fitHist, weightedRmse: quality.weightedRmse, maxError: quality.maxError } }, body, prov);
      log(`wrote ${json} and ${md}`);
      process.stdout.write(body + "\n");
    });
}
