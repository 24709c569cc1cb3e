// `pnpm bench bootstrap --preset boot-n15 [--runs 3]`: CKKS bootstrapping on stock node-seal. One process,
// one context and key set; `runs` bootstraps on fresh random inputs; reports the median time per stage,
// precision over all runs, levels left, key/diagonal memory and peak RSS. Writes results/bootstrap-<preset>.
// --two-threads: every input is bootstrapped a second time with the half worker (the second EvalMod half on a
// worker thread) right after its one-thread bootstrap: same inputs, same process, ratio of the medians, and a
// check that both give the same ciphertext bytes (results/bootstrap-<preset>-2t).
import type { Command } from "commander";
import { BOOTSTRAP_PRESETS, getBootstrapPreset, runBootstrap, type TwoThreadResult } from "@ola/ckks-runtime";
import { median } from "../measure.js";
import { mdTable, provenance, writeResults } from "../results.js";

export function register(program: Command): void {
  program
    .command("bootstrap")
    .description("CKKS bootstrapping: precision, levels left, time per stage (median), peak RSS")
    .option("--preset <name>", `bootstrapping preset: ${Object.keys(BOOTSTRAP_PRESETS).join(", ")}`, "boot-n15")
    .option("--runs <n>", "bootstraps on fresh random inputs (median time)", "3")
    .option("--seed <n>", "seed of the random messages", "1")
    .option("--diagonal-budget <GiB>", "precomputed CoeffToSlot/SlotToCoeff diagonals kept in JS memory (the rest are finished right before use)", "1")
    .option("--two-threads", "also bootstrap each input on two threads (half worker) and compare (full-slot presets)")
    .action(async (o: { preset: string; runs: string; seed: string; twoThreads?: boolean; diagonalBudget: string }) => {
      const budgetGiB = Number(o.diagonalBudget);
      if (!(budgetGiB >= 0 && budgetGiB <= 16)) throw new Error(`--diagonal-budget must be a number of GiB in [0, 16], got '${o.diagonalBudget}'`);
      const preset = getBootstrapPreset(o.preset);
      const runs = Number(o.runs);
      if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be an integer in [1, 50], got '${o.runs}'`);
      const prov = provenance();
      const r = await runBootstrap(preset, {
        repetitions: runs,
        seed: Number(o.seed),
        allowInsecure: true,
        progress: (s) => process.stderr.write(`bench bootstrap: ${s}\n`),
        compareTwoThreads: Boolean(o.twoThreads),
        plaintextBudgetBytes: budgetGiB * 2 ** 30,
      });
      const med = (k: "modRaise" | "coeffToSlot" | "evalMod" | "slotToCoeff" | "total") => median(r.stages.map((s) => s[k]));
      const gib = (b: number) => (b / 2 ** 30).toFixed(2);
      const body =
        `# Bootstrapping, preset \`${r.preset}\`\n\n${preset.description}\n\n` +
        mdTable(
          ["quantity", "value"],
          [
            ["N / slots", `${r.N} / ${r.slots}`],
            [
              "secret",
              r.secret === "sparse-ternary"
                ? `sparse ternary, h = ${r.hammingWeight}`
                : `dense uniform ternary (128-bit at log QP = ${preset.params.coeffModulusBits.reduce((a, b) => a + b, 0)}, HE standard); ModRaise under an ephemeral h = ${r.hammingWeight} secret (sparse-secret encapsulation; keys ${gib(r.keys.encapsulationKeyBytes)} GiB)`,
            ],
            ["EvalMod", `K = ${r.evalMod.K}, degree ${r.evalMod.degree}, r = ${r.evalMod.doubleAngles}, depth ${r.evalMod.depth}; failure <= 2^${r.evalMod.failureLog2.toFixed(1)}/bootstrap; approx. error 2^${r.evalMod.approxErrorLog2.toFixed(1)}`],
            ["mean precision (bits)", r.meanPrecisionBits.toFixed(2)],
            ["min precision (bits)", r.minPrecisionBits.toFixed(2)],
            ["levels left", r.levelsLeft],
            [`bootstrap seconds (median of ${runs})`, med("total").toFixed(2)],
            ["bootstrap CPU seconds (median; single-threaded)", r.cpuSeconds.toFixed(2)],
            ["ModRaise s", med("modRaise").toFixed(3)],
            ["CoeffToSlot s", med("coeffToSlot").toFixed(2)],
            ["EvalMod s", med("evalMod").toFixed(2)],
            ["SlotToCoeff s", med("slotToCoeff").toFixed(2)],
            ["setup s (context / keys / diagonals)", `${r.setup.contextSeconds.toFixed(1)} / ${r.setup.keySeconds.toFixed(1)} / ${r.setup.precomputeSeconds.toFixed(1)}`],
            [
              "Galois keys",
              `${r.keys.rotationSteps.length} steps [${r.keys.rotationSteps.join(", ")}]` +
                (r.keys.extraSteps.length > 0 ? ` + ${r.keys.extraSteps.length} for the half worker's baby-step jumps [${r.keys.extraSteps.join(", ")}]` : "") +
                `, ${gib(r.keys.galoisKeyBytes)} GiB serialised`,
            ],
            ["Galois key reloads into the wasm heap per bootstrap (median)", `${r.keyReloads.loads} (${r.keyReloads.seconds.toFixed(2)} s)`],
            ["diagonals in JS memory", `${gib(r.plaintextBytes)} GiB (budget ${budgetGiB} GiB for NTT-form diagonals; the rest kept as coefficients and finished right before use)`],
            ["wasm heap", r.wasmHeapBytes ? `${gib(r.wasmHeapBytes)} GiB` : "n/a"],
            ["peak RSS", `${gib(r.peakRssBytes)} GiB`],
          ],
        ) +
        (r.twoThreads ? twoThreadTable(r.twoThreads, med("total"), med("evalMod"), runs) : "");
      const suffix = `${budgetGiB !== 1 ? `-diag${budgetGiB}g` : ""}${r.twoThreads ? "-2t" : ""}`;
      const [json, md] = writeResults(`bootstrap-${r.preset}${suffix}`, { result: r, diagonalBudgetGiB: budgetGiB }, body, prov);
      process.stderr.write(`bench bootstrap: wrote ${json} and ${md}\n`);
      process.stdout.write(body + "\n");
    });
}

function twoThreadTable(t: TwoThreadResult, oneTotal: number, oneEvalMod: number, runs: number): string {
  const m = (k: "coeffToSlot" | "evalMod" | "slotToCoeff" | "total") => median(t.stages.map((s) => s[k]));
  return (
    `\n## Two threads per bootstrap (half worker)\n\n` +
    `Each input was bootstrapped on one thread and then on two, in the same process; medians of ${runs}. ` +
    (t.workerTakesCoeffToSlot
      ? `The worker thread evaluated CoeffToSlot's second output (from the baby steps) and its EvalMod half; CoeffToSlot is timed until this thread's first output is ready, the rest as EvalMod. `
      : `The worker thread ran the second EvalMod half; CoeffToSlot's final Re(·) runs inside the halves and is timed as EvalMod. `) +
    (t.workerParts.giantChains > 0 ? `It also ran the negative giant-step chain of ${t.workerParts.giantChains} single-output DFT levels (CoeffToSlot's levels before the last, SlotToCoeff's). ` : "") +
    (t.workerParts.slotToCoeffBabySteps ? `It answered its half as SlotToCoeff's baby steps (computed while this thread computed its own). ` : "") +
    (t.workerParts.babySplits > 0 ? `It computed the upper baby steps of ${t.workerParts.babySplits} single-input DFT levels (from a jump rotation; both threads then use the jumps). ` : "") +
    `Each input then ran again on two threads with the worker's basic parts only, for comparison. ` +
    `CPU seconds count both threads.\n\n` +
    mdTable(
      ["quantity", "one thread", "two threads"],
      [
        ["bootstrap seconds (median)", oneTotal.toFixed(2), m("total").toFixed(2)],
        [
          "bootstrap seconds, worker's basic parts only (CoeffToSlot's second output + EvalMod half; median)",
          "",
          `${t.basicParts.seconds.toFixed(2)} (one thread / basic ${(oneTotal / t.basicParts.seconds).toFixed(3)}x; basic / all parts ${(t.basicParts.seconds / t.seconds).toFixed(3)}x)`,
        ],
        [t.workerTakesCoeffToSlot ? "EvalMod s (two threads: with CoeffToSlot's second output)" : "EvalMod s (two threads: with CoeffToSlot's Re)", oneEvalMod.toFixed(2), m("evalMod").toFixed(2)],
        ["CoeffToSlot s / SlotToCoeff s", "", `${m("coeffToSlot").toFixed(2)} / ${m("slotToCoeff").toFixed(2)}`],
        ["process CPU seconds (median)", "", t.cpuSeconds.toFixed(2)],
        ["Galois key reloads of this thread per bootstrap (median)", "", `${t.keyReloads.loads} (${t.keyReloads.seconds.toFixed(2)} s)`],
        ["speed-up (wall, one / two threads)", "", `${t.speedup.toFixed(3)}x`],
        ["same ciphertext bytes as one thread", "", t.identical && t.basicParts.identical ? "yes, every run (both modes)" : "NO"],
        ["worker start (context + keys) s", "", t.workerInitSeconds.toFixed(1)],
      ],
    )
  );
}
