// Checkpoint / resume of an encrypted run (N = 2^12, the real Bootstrapper, dense secret + encapsulation):
// a run stopped after a bootstrap and resumed by a fresh session (secret key restored from the checkpoint
// root, fresh evaluation and encapsulation keys) gives the logits of an uninterrupted run; checkpoints of
// another run, and truncated or corrupt files, are refused with errors naming what differs / the file.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findActivationSites, importOnnx } from "@ola/models";
import { BOOT_TEST_N12 } from "../src/bootstrap/presets.js";
import {
  CheckpointError,
  compileHeProgram,
  HeInferenceSession,
  loadRunCheckpoint,
  peekRunCheckpoint,
  programHash,
  RunStoppedError,
  saveRunCheckpoint,
  simulateHeProgram,
  SECRET_KEY_FILE,
  type CheckpointEvent,
  type HeProgram,
} from "../src/compiler/index.js";
import { argmax, maxAbs, randomImage, relu, tinyCnn } from "./compiler-helpers.js";


const g = importOnnx(tinyCnn());
const sites = findActivationSites(g);
const L = BOOT_TEST_N12.layout.appLevels;
const compile = (degree: number): HeProgram =>
  compileHeProgram(g, sites, new Map(sites.map((s) => [s.id, relu(degree, 4)])), { slots: BOOT_TEST_N12.params.N / 2, levelsAfterBootstrap: L });

describe("checkpoint / resume of an encrypted run (N=2^12, real bootstrapper)", () => {
  const root = mkdtempSync(join(tmpdir(), "ola-ckpt-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const p = compile(2);
  const image = randomImage(2 * 64, 6);

  it("a run stopped after its first bootstrap and resumed in a fresh session matches an uninterrupted run", { timeout: 120_000 }, async () => {
    expect(p.summary.bootstraps).toBe(2);
    const firstBoot = p.steps.findIndex((s) => s.kind === "bootstrap");
    expect(firstBoot).toBeGreaterThan(0);
    const ckpt = join(root, "session");
    // process 1: stops right after the first bootstrap (a checkpoint is always written after a bootstrap)
    const events: CheckpointEvent[] = [];
    {
      using s1 = await HeInferenceSession.create(p, { bootstrapPreset: BOOT_TEST_N12, allowInsecure: true, checkpointDir: ckpt });
      expect(s1.restoredSecretKey).toBe(false);
      expect(() => s1.run(p, image, { checkpoint: { image: 6, everySeconds: 1e9 }, stopAfterStep: firstBoot, onCheckpoint: (e) => events.push(e) })).toThrow(RunStoppedError);
    }
    expect(events.map((e) => e.kind)).toEqual(["saved"]);
    expect(events[0]!.nextStep).toBe(firstBoot + 1);
    expect(readdirSync(ckpt)).toContain(SECRET_KEY_FILE);
    expect(readFileSync(join(ckpt, "SECRET-MATERIAL-README.txt"), "utf8")).toMatch(/CLIENT-SIDE SECRET MATERIAL/);
    // process 2: fresh context, secret restored, fresh evaluation + encapsulation keys
    using s2 = await HeInferenceSession.create(p, { bootstrapPreset: BOOT_TEST_N12, allowInsecure: true, checkpointDir: ckpt });
    expect(s2.restoredSecretKey).toBe(true);
    const steps: number[] = [];
    const resumedEvents: CheckpointEvent[] = [];
    const resumed = s2.run(p, image, { checkpoint: { image: 6 }, onStep: (_t, done) => steps.push(done), onCheckpoint: (e) => resumedEvents.push(e) });
    expect(resumedEvents[0]).toMatchObject({ kind: "resumed", nextStep: firstBoot + 1, resumes: 1 });
    expect(steps[0]).toBe(firstBoot + 2); // continued after the saved step
    expect(resumed.report.resumes).toBe(1);
    expect(resumed.report.bootstraps).toBe(2);
    expect(resumed.report.steps.map((t) => t.index)).toEqual(p.steps.slice(1).map((s) => s.index));
    // the saved seconds count: at least the first process's bootstrap plus this one's
    const bootSeconds = resumed.report.steps.filter((t) => t.kind === "bootstrap").reduce((a, t) => a + t.seconds, 0);
    expect(resumed.report.seconds).toBeGreaterThanOrEqual(bootSeconds);
    expect(resumed.report.byKind.bootstrap).toBeCloseTo(bootSeconds, 6);
    expect(resumed.report.cpuSeconds).toBeGreaterThan(0);
    // one segment per process; they add up to the totals
    expect(resumed.report.segments).toHaveLength(2);
    expect(resumed.report.segments.reduce((a, x) => a + x.seconds, 0)).toBeCloseTo(resumed.report.seconds, 6);
    expect(resumed.report.segments.reduce((a, x) => a + x.cpuSeconds, 0)).toBeCloseTo(resumed.report.cpuSeconds, 6);
    expect(Date.parse(resumed.report.segments[0]!.endedAt)).toBeLessThanOrEqual(Date.parse(resumed.report.segments[1]!.startedAt));
    // uninterrupted run in the same session (no checkpoint)
    const whole = s2.run(p, image);
    expect(whole.report.resumes).toBe(0);
    expect(whole.report.segments).toHaveLength(1);
    const sim = simulateHeProgram(p, image);
    expect(maxAbs(resumed.values, whole.values)).toBeLessThan(1e-3);
    expect(argmax(resumed.values)).toBe(argmax(whole.values));
    expect(maxAbs(resumed.values, sim)).toBeLessThan(1e-2);
    // the finished run was checkpointed after its last step: running it again resumes at the end
    const again = s2.run(p, image, { checkpoint: { image: 6 } });
    expect(again.report.resumes).toBe(2);
    expect(maxAbs(again.values, resumed.values)).toBeLessThan(1e-9);

    // identity mismatches: other image, other program (name what differs)
    expect(() => s2.run(p, image, { checkpoint: { image: 7, dir: join(ckpt, "image-6") } })).toThrow(/image differs \(checkpoint 6, now 7\)/);
    const p3 = compile(3);
    expect(programHash(p3)).not.toBe(programHash(p));
    expect(() => s2.run(p3, image, { checkpoint: { image: 6 } })).toThrow(/program differs/);
  });

  it("identity: preset, last step and secret key are checked; predictions are not part of the program hash", () => {
    const dir = join(root, "ident");
    const id = { programHash: programHash(p), preset: "boot-test-n12", image: 0, lastStep: p.steps.length - 1, secretKey: "aa" };
    const report = { seconds: 1, cpuSeconds: 1, byKind: { conv: 1, activation: 0, bootstrap: 0, add: 0 }, bootstraps: 0, steps: [], resumes: 0 };
    saveRunCheckpoint(dir, id, { nextStep: 2, values: new Map([[3, new Uint8Array([1, 2, 3])]]), report });
    expect(loadRunCheckpoint(dir, id)!.values.get(3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(() => loadRunCheckpoint(dir, { ...id, preset: "boot-n15-cnn" })).toThrow(/preset differs \(checkpoint 'boot-test-n12', now 'boot-n15-cnn'\)/);
    expect(() => loadRunCheckpoint(dir, { ...id, lastStep: 1 })).toThrow(/last step differs/);
    expect(() => loadRunCheckpoint(dir, { ...id, secretKey: "bb" })).toThrow(/secret key differs/);
    // the bootstrap design (BootstrapEngine.design): a resume under another EvalMod polynomial is refused,
    // and a checkpoint that did not record one does not pass for a run that has one
    const bdir = join(root, "ident-boot");
    const withBoot = { ...id, bootstrap: "16384 slots: EvalMod K=16 degree 55 r=2" };
    saveRunCheckpoint(bdir, withBoot, { nextStep: 2, values: new Map([[3, new Uint8Array([1])]]), report });
    expect(loadRunCheckpoint(bdir, withBoot)!.nextStep).toBe(2);
    expect(() => loadRunCheckpoint(bdir, { ...id, bootstrap: "16384 slots: EvalMod K=16 degree 31 r=3" })).toThrow(/bootstrap differs \(checkpoint '16384 slots: EvalMod K=16 degree 55 r=2', now '16384 slots: EvalMod K=16 degree 31 r=3'\)/);
    expect(() => loadRunCheckpoint(dir, withBoot)).toThrow(/bootstrap differs \(checkpoint 'not recorded'/);
    expect(peekRunCheckpoint(bdir, { programHash: id.programHash, preset: id.preset, image: 0, lastStep: id.lastStep })!.nextStep).toBe(2);
    // the early check (before key generation) ignores the key and reads no ciphertext
    const { secretKey: _k, ...noKey } = id;
    expect(peekRunCheckpoint(dir, noKey)).toEqual({ nextStep: 2, seconds: 1, resumes: 0 });
    expect(() => peekRunCheckpoint(dir, { ...noKey, image: 1 })).toThrow(/image differs \(checkpoint 0, now 1\)/);
    expect(peekRunCheckpoint(join(root, "nothing-here"), noKey)).toBeUndefined();
    const moved = { ...p, summary: { ...p.summary, predictedSeconds: p.summary.predictedSeconds + 5 } };
    expect(programHash(moved)).toBe(programHash(p));
    // a second save replaces the first and removes its generation
    saveRunCheckpoint(dir, id, { nextStep: 3, values: new Map([[4, new Uint8Array([9])]]), report });
    expect(readdirSync(dir).filter((e) => e.startsWith("gen-"))).toHaveLength(1);
    expect(loadRunCheckpoint(dir, id)!.nextStep).toBe(3);
  });

  it("truncated, corrupt or missing checkpoint files are refused with the file's name; a killed save keeps the old checkpoint", () => {
    const src = join(root, "ident");
    const id = { programHash: programHash(p), preset: "boot-test-n12", image: 0, lastStep: p.steps.length - 1, secretKey: "aa" };
    const gen = readdirSync(src).find((e) => e.startsWith("gen-"))!;
    const bin = join(gen, "v4.bin");
    // truncated ciphertext file
    const a = join(root, "trunc");
    cpSync(src, a, { recursive: true });
    truncateSync(join(a, bin), 0);
    expect(() => loadRunCheckpoint(a, id)).toThrow(CheckpointError);
    expect(() => loadRunCheckpoint(a, id)).toThrow(new RegExp(`${join(a, bin).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}.*truncated`));
    // same size, different content
    const b = join(root, "corrupt");
    cpSync(src, b, { recursive: true });
    writeFileSync(join(b, bin), new Uint8Array([8]));
    expect(() => loadRunCheckpoint(b, id)).toThrow(/v4\.bin \(value 4\) is corrupt/);
    // truncated manifest
    const c = join(root, "manifest");
    cpSync(src, c, { recursive: true });
    const m = readFileSync(join(c, "checkpoint.json"), "utf8");
    writeFileSync(join(c, "checkpoint.json"), m.slice(0, m.length / 2));
    expect(() => loadRunCheckpoint(c, id)).toThrow(/checkpoint manifest .*checkpoint\.json is unreadable or truncated/);
    // missing file
    const d = join(root, "missing");
    cpSync(src, d, { recursive: true });
    rmSync(join(d, bin));
    expect(() => loadRunCheckpoint(d, id)).toThrow(/v4\.bin \(value 4\) is missing/);
    // a save killed before its manifest was written (a half-written generation directory) changes nothing
    const e = join(root, "killed");
    cpSync(src, e, { recursive: true });
    cpSync(join(e, gen), join(e, `gen-99.tmp-12345`), { recursive: true });
    truncateSync(join(e, "gen-99.tmp-12345", "v4.bin"), 0);
    writeFileSync(join(e, "checkpoint.json.tmp-12345"), "{");
    expect(loadRunCheckpoint(e, id)!.values.get(4)).toEqual(new Uint8Array([9]));
  });
});
