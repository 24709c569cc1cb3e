// The command list. Add one import and one entry per command module.
import type { Command } from "commander";
import { register as profile } from "./profile.js";
import { register as he } from "./he.js";
import { register as heBootstrap } from "./he-bootstrap.js";
import { register as heLayer } from "./he-layer.js";
import { register as models } from "./models.js";
import { register as evalCommand } from "./eval.js";
import { register as compile } from "./compile.js";
import { register as infer } from "./infer.js";
import { register as approx } from "./approx.js";
import { register as optimize } from "./optimize.js";

export const commands: ((program: Command) => void)[] = [profile, he, heBootstrap, heLayer, models, evalCommand, compile, infer, approx, optimize];
