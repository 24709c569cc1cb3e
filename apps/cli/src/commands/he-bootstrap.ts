// `ola he bootstrap`: one measured CKKS bootstrap on a bootstrapping preset (encrypt random values at level
// 0, bootstrap, decrypt): min/mean precision bits, levels left, time per stage, peak RSS.
// Plugs into the `he` command of he.ts (heCommand).
import type { Command } from "commander";
import { BOOTSTRAP_PRESETS, getBootstrapPreset, runBootstrap } from "@ola/ckks-runtime";
import { parseIntArg } from "../args.js";
import { UsageError } from "../errors.js";
import { log, printJson, printText, table } from "../output.js";
import { heCommand } from "./he.js";

interface BootstrapCliOptions {
  preset: string;
  slots?: string;
  repetitions: string;
  seed: string;
  allowInsecure?: boolean;
  json?: boolean;
}

export function registerHeBootstrap(he: Command): void {
  he.command("bootstrap")
    .description("bootstrap a ciphertext of random values at level 0 and report precision, levels left, time per stage and peak RSS")
    .requiredOption("--preset <name>", `bootstrapping preset: ${Object.keys(BOOTSTRAP_PRESETS).join(", ")}`)
    .option("--slots <n>", "slots n, a power of two in [4, N/2] (default N/2; n < N/2: sparse packing with the values replicated)")
    .option("--repetitions <n>", "bootstraps on fresh random inputs (precision over all, time = median)", "1")
    .option("--seed <n>", "seed of the random message values", "1")
    .option("--allow-insecure", "allow presets below 128-bit security (the test preset boot-test-n12)")
    .option("--json", "print one JSON document on stdout")
    .action(async (o: BootstrapCliOptions) => {
      const names = Object.keys(BOOTSTRAP_PRESETS);
      if (!names.includes(o.preset)) throw new UsageError(`--preset must be one of ${names.join(", ")}, got '${o.preset}'`);
      const preset = getBootstrapPreset(o.preset);
      const full = preset.params.N / 2;
      let slots: number | undefined;
      if (o.slots !== undefined) {
        slots = parseIntArg("--slots", o.slots, 4, full);
        if (!Number.isInteger(Math.log2(slots))) throw new UsageError(`--slots must be a power of two in [4, ${full}], got ${o.slots}`);
      }
      const repetitions = parseIntArg("--repetitions", o.repetitions, 1, 100);
      const seed = parseIntArg("--seed", o.seed, 0, 2 ** 31 - 1);
      if (preset.params.insecure && !o.allowInsecure && process.env.OLA_ALLOW_INSECURE !== "1") {
        throw new UsageError(
          `preset '${o.preset}' is below 128-bit security (${preset.description}); pass --allow-insecure (or set OLA_ALLOW_INSECURE=1) to run it`,
        );
      }
      const r = await runBootstrap(preset, { repetitions, seed, slots, allowInsecure: true, progress: (s) => log(`ola he bootstrap: ${s}`) });
      const stage = (k: "modRaise" | "coeffToSlot" | "evalMod" | "slotToCoeff") => {
        const xs = r.stages.map((s) => s[k]).sort((a, b) => a - b);
        return xs[xs.length >> 1];
      };
      const doc = {
        preset: r.preset,
        slots: r.slots,
        minPrecisionBits: r.minPrecisionBits,
        meanPrecisionBits: r.meanPrecisionBits,
        levelsLeft: r.levelsLeft,
        seconds: r.seconds,
        cpuSeconds: r.cpuSeconds,
        peakRssBytes: r.peakRssBytes,
        stageSeconds: { modRaise: stage("modRaise"), coeffToSlot: stage("coeffToSlot"), evalMod: stage("evalMod"), slotToCoeff: stage("slotToCoeff") },
        N: r.N,
        hammingWeight: r.hammingWeight,
        secret: r.secret,
        evalMod: r.evalMod,
        setupSeconds: r.setup,
        rotationSteps: r.keys.rotationSteps,
        galoisKeyBytes: r.keys.galoisKeyBytes,
        plaintextBytes: r.plaintextBytes,
        wasmHeapBytes: r.wasmHeapBytes ?? null,
      };
      if (o.json) {
        printJson(doc);
        return;
      }
      printText(
        table([
          ["preset", r.preset],
          ["slots", r.slots],
          ["precision (mean / min bits)", `${r.meanPrecisionBits.toFixed(2)} / ${r.minPrecisionBits.toFixed(2)}`],
          ["levels left", r.levelsLeft],
          ["secret", r.secret === "sparse-ternary" ? `sparse ternary, h = ${r.hammingWeight}` : `dense ternary; ModRaise under an ephemeral h = ${r.hammingWeight} secret (encapsulation)`],
          ["bootstrap seconds", r.seconds.toFixed(2)],
          ["bootstrap CPU seconds", r.cpuSeconds.toFixed(2)],
          ["  ModRaise", doc.stageSeconds.modRaise.toFixed(3)],
          ["  CoeffToSlot", doc.stageSeconds.coeffToSlot.toFixed(2)],
          ["  EvalMod", doc.stageSeconds.evalMod.toFixed(2)],
          ["  SlotToCoeff", doc.stageSeconds.slotToCoeff.toFixed(2)],
          ["peak RSS", `${(r.peakRssBytes / 2 ** 30).toFixed(2)} GiB`],
          ["EvalMod", `K=${r.evalMod.K} degree ${r.evalMod.degree} r=${r.evalMod.doubleAngles} depth ${r.evalMod.depth}, failure <= 2^${r.evalMod.failureLog2.toFixed(1)}`],
          ["Galois keys", `${r.keys.rotationSteps.length} (${(r.keys.galoisKeyBytes / 2 ** 20).toFixed(0)} MiB)`],
        ]),
      );
    });
}

/** Registers `he bootstrap` under the `he` command of he.ts. */
export function register(program: Command): void {
  registerHeBootstrap(heCommand(program));
}
