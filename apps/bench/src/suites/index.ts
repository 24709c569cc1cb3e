// The benchmark suites. Add one import and one entry per suite module; each registers
// a sub-command of `pnpm bench` (apps/bench/src/main.ts).
import type { Command } from "commander";
import { register as dp } from "./dp.js";
import { register as profile } from "./profile.js";
import { register as bootstrap } from "./bootstrap.js";
import { register as linear } from "./linear.js";
import { register as ckks } from "./ckks.js";
import { register as plaintext } from "./plaintext.js";
import { register as convnext } from "./convnext.js";
import { register as reproduce } from "./reproduce.js";
import { register as poly } from "./poly.js";
import { register as optimize } from "./optimize.js";
import { register as encode } from "./encode.js";
import { register as levels } from "./levels.js";

export const suites: ((program: Command) => void)[] = [dp, profile, bootstrap, linear, plaintext, ckks, reproduce, poly, convnext, optimize, encode, levels];
