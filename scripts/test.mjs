#!/usr/bin/env node
// The one test command (README, .ci/run): runs every vitest project once and ends with a
// plain "N passed, N failed" line that CI can read (vitest's own summary is not recognised).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "ola-test-"));
const out = join(dir, "vitest.json");
const args = ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)];
const r = spawnSync("pnpm", ["exec", ...args], { stdio: "inherit" });
let passed = 0, failed = 0, skipped = 0;
try {
  const j = JSON.parse(readFileSync(out, "utf8"));
  passed = j.numPassedTests; failed = j.numFailedTests; skipped = j.numPendingTests + (j.numTodoTests ?? 0);
} catch (e) {
  console.error(`could not read the vitest JSON report at ${out}: ${e.message}`);
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
