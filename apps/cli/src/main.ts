#!/usr/bin/env node
// The `ola` command: composes the packages' public APIs; owns no algorithm.
// Each command lives in src/commands/<name>.ts and exports register(program).
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { ExitCode, UsageError } from "./errors.js";
import { commands } from "./commands/index.js";

export async function main(argv: string[]): Promise<number> {
  const program = new Command("ola")
    .description("OLA-TS: layerwise polynomial approximation for private CNN inference under RNS-CKKS")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv, { from: "user" });
    return ExitCode.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0) return ExitCode.ok;
      return ExitCode.usage;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`ola: ${e.message}\n`);
      return ExitCode.usage;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`ola: ${msg}\n`);
    if (process.env.OLA_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + "\n");
    return ExitCode.failure;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`ola: ${String(e)}\n`);
      process.exitCode = ExitCode.failure;
    },
  );
}
