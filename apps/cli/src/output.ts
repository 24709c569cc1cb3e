// Output conventions: with --json, stdout carries exactly one JSON document and nothing else;
// human text and progress go to stderr so they never corrupt machine-readable output.
import { renameSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

export function printText(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

/** Human progress/status line: always stderr. */
export function log(text: string): void {
  process.stderr.write(text + "\n");
}

/** Write a file atomically (temp file + rename) so a failure never leaves half an output behind. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, data);
  renameSync(tmp, abs);
}

/** Fixed-width table for human output. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
