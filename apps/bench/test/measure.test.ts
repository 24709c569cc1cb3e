import { describe, expect, it } from "vitest";
import { median, timeRuns } from "../src/measure.js";
import { mdTable, provenance } from "../src/results.js";

describe("median", () => {
  it("matches the sorted middle (odd and even lengths)", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
  it("refuses an empty list", () => {
    expect(() => median([])).toThrow(/empty/);
  });
});

describe("timeRuns", () => {
  it("runs warm-up plus the requested runs and reports consistent statistics", async () => {
    let calls = 0;
    const t = await timeRuns("noop", 5, () => {
      calls++;
    }, 2);
    expect(calls).toBe(7);
    expect(t.samplesSeconds).toHaveLength(5);
    expect(t.minSeconds).toBeLessThanOrEqual(t.medianSeconds);
    expect(t.medianSeconds).toBeLessThanOrEqual(t.maxSeconds);
  });
});

describe("results", () => {
  it("renders a markdown table with one row per entry", () => {
    const md = mdTable(["a", "b"], [[1, 2], [3, 4]]);
    expect(md.split("\n")).toEqual(["| a | b |", "| --- | --- |", "| 1 | 2 |", "| 3 | 4 |"]);
  });
  it("records the command and the machine", () => {
    const p = provenance(["poly", "--runs", "3"]);
    expect(p.command).toBe("pnpm bench poly --runs 3");
    expect(p.machine.cores).toBeGreaterThan(0);
  });
});
