// `pnpm bench ckks`: the leveled CKKS engine at a production preset (default n15, N = 2^15, 880 bits):
// calibrates the per-level cost table, evaluates polynomials on encrypted random inputs (degree 15 and 63
// Chebyshev fits, the depth-15 composite ReLU shape of alpha = 13), and compares measured program times
// with the cost model's predictions. Targets: precision >= 20 bits at degree 15; prediction within ±15%.
import { performance } from "node:perf_hooks";
import type { Command } from "commander";
import {
  calibrate,
  CkksSession,
  cpuSeconds,
  estimateProgramSeconds,
  evaluateProgram,
  getPreset,
  precisionBits,
  wasmHeapBytes,
  type PolyProgram,
} from "@ola/ckks-runtime";
import { chebyshevInterpolant, compileChebyshev, compileCompositeRelu, gelu, relu, runProgram } from "@ola/poly";
import { median } from "../measure.js";
import { mdTable, provenance, resultsDir, writeResults } from "../results.js";
import { writeFileSync, renameSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";

interface CkksBenchOptions {
  clock: string;
  preset: string;
  runs: string;
  repeats: string;
}


function uniform(n: number, a: number, b: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = a + (b - a) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

const GiB = 2 ** 30;

export function register(program: Command): void {
  program
    .command("ckks")
    .description("CKKS engine at n15: cost-table calibration, encrypted polynomial precision, cost-model prediction vs measured")
    .option("--preset <name>", "parameter set", "n15")
    .option("--runs <n>", "timed evaluations per polynomial (median)", "3")
    .option("--repeats <n>", "repeats per primitive and level in the calibration (median)", "5")
    .option("--clock <kind>", "cpu (process CPU time; robust on a shared machine) or wall", "cpu")
    .action(async (o: CkksBenchOptions) => {
      const params = getPreset(o.preset);
      const runs = Math.max(1, Number(o.runs) | 0);
      if (o.clock !== "cpu" && o.clock !== "wall") throw new Error(`--clock must be cpu or wall, got '${o.clock}'`);
      const clock = o.clock;
      const repeats = Math.max(1, Number(o.repeats) | 0);
      const log = (s: string) => process.stderr.write(`bench ckks: ${s}\n`);
      let t0 = performance.now();
      log(`building context and keys for ${params.name} (N = ${params.N}) ...`);
      const s = await CkksSession.create(params, { rotations: [1] });
      const setupSeconds = (performance.now() - t0) / 1000;
      log(`setup ${setupSeconds.toFixed(1)} s, wasm heap ${((wasmHeapBytes() ?? 0) / GiB).toFixed(2)} GiB`);
      try {
        t0 = performance.now();
        const table = calibrate(s.evaluator, s.client, {
          repeats,
          clock,
          onProgress: (done, total, level) => log(`calibrated level ${level} (${done}/${total})`),
        });
        const calibrateSeconds = (performance.now() - t0) / 1000;
        mkdirSync(resultsDir, { recursive: true });
        const costsPath = join(resultsDir, `ckks-costs-${params.name}.json`);
        writeFileSync(costsPath + ".tmp", JSON.stringify(table, null, 2) + "\n");
        renameSync(costsPath + ".tmp", costsPath);

        const scales = s.ctx.levels.map((l) => l.canonicalScale);
        const cases: { name: string; program: PolyProgram; interval: [number, number]; reference: (x: number) => number }[] = [
          { name: "relu deg 15 on [-8,8]", program: compileChebyshev(chebyshevInterpolant(relu, 15, -8, 8)), interval: [-8, 8], reference: relu },
          { name: "gelu deg 15 on [-8,8]", program: compileChebyshev(chebyshevInterpolant(gelu, 15, -8, 8)), interval: [-8, 8], reference: gelu },
          { name: "relu deg 63 on [-8,8]", program: compileChebyshev(chebyshevInterpolant(relu, 63, -8, 8)), interval: [-8, 8], reference: relu },
          {
            name: "composite ReLU (15,15,27) on [-40,40]",
            program: compileCompositeRelu(
              [
                chebyshevInterpolant((x) => Math.tanh(3 * x), 15, -1, 1),
                chebyshevInterpolant((x) => Math.tanh(3 * x) / Math.tanh(3), 15, -1, 1),
                chebyshevInterpolant((x) => Math.tanh(4 * x) / Math.tanh(4), 27, -1, 1),
              ],
              40,
              { odd: true },
            ),
            interval: [-40, 40],
            reference: relu,
          },
        ];
        const rows = [];
        for (const [ci, c] of cases.entries()) {
          const xs = uniform(s.ctx.slots, c.interval[0], c.interval[1], 11 + ci);
          const want = runProgram(c.program, xs);
          const times: number[] = [];
          const wallTimes: number[] = [];
          let bits = Infinity;
          let levelsUsed = 0;
          for (let r = 0; r < runs; r++) {
            const ct = s.client.encrypt(xs);
            try {
              const c0 = cpuSeconds();
              const { result, report } = evaluateProgram(s.evaluator, c.program, ct);
              const cpu = cpuSeconds() - c0;
              times.push(clock === "cpu" ? cpu : report.seconds);
              wallTimes.push(report.seconds);
              levelsUsed = report.levelsUsed;
              bits = Math.min(bits, precisionBits(s.client.decrypt(result), want));
              result.dispose();
            } finally {
              ct.dispose();
            }
          }
          const predicted = estimateProgramSeconds(c.program, s.ctx.topLevel, table, { canonicalScales: scales });
          const measured = median(times);
          const row = {
            name: c.name,
            depth: c.program.cost.depth,
            levelsUsed,
            nonScalarMultiplications: c.program.cost.nonScalarMultiplications,
            scalarMultiplications: c.program.cost.scalarMultiplications,
            precisionBits: bits,
            measuredSeconds: measured,
            samplesSeconds: times,
            wallSecondsMedian: median(wallTimes),
            predictedSeconds: predicted,
            predictionError: predicted / measured - 1,
          };
          log(`${c.name}: ${bits.toFixed(2)} bits, ${measured.toFixed(3)} s measured, ${predicted.toFixed(3)} s predicted (${(row.predictionError * 100).toFixed(1)}%)`);
          rows.push(row);
        }
        const peakRssBytes = process.resourceUsage().maxRSS * 1024;
        const deg15 = rows.filter((r) => r.name.includes("deg 15"));
        const checks = {
          precisionAtLeast20BitsDegree15: deg15.every((r) => r.precisionBits >= 20),
          predictionWithin15Percent: rows.every((r) => Math.abs(r.predictionError) <= 0.15),
        };
        const top = table.levels[table.levels.length - 1]!.seconds;
        const md =
          `## CKKS engine, preset ${params.name} (N = ${params.N}, ${params.coeffModulusBits.length} primes)\n\n` +
          `Times are ${clock === "cpu" ? "process CPU seconds (the machine is shared; SEAL is single-threaded, so CPU time equals wall time on an idle machine)" : "wall-clock seconds"}; ` +
          `load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(", ")}.\n\n` +
          `Setup (context + keys): ${setupSeconds.toFixed(1)} s; calibration (${table.levels.length} levels x ${repeats} repeats): ${calibrateSeconds.toFixed(1)} s; ` +
          `peak RSS ${(peakRssBytes / GiB).toFixed(2)} GiB; wasm heap ${((wasmHeapBytes() ?? 0) / GiB).toFixed(2)} GiB.\n\n` +
          `Top level (${table.levels.length} data primes): mul+relin ${(top.mulRelin * 1000).toFixed(1)} ms, rescale ${(top.rescale * 1000).toFixed(1)} ms, ` +
          `rotate ${(top.rotate * 1000).toFixed(1)} ms, mulPlain ${(top.mulPlain * 1000).toFixed(2)} ms, mulConst ${(top.mulConst * 1000).toFixed(2)} ms, add ${(top.add * 1000).toFixed(2)} ms.\n\n` +
          mdTable(
            ["polynomial", "depth", "ct x ct", "scalar", "precision (bits)", `measured ${clock} s (median)`, "predicted s", "error", "wall s (median)"],
            rows.map((r) => [r.name, r.depth, r.nonScalarMultiplications, r.scalarMultiplications, r.precisionBits.toFixed(2), r.measuredSeconds.toFixed(3), r.predictedSeconds.toFixed(3), `${(r.predictionError * 100).toFixed(1)}%`, r.wallSecondsMedian.toFixed(3)]),
          ) +
          `\n\nChecks: precision >= 20 bits at degree 15: ${checks.precisionAtLeast20BitsDegree15 ? "PASS" : "FAIL"}; ` +
          `prediction within ±15%: ${checks.predictionWithin15Percent ? "PASS" : "FAIL"}.\n` +
          `Cost table: results/ckks-costs-${params.name}.json.\n`;
        const [json, mdPath] = writeResults(
          "ckks",
          { preset: params.name, N: params.N, runs, repeats, clock, loadAverage: loadavg(), setupSeconds, calibrateSeconds, peakRssBytes, wasmHeapBytes: wasmHeapBytes() ?? null, checks, polynomials: rows, costTable: table },
          md,
          provenance(),
        );
        log(`wrote ${json} and ${mdPath}`);
        process.stdout.write(md);
        if (!checks.precisionAtLeast20BitsDegree15 || !checks.predictionWithin15Percent) process.exitCode = 1;
      } finally {
        s.dispose();
      }
    });
}
