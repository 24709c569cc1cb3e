// Timing helpers: every speed claim is a median of several runs, compared against a baseline
// measured in the same process run (never a timed unit test).
import { performance } from "node:perf_hooks";

export interface Timing {
  name: string;
  runs: number;
  medianSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  samplesSeconds: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of an empty list");
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function timeRuns(name: string, runs: number, fn: () => unknown | Promise<unknown>, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push((performance.now() - t0) / 1000);
  }
  return {
    name,
    runs,
    medianSeconds: median(samples),
    minSeconds: Math.min(...samples),
    maxSeconds: Math.max(...samples),
    samplesSeconds: samples,
  };
}
