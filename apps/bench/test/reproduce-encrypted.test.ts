// The per-plan result files of `bench reproduce --encrypted full --plans uniform|ola` and how
// `--encrypted from-results` reads them: program check, missing/incomplete files, and the concurrency note
// computed from the runs' time segments.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Command } from "commander";
import { concurrencyOf, loadPerPlanForReport, overlapSeconds, register, storePlanIfChanged, variantName, type PerPlanResults, type RunSegment } from "../src/suites/reproduce.js";
import { readPlan } from "@ola/optimizer";
import { readFileSync, statSync } from "node:fs";

async function bench(argv: string[]): Promise<void> {
  const program = new Command("bench").exitOverride();
  register(program);
  await program.parseAsync(argv, { from: "user" });
}

const seg = (start: number, end: number): RunSegment => ({
  pid: 1,
  startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, start)).toISOString(),
  finishedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, end)).toISOString(),
  wallSeconds: end - start,
  cpuSeconds: end - start,
  loadavg1: 1,
});

describe("reproduce: per-plan encrypted results", () => {
  const dir = mkdtempSync(join(tmpdir(), "ola-repro-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (over: Partial<PerPlanResults>): PerPlanResults => ({
    model: "resnet20",
    plan: "uniform",
    preset: "boot-n15-cnn",
    programHash: "a".repeat(64),
    compiled: { bootstraps: 57, predictedSeconds: 9000 },
    checkpointDir: null,
    imagesRequested: 2,
    complete: true,
    images: [{ image: 0, seconds: 100, cpuSeconds: 98, byKind: { conv: 10, activation: 40, bootstrap: 50, add: 0 }, bootstraps: 57, maxAbsError: 1e-3, argmaxAgrees: true, segments: [seg(0, 100)] }],
    peakRssBytes: 1,
    ...over,
  });

  it("overlap of time segments (brute-force check on integer seconds)", () => {
    const a = [seg(0, 50), seg(100, 160)];
    const b = [seg(40, 120)];
    let brute = 0;
    for (let t = 0; t < 200; t++) {
      const inA = a.some((x) => t >= Date.parse(x.startedAt) / 1000 - Date.UTC(2026, 0, 1) / 1000 && t < Date.parse(x.finishedAt) / 1000 - Date.UTC(2026, 0, 1) / 1000);
      const inB = b.some((x) => t >= Date.parse(x.startedAt) / 1000 - Date.UTC(2026, 0, 1) / 1000 && t < Date.parse(x.finishedAt) / 1000 - Date.UTC(2026, 0, 1) / 1000);
      if (inA && inB) brute++;
    }
    expect(overlapSeconds(a, b)).toBe(brute);
    expect(brute).toBe(30);
    expect(concurrencyOf(a, b, 2).note).toMatch(/separate concurrent processes .*overlapped for 30 s/);
    expect(concurrencyOf([seg(0, 10)], [seg(10, 20)], 2)).toEqual({ overlapSeconds: 0, note: "the two plans ran as separate processes whose runs did not overlap in time" });
  });

  it("from-results reads a matching file, refuses another program, names a missing file and warns on an incomplete one", () => {
    expect(() => loadPerPlanForReport("resnet20", "uniform", "a".repeat(64), "boot-n15-cnn", dir)).toThrow(/reproduce-resnet20-encrypted-uniform\.json is missing; run `pnpm bench reproduce resnet20 --encrypted full --plans uniform`/);
    writeFileSync(join(dir, "reproduce-resnet20-encrypted-uniform.json"), JSON.stringify({ provenance: {}, ...file({}) }));
    const r = loadPerPlanForReport("resnet20", "uniform", "a".repeat(64), "boot-n15-cnn", dir);
    expect(r.images[0]!.seconds).toBe(100);
    expect(r.warning).toBeUndefined();
    expect(() => loadPerPlanForReport("resnet20", "uniform", "b".repeat(64), "boot-n15-cnn", dir)).toThrow(/measured another program/);
    expect(() => loadPerPlanForReport("resnet20", "uniform", "a".repeat(64), "boot-n15", dir)).toThrow(/preset 'boot-n15-cnn'.*here 'boot-n15'/);
    writeFileSync(join(dir, "reproduce-resnet20-encrypted-ola.json"), JSON.stringify({ ...file({ plan: "ola", complete: false }) }));
    expect(loadPerPlanForReport("resnet20", "ola", "a".repeat(64), "boot-n15-cnn", dir).warning).toMatch(/incomplete \(1\/2 images\)/);
    writeFileSync(join(dir, "reproduce-resnet20-encrypted-ola.json"), "{ trunc");
    expect(() => loadPerPlanForReport("resnet20", "ola", "a".repeat(64), "boot-n15-cnn", dir)).toThrow(/encrypted-ola\.json is unreadable/);
  });

  it("option checks: --plans needs --encrypted full, --checkpoint-dir too; bad values are named", async () => {
    await expect(bench(["reproduce", "resnet20", "--plans", "uniform"])).rejects.toThrow(/--plans uniform runs one plan's full encrypted images: it needs --encrypted full/);
    await expect(bench(["reproduce", "resnet20", "--encrypted", "full", "--plans", "all"])).rejects.toThrow(/--plans must be uniform, ola or both, got 'all'/);
    await expect(bench(["reproduce", "resnet20", "--encrypted", "prefix", "--checkpoint-dir", "/tmp/x"])).rejects.toThrow(/--checkpoint-dir needs --encrypted full/);
    await expect(bench(["reproduce", "resnet20", "--encrypted", "later"])).rejects.toThrow(/full, prefix, none or from-results/);
    await expect(bench(["reproduce", "resnet20", "--encrypted", "prefix", "--sparse-bootstraps"])).rejects.toThrow(/--sparse-bootstraps needs --encrypted full or from-results/);
    await expect(bench(["reproduce", "resnet20", "--encrypted", "full", "--bootstrap-threads", "3"])).rejects.toThrow(/--bootstrap-threads must be 1 or 2, got '3'/);
    await expect(bench(["reproduce", "resnet20", "--encrypted", "prefix", "--bootstrap-threads", "2"])).rejects.toThrow(/--bootstrap-threads 2 needs --encrypted full or from-results/);
  });

  it("--sparse-bootstraps results live in their own files: from-results reads <plan>-sparse, never the full-slot file", () => {
    writeFileSync(join(dir, "reproduce-resnet20-encrypted-uniform.json"), JSON.stringify({ ...file({}) }));
    expect(() => loadPerPlanForReport("resnet20", "uniform", "a".repeat(64), "boot-n15-cnn", dir, { sparse: true })).toThrow(
      /reproduce-resnet20-encrypted-uniform-sparse\.json is missing; run `pnpm bench reproduce resnet20 --encrypted full --plans uniform --sparse-bootstraps`/,
    );
    const sparse = file({ sparseBootstraps: true });
    sparse.images[0]!.bootstrapSlots = [16384, 8192, 4096];
    writeFileSync(join(dir, "reproduce-resnet20-encrypted-uniform-sparse.json"), JSON.stringify(sparse));
    expect(loadPerPlanForReport("resnet20", "uniform", "a".repeat(64), "boot-n15-cnn", dir, { sparse: true }).images[0]!.bootstrapSlots).toEqual([16384, 8192, 4096]);
    expect(loadPerPlanForReport("resnet20", "uniform", "a".repeat(64), "boot-n15-cnn", dir).images[0]!.bootstrapSlots).toBeUndefined();
    // two threads per bootstrap: its own file again (timings of another runtime variant never mix)
    expect(() => loadPerPlanForReport("resnet20", "uniform", "a".repeat(64), "boot-n15-cnn", dir, { sparse: true, threads: 2 })).toThrow(
      /reproduce-resnet20-encrypted-uniform-sparse-2t\.json is missing; run `pnpm bench reproduce resnet20 --encrypted full --plans uniform --sparse-bootstraps --bootstrap-threads 2`/,
    );
    expect(variantName("ola", { threads: 2 })).toBe("ola-2t");
    expect(variantName("ola", { threads: 1 })).toBe("ola");
    expect(variantName("ola", { diagonalGiB: 4, threads: 2 })).toBe("ola-diag4g-2t");
    expect(variantName("uniform", { placement: "before-activation", inputLevel: 8, threads: 2 })).toBe("uniform-before-act-in8-2t");
  });
});

describe("reproduce: stored baseline plan", () => {
  it("is rewritten when its polynomials change, not when only the cost-model fields do", () => {
    const dir = mkdtempSync(join(tmpdir(), "ola-plans-"));
    try {
      const stored = readPlan(join(__dirname, "../results/plans/resnet20-uniform-alpha13.plan.json"));
      const path = join(dir, "p.plan.json");
      storePlanIfChanged(path, stored);
      const first = readFileSync(path, "utf8");
      const mtime = statSync(path).mtimeMs;
      // other predicted seconds only: the file stays as it is
      const repriced = { ...stored, sites: stored.sites.map((s) => ({ ...s, seconds: (s.seconds ?? 0) + 1 })), predicted: { ...stored.predicted, timeSeconds: 1 } };
      storePlanIfChanged(path, repriced as typeof stored);
      expect(readFileSync(path, "utf8")).toBe(first);
      expect(statSync(path).mtimeMs).toBe(mtime);
      // other polynomials (the OLA plan of the same model): rewritten
      const ola = readPlan(join(__dirname, "../results/plans/resnet20-ola-maxdrop05.plan.json"));
      expect(ola.sites[0]!.depth).not.toBe(stored.sites[0]!.depth);
      storePlanIfChanged(path, ola);
      expect(readPlan(path).sites.map((s) => s.depth)).toEqual(ola.sites.map((s) => s.depth));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
