// Where the reference data lives: OLA_DATA, else ../shared/ola-data relative to the repository root.
// The root is found by walking up to pnpm-workspace.yaml (from this module, then from the cwd), so the
// default works from sources (tests), from dist/ (the built CLI) and from any working directory.
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DataMissingError } from "./errors.js";

function walkUpFor(start: string, marker: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, marker))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The monorepo root (folder with pnpm-workspace.yaml); falls back to the current directory. */
export function findRepoRoot(): string {
  let here: string | undefined;
  try {
    here = dirname(fileURLToPath(import.meta.url));
  } catch {
    here = undefined;
  }
  return (
    (here && walkUpFor(here, "pnpm-workspace.yaml")) ?? walkUpFor(process.cwd(), "pnpm-workspace.yaml") ?? process.cwd()
  );
}

/**
 * The data folder: `$OLA_DATA` if set (relative paths resolve against the cwd), else
 * `<repo root>/../shared/ola-data`. Does not check that it exists; `dataFile` does.
 */
export function resolveDataDir(): string {
  const env = process.env.OLA_DATA;
  if (env && env.trim() !== "") return resolve(env);
  return resolve(findRepoRoot(), "..", "shared", "ola-data");
}

/** Absolute path of a file inside the data folder; throws DataMissingError naming it if absent. */
export function dataFile(relativePath: string, what = "data file"): string {
  const dir = resolveDataDir();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DataMissingError(dir, `data folder (needed for ${relativePath})`);
  }
  const p = join(dir, relativePath);
  if (!existsSync(p)) throw new DataMissingError(p, what);
  return p;
}
