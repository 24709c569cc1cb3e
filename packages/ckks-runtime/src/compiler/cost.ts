// Predicted seconds of an HeProgram: op counts per level x a per-level cost table (INTERFACES §4,
// structural copy: @ola/ckks-runtime must not import @ola/optimizer). A step's ops are priced at the level
// they run at; a bootstrap at table.bootstrapSeconds.
import type { HeStep, OpsByLevel, StepOps } from "./he-program.js";

export interface CostTableLike {
  preset: string;
  N: number;
  levels: { level: number; primes: number; seconds: { mulRelin: number; rescale: number; mulPlain: number; mulConst: number; add: number; rotate: number } }[];
  bootstrapSeconds?: number;
  levelsAfterBootstrap?: number;
}

/** Seconds of `ops` at `level` (the table row with level+1 primes, clamped to the table). */
export function opsSeconds(table: CostTableLike, level: number, ops: StepOps): number {
  const rows = table.levels;
  const want = level + 1;
  let row = rows[0]!;
  for (const r of rows) if (Math.abs(r.primes - want) < Math.abs(row.primes - want)) row = r;
  const s = row.seconds;
  return ops.rotate * s.rotate + ops.mulPlain * s.mulPlain + ops.mulRelin * s.mulRelin + ops.mulConst * s.mulConst + ops.rescale * s.rescale + ops.add * s.add;
}

/** Sets predictedSeconds on every step; returns the total. Without a table everything is 0. */
export function priceSteps(steps: HeStep[], opsByStep: ReadonlyMap<number, OpsByLevel>, table?: CostTableLike): number {
  if (!table) return 0;
  if (table.levels.length === 0) throw new Error(`cost table '${table.preset}' has no levels`);
  const boot = table.bootstrapSeconds ?? 0;
  let total = 0;
  for (const s of steps) {
    let t = 0;
    for (const [level, ops] of opsByStep.get(s.index) ?? []) t += opsSeconds(table, level, ops);
    if (s.kind === "bootstrap") t += boot;
    if (s.kind === "activation") {
      s.predictedBootstrapSeconds = s.innerBootstraps.length * boot;
      t += s.predictedBootstrapSeconds;
    }
    s.predictedSeconds = t;
    total += t;
  }
  return total;
}
