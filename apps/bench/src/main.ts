#!/usr/bin/env node
// `pnpm bench <suite> [options]`: benchmarks and reproductions of the paper's tables.
// Results land in apps/bench/results/ with the command, commit and machine that made them.
import { Command } from "commander";
import { suites } from "./suites/index.js";

const program = new Command("bench").description("OLA-TS benchmarks and paper reproductions");
for (const register of suites) register(program);
program.parseAsync(process.argv.slice(2), { from: "user" }).catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
