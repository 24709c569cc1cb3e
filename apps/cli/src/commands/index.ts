// The command list. Add one import and one entry per command module.
import type { Command } from "commander";
import { register as profile } from "./profile.js";
import { register as heBootstrap } from "./he-bootstrap.js";

export const commands: ((program: Command) => void)[] = [profile, heBootstrap];
