// The benchmark suites. Add one import and one entry per suite module; each registers
// a sub-command of `pnpm bench` (apps/bench/src/main.ts).
import type { Command } from "commander";

export const suites: ((program: Command) => void)[] = [];
