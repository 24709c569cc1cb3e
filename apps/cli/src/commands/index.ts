// The command list. Add one import and one entry per command module.
import type { Command } from "commander";

export const commands: ((program: Command) => void)[] = [];
