// `pnpm bench encode [--preset boot-n15] [--levels 1,3,7,top] [--runs 15]`: the cost of encoding one
// linear-layer plaintext (a full slot vector at the multiplier scale a ct×pt at that level uses) with SEAL's
// encoder (encode at the top level + plainModSwitchTo: the old path) against the direct low-level encoder
// (LevelEncoder: our special FFT + SEAL's NTT at the level; alone, and in pairs sharing one NTT call, as the
// linear layers use it), next to the ct×pt it feeds. Runs are interleaved (old, new, pair, ct×pt per round) so
// that load on the machine hits all alike; medians. Writes results/encode.json|md.
import type { Command } from "commander";
import { performance } from "node:perf_hooks";
import { CkksClient, CkksContext, Evaluator, getBootstrapPreset, getPreset, slotsToCoefficients, validateParameters, type ParameterSet } from "@ola/ckks-runtime";
import { median } from "../measure.js";
import { mdTable, provenance, writeResults } from "../results.js";

const log = (s: string) => process.stderr.write(`bench encode: ${s}\n`);

function presetParams(name: string): ParameterSet {
  try {
    return getBootstrapPreset(name).params;
  } catch {
    return getPreset(name);
  }
}

interface LevelRow {
  level: number;
  primes: number;
  logScale: number;
  sealEncodeMs: number;
  directEncodeMs: number;
  directPairedMsPerPlaintext: number;
  speedUpSingle: number;
  speedUpPaired: number;
  ctPtMs: number;
  autoPath: { single: "direct" | "seal"; paired: "direct" | "seal" };
}

export function register(program: Command): void {
  program
    .command("encode")
    .description("plaintext encoding at low levels: SEAL's top-level encode + mod switch vs the direct LevelEncoder (single, paired), and the ct×pt it feeds")
    .option("--preset <name>", "parameter set (bootstrapping or plain preset)", "boot-n15")
    .option("--levels <list>", "levels to measure ('top' = the top level)", "1,3,7,top")
    .option("--runs <n>", "interleaved runs per level (median)", "15")
    .action(async (o: { preset: string; levels: string; runs: string }) => {
      const prov = provenance();
      const params = presetParams(o.preset);
      const v = validateParameters(params);
      const runs = Number(o.runs);
      if (!Number.isInteger(runs) || runs < 3 || runs > 200) throw new Error(`--runs must be an integer in [3, 200], got '${o.runs}'`);
      const levels = o.levels.split(",").map((s) => (s.trim() === "top" ? v.levels : Number(s)));
      for (const l of levels) {
        if (!Number.isInteger(l) || l < 1 || l > v.levels) throw new Error(`--levels entries must be integers in [1, ${v.levels}] or 'top', got '${o.levels}'`);
      }

      let t = performance.now();
      log(`building the ${v.name} context (N = ${v.N}, ${v.coeffModulusBits.length} primes)`);
      const ctx = await CkksContext.create(params, { allowInsecure: true });
      const contextSeconds = (performance.now() - t) / 1000;
      const client = new CkksClient(ctx);
      const ev = new Evaluator(ctx, client.evaluationKeys([]));
      const enc = ev.encoder;
      const seed = (() => {
        let a = 12345;
        return () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
      })();
      const values = Float64Array.from({ length: ctx.slots }, seed);
      const values2 = Float64Array.from({ length: ctx.slots }, seed);

      const fftMs: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        slotsToCoefficients(ctx.N, values, undefined, 2 ** 31);
        fftMs.push(performance.now() - t0);
      }

      const rows: LevelRow[] = [];
      const tmp = ctx.seal.CipherText();
      try {
        for (const level of levels) {
          log(`level ${level} (${level + 1} primes): ${runs} interleaved runs`);
          const ct = client.encrypt(values, { level });
          const scale = ev.multiplierScale(level, ct.scale);
          const sealMs: number[] = [];
          const directMs: number[] = [];
          const pairMs: number[] = [];
          const mulMs: number[] = [];
          const autoSingle = enc.usesDirect(level) ? "direct" : "seal";
          const autoPaired = enc.usesDirect(level, true) ? "direct" : "seal";
          try {
            for (let r = -1; r < runs; r++) {
              // r = -1: warm-up (templates, JIT), not recorded
              enc.path = "seal";
              let t0 = performance.now();
              const a = enc.encode(values, { level, scale });
              const tSeal = performance.now() - t0;
              enc.path = "direct";
              t0 = performance.now();
              const b = enc.encode(values, { level, scale });
              const tDirect = performance.now() - t0;
              t0 = performance.now();
              const pair = enc.encodeMany([values, values2], { level, scale });
              const tPair = (performance.now() - t0) / 2;
              t0 = performance.now();
              ev.sealEvaluator.multiplyPlain(ct.handle, b.handle, tmp);
              const tMul = performance.now() - t0;
              a.dispose();
              b.dispose();
              for (const p of pair) p.dispose();
              if (r >= 0) {
                sealMs.push(tSeal);
                directMs.push(tDirect);
                pairMs.push(tPair);
                mulMs.push(tMul);
              }
            }
          } finally {
            ct.dispose();
            enc.path = "auto";
          }
          const row: LevelRow = {
            level,
            primes: level + 1,
            logScale: Math.log2(scale),
            sealEncodeMs: median(sealMs),
            directEncodeMs: median(directMs),
            directPairedMsPerPlaintext: median(pairMs),
            speedUpSingle: median(sealMs) / median(directMs),
            speedUpPaired: median(sealMs) / median(pairMs),
            ctPtMs: median(mulMs),
            autoPath: { single: autoSingle, paired: autoPaired },
          };
          rows.push(row);
          log(
            `level ${level}: SEAL ${row.sealEncodeMs.toFixed(2)} ms, direct ${row.directEncodeMs.toFixed(2)} ms, paired ${row.directPairedMsPerPlaintext.toFixed(2)} ms/pt, ct×pt ${row.ctPtMs.toFixed(2)} ms`,
          );
        }
      } finally {
        tmp.delete();
        ev.dispose();
        client.dispose();
        ctx.dispose();
      }

      const f2 = (x: number) => x.toFixed(2);
      const body =
        `# Plaintext encoding at low levels, preset \`${v.name}\` (N = ${v.N}, ${v.coeffModulusBits.length} primes incl. P)\n\n` +
        `One full slot vector at the multiplier scale of a ct×pt at that level. **SEAL**: node-seal's CKKSEncoder at the top level + ` +
        `plainModSwitchTo (the old path). **direct**: LevelEncoder (special FFT in SEAL's slot order + SEAL's NTT at the level only, ` +
        `through a size-2 container); **paired**: two plaintexts per container NTT (Encoder.encodeMany, what the linear layers use). ` +
        `Median of ${runs} interleaved runs, milliseconds. Context ${contextSeconds.toFixed(1)} s; special FFT alone ${f2(median(fftMs))} ms.\n\n` +
        mdTable(
          ["level", "primes", "SEAL encode", "direct", "paired (per pt)", "speed-up single", "speed-up paired", "ct×pt", "auto (single / paired)"],
          rows.map((r) => [
            r.level,
            r.primes,
            f2(r.sealEncodeMs),
            f2(r.directEncodeMs),
            f2(r.directPairedMsPerPlaintext),
            `${f2(r.speedUpSingle)}x`,
            `${f2(r.speedUpPaired)}x`,
            f2(r.ctPtMs),
            `${r.autoPath.single} / ${r.autoPath.paired}`,
          ]),
        ) +
        "\n";
      const [json, md] = writeResults("encode", { preset: v.name, N: v.N, runs, contextSeconds, specialFftMs: median(fftMs), rows }, body, prov);
      log(`wrote ${json} and ${md}`);
    });
}
