// Argument parsers shared by commands: each failure names the argument and what is allowed.
import { UsageError } from "./errors.js";

export function parseIntArg(name: string, raw: string, min: number, max: number): number {
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new UsageError(`${name} must be an integer in [${min}, ${max}], got '${raw}'`);
  }
  return v;
}

export function parseFloatArg(name: string, raw: string, min = -Infinity, max = Infinity): number {
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`${name} must be a number in [${min}, ${max}], got '${raw}'`);
  }
  return v;
}

/** "A,B" with A < B. */
export function parseIntervalArg(name: string, raw: string): [number, number] {
  const parts = raw.split(",");
  if (parts.length !== 2) throw new UsageError(`${name} must be 'A,B' with A < B, got '${raw}'`);
  const a = parseFloatArg(name, parts[0]!);
  const b = parseFloatArg(name, parts[1]!);
  if (!(a < b)) throw new UsageError(`${name} must be 'A,B' with A < B, got '${raw}'`);
  return [a, b];
}

/** "3,5,7" or "2..31" or a mix "2..7,15,31". */
export function parseIntListArg(name: string, raw: string, min: number, max: number): number[] {
  const out = new Set<number>();
  for (const part of raw.split(",")) {
    const m = /^(\d+)\.\.(\d+)$/.exec(part.trim());
    if (m) {
      const lo = parseIntArg(name, m[1]!, min, max);
      const hi = parseIntArg(name, m[2]!, min, max);
      if (lo > hi) throw new UsageError(`${name}: range '${part}' is empty`);
      for (let i = lo; i <= hi; i++) out.add(i);
    } else {
      out.add(parseIntArg(name, part, min, max));
    }
  }
  return [...out].sort((x, y) => x - y);
}

export function parseChoiceArg<T extends string>(name: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`${name} must be one of ${choices.join(", ")}, got '${raw}'`);
  }
  return raw as T;
}
