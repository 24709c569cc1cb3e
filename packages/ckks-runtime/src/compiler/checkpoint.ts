// Checkpoints of an encrypted run, so that a run longer than a process's life (hours at N = 2^15) resumes
// where it stopped.
//
// A run directory holds
//   checkpoint.json     the manifest: the run's identity (program hash, preset, image, last step, secret-key
//                       fingerprint), the next step to execute, the live ciphertexts' files with their sizes
//                       and SHA-256, and the timing report so far;
//   gen-<g>/v<id>.bin   one uncompressed SEAL ciphertext per live value, generation g of the manifest.
// A save writes a new generation directory (under a temporary name, then renamed), then the manifest
// (temp + rename), and only then removes older generations: at every instant the manifest on disk names
// files that exist, so a process killed mid-save keeps the previous good checkpoint.
//
// The session root (HeInferenceSession's checkpointDir) also holds the client's SECRET KEY
// (client-secret-key.bin): ciphertexts saved here can only be decrypted, and evaluation keys for them only
// be regenerated, with it. That directory is client-side secret material and must never go to a server.
import { createHash } from "node:crypto";
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { HeProgram } from "./he-program.js";

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** What a checkpoint belongs to; a resume refuses a checkpoint whose identity differs in any field. */
export interface RunCheckpointIdentity {
  /** programHash() of the HeProgram. */
  programHash: string;
  /** Parameter set / bootstrapping preset name. */
  preset: string;
  /** Image index (or any caller-chosen input id). */
  image: number;
  /** Last step of the run (a network prefix ends earlier than the program). */
  lastStep: number;
  /** Fingerprint of the secret key the input was encrypted under (secretKeyFingerprint), if known. */
  secretKey?: string;
  /**
   * The refresh the run's bootstraps compute (BootstrapEngine.design, e.g. EvalMod's polynomial), if known:
   * a run resumed under another bootstrap design would mix two runtimes' numerics in one result.
   */
  bootstrap?: string;
}

/** Per-step timing as execute.ts reports it (duplicated structurally to keep this file dependency-free). */
export interface CheckpointStepTiming {
  index: number;
  kind: "conv" | "activation" | "bootstrap" | "add";
  name: string;
  seconds: number;
  level: number;
  bootstraps: number;
  /** Slot count of each bootstrap of the step (sparse-slot bootstraps; absent in older checkpoints). */
  bootstrapSlots?: number[];
}

/** One process's share of a run (a resumed run has one per process). */
export interface RunSegmentInfo {
  pid: number;
  /** ISO times of the segment's first step and of its last step or save. */
  startedAt: string;
  endedAt: string;
  /** Compute seconds and process CPU seconds of the steps this process kept. */
  seconds: number;
  cpuSeconds: number;
}

export interface CheckpointReport {
  /** Compute seconds so far (checkpoint writing excluded). */
  seconds: number;
  /** Process CPU seconds so far (user + system, all threads of the processes that ran it). */
  cpuSeconds: number;
  byKind: Record<CheckpointStepTiming["kind"], number>;
  bootstraps: number;
  steps: CheckpointStepTiming[];
  /** How many times the run was resumed from a checkpoint before this save. */
  resumes: number;
  /** The processes that ran it, in order (absent in checkpoints of older versions). */
  segments?: RunSegmentInfo[];
}

export interface RunCheckpointState {
  /** Index of the next step to execute (= steps done, counting the encrypt step 0). */
  nextStep: number;
  /** Live ciphertexts (value id -> uncompressed SEAL serialisation). */
  values: Map<number, Uint8Array>;
  report: CheckpointReport;
}

const MANIFEST = "checkpoint.json";
const FORMAT = "ola-he-run-checkpoint";

interface Manifest {
  format: typeof FORMAT;
  version: 1;
  savedAt: string;
  identity: RunCheckpointIdentity;
  generation: number;
  nextStep: number;
  values: { id: number; file: string; bytes: number; sha256: string }[];
  report: CheckpointReport;
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/**
 * SHA-256 over the program's computation: every field except the cost model's predictions
 * (predictedSeconds, predictedByKind, costModel, ...), which change when a timing table is re-measured
 * while the encrypted computation stays the same. Typed arrays (the linear layers' plaintext diagonals)
 * are hashed as their bytes.
 */
export function programHash(p: HeProgram): string {
  const cached = hashCache.get(p);
  if (cached) return cached;
  const h = createHash("sha256");
  const walk = (v: unknown): void => {
    if (v === null || v === undefined) h.update(v === null ? "n;" : "u;");
    else if (typeof v === "number") h.update(`d${v};`);
    else if (typeof v === "string") h.update(`s${v.length}:${v};`);
    else if (typeof v === "boolean") h.update(v ? "T;" : "F;");
    else if (ArrayBuffer.isView(v)) {
      h.update(`t${v.constructor.name}${v.byteLength}:`);
      h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    } else if (Array.isArray(v)) {
      h.update(`[${v.length}`);
      for (const x of v) walk(x);
      h.update("]");
    } else if (v instanceof Map) {
      h.update(`M${v.size}`);
      for (const [k, x] of v) {
        walk(k);
        walk(x);
      }
    } else if (typeof v === "object") {
      const keys = Object.keys(v as object)
        .filter((k) => !k.startsWith("predicted") && k !== "costModel")
        .sort();
      h.update(`{${keys.length}`);
      for (const k of keys) {
        h.update(`k${k}:`);
        walk((v as Record<string, unknown>)[k]);
      }
      h.update("}");
    } else throw new TypeError(`programHash: unexpected ${typeof v} in the program`);
  };
  walk(p);
  const d = h.digest("hex");
  hashCache.set(p, d);
  return d;
}
// programs are not mutated after compilation; hashing a ResNet's diagonals takes a moment
const hashCache = new WeakMap<HeProgram, string>();

/** A public fingerprint of a serialised secret key (to tell keys apart; reveals nothing usable). */
export function secretKeyFingerprint(secretKey: Uint8Array): string {
  return createHash("sha256").update("ola-secret-key-fingerprint:").update(secretKey).digest("hex").slice(0, 32);
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Saves a run checkpoint in `dir` (created if needed). The previous checkpoint stays valid until the new
 * manifest has replaced it.
 */
export function saveRunCheckpoint(dir: string, identity: RunCheckpointIdentity, state: RunCheckpointState): void {
  mkdirSync(dir, { recursive: true });
  let generation = 1;
  const prev = join(dir, MANIFEST);
  if (existsSync(prev)) {
    try {
      generation = (JSON.parse(readFileSync(prev, "utf8")) as Manifest).generation + 1;
    } catch {
      generation = Date.now();
    }
  }
  // never reuse a name that still exists (a stale directory of a killed save)
  while (existsSync(join(dir, `gen-${generation}`))) generation++;
  const genName = `gen-${generation}`;
  const tmpGen = join(dir, `${genName}.tmp-${process.pid}`);
  rmSync(tmpGen, { recursive: true, force: true });
  mkdirSync(tmpGen);
  const values: Manifest["values"] = [];
  for (const [id, bytes] of [...state.values].sort((a, b) => a[0] - b[0])) {
    const file = `v${id}.bin`;
    writeFileSync(join(tmpGen, file), bytes);
    values.push({ id, file: `${genName}/${file}`, bytes: bytes.byteLength, sha256: sha256(bytes) });
  }
  renameSync(tmpGen, join(dir, genName));
  const m: Manifest = { format: FORMAT, version: 1, savedAt: new Date().toISOString(), identity, generation, nextStep: state.nextStep, values, report: state.report };
  writeAtomic(prev, JSON.stringify(m, null, 1) + "\n");
  // the new manifest is in place: older generations and stale temporaries can go
  for (const e of readdirSync(dir)) {
    if (e !== genName && (/^gen-\d+$/.test(e) || /^gen-\d+\.tmp-\d+$/.test(e))) rmSync(join(dir, e), { recursive: true, force: true });
  }
}

function describeIdentityMismatch(saved: RunCheckpointIdentity, want: RunCheckpointIdentity): string[] {
  const diffs: string[] = [];
  if (saved.programHash !== want.programHash) {
    diffs.push(`the program differs (checkpoint ${saved.programHash.slice(0, 12)}…, now ${want.programHash.slice(0, 12)}…: another model, plan, preset levels or compiler)`);
  }
  if (saved.preset !== want.preset) diffs.push(`the preset differs (checkpoint '${saved.preset}', now '${want.preset}')`);
  if (saved.image !== want.image) diffs.push(`the image differs (checkpoint ${saved.image}, now ${want.image})`);
  if (saved.lastStep !== want.lastStep) diffs.push(`the last step differs (checkpoint ${saved.lastStep}, now ${want.lastStep})`);
  if ((saved.secretKey ?? "") !== (want.secretKey ?? "")) diffs.push("the secret key differs (the checkpoint's ciphertexts were encrypted under another key)");
  if ((saved.bootstrap ?? "") !== (want.bootstrap ?? "")) diffs.push(`the bootstrap differs (checkpoint '${saved.bootstrap ?? "not recorded"}', now '${want.bootstrap ?? "not recorded"}')`);
  return diffs;
}

function readManifest(dir: string): Manifest | undefined {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return undefined;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch (e) {
    throw new CheckpointError(`checkpoint manifest ${path} is unreadable or truncated (${e instanceof Error ? e.message : String(e)}); delete ${dir} to start the run afresh`);
  }
  if (m?.format !== FORMAT || m.version !== 1 || !m.identity || !Array.isArray(m.values) || !m.report || !Number.isInteger(m.nextStep)) {
    throw new CheckpointError(`${path} is not a version-1 ${FORMAT} manifest`);
  }
  return m;
}

/**
 * Checks the checkpoint in `dir` against a run's identity without its secret-key fingerprint and without
 * reading the ciphertexts: lets a caller refuse a mismatching checkpoint before the (slow) key generation.
 * Returns the next step and the steps total, or undefined when there is no checkpoint.
 */
export function peekRunCheckpoint(dir: string, identity: Omit<RunCheckpointIdentity, "secretKey" | "bootstrap">): { nextStep: number; seconds: number; resumes: number } | undefined {
  const m = readManifest(dir);
  if (!m) return undefined;
  // the key and the bootstrap design are checked when the run loads the checkpoint (the caller may not know them yet)
  const diffs = describeIdentityMismatch({ ...m.identity, secretKey: undefined, bootstrap: undefined }, { ...identity, secretKey: undefined, bootstrap: undefined });
  if (diffs.length) throw new CheckpointError(`the checkpoint in ${dir} belongs to another run: ${diffs.join("; ")}. Use another checkpoint directory or delete this one.`);
  return { nextStep: m.nextStep, seconds: m.report.seconds, resumes: m.report.resumes };
}

/**
 * Loads the checkpoint in `dir`, or undefined when there is none. Throws CheckpointError naming the file
 * when the manifest or a ciphertext file is unreadable, truncated or altered, and naming every field that
 * differs when the checkpoint belongs to another run.
 */
export function loadRunCheckpoint(dir: string, identity: RunCheckpointIdentity): RunCheckpointState | undefined {
  const m = readManifest(dir);
  if (!m) return undefined;
  const diffs = describeIdentityMismatch(m.identity, identity);
  if (diffs.length) throw new CheckpointError(`the checkpoint in ${dir} belongs to another run: ${diffs.join("; ")}. Use another checkpoint directory or delete this one.`);
  const values = new Map<number, Uint8Array>();
  for (const v of m.values) {
    const f = join(dir, v.file);
    let bytes: Uint8Array;
    try {
      const buf = readFileSync(f);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      throw new CheckpointError(`checkpoint file ${f} (value ${v.id}) is missing or unreadable: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (bytes.byteLength !== v.bytes) throw new CheckpointError(`checkpoint file ${f} (value ${v.id}) is truncated or altered: ${bytes.byteLength} bytes, the manifest says ${v.bytes}`);
    if (sha256(bytes) !== v.sha256) throw new CheckpointError(`checkpoint file ${f} (value ${v.id}) is corrupt: its SHA-256 differs from the manifest's`);
    values.set(v.id, bytes);
  }
  return { nextStep: m.nextStep, values, report: m.report };
}

// ---- the client's secret key in a checkpoint root ----

export const SECRET_KEY_FILE = "client-secret-key.bin";
const SECRET_META_FILE = "client-secret-key.json";
const SECRET_NOTE_FILE = "SECRET-MATERIAL-README.txt";
const SECRET_NOTE =
  "This directory is CLIENT-SIDE SECRET MATERIAL.\n\n" +
  `${SECRET_KEY_FILE} is the CKKS secret key of an encrypted inference run (uncompressed SEAL SecretKey).\n` +
  "It lets a resumed run decrypt the checkpointed ciphertexts and regenerate evaluation keys for them.\n" +
  "Anyone holding it can decrypt every ciphertext of these runs. Never give this directory to a server;\n" +
  "delete it when the runs are finished.\n";

export interface StoredSecretKey {
  secretKey: Uint8Array;
  /** False when the key already existed (a resume, or another process created it first). */
  created: boolean;
  path: string;
}

/**
 * The secret key of checkpoint root `dir` for parameter set `paramsName`: the stored one when present,
 * otherwise `make()` stored race-free (two processes starting on the same root agree on one key: the file
 * is published with link(), which fails if it exists, and the loser reads the winner's key).
 */
export function loadOrStoreSecretKey(dir: string, paramsName: string, make: () => Uint8Array): StoredSecretKey {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, SECRET_KEY_FILE);
  const metaPath = join(dir, SECRET_META_FILE);
  const read = (): StoredSecretKey => {
    if (existsSync(metaPath)) {
      let meta: { params?: string; bytes?: number; sha256?: string };
      try {
        meta = JSON.parse(readFileSync(metaPath, "utf8")) as typeof meta;
      } catch (e) {
        throw new CheckpointError(`${metaPath} is unreadable: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (meta.params !== paramsName) {
        throw new CheckpointError(`checkpoint directory ${dir} holds a secret key for parameter set '${meta.params}', this session uses '${paramsName}'; use another directory`);
      }
      const bytes = readFileSync(path);
      if (meta.bytes !== bytes.byteLength || meta.sha256 !== sha256(bytes)) throw new CheckpointError(`secret key file ${path} is truncated or altered (size or SHA-256 differs from ${metaPath})`);
      return { secretKey: new Uint8Array(bytes), created: false, path };
    }
    const bytes = readFileSync(path);
    return { secretKey: new Uint8Array(bytes), created: false, path };
  };
  if (existsSync(path)) return read();
  const bytes = make();
  writeAtomic(join(dir, SECRET_NOTE_FILE), SECRET_NOTE);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    rmSync(tmp, { force: true });
    return read();
  }
  rmSync(tmp, { force: true });
  // only the process whose key was published describes it
  writeAtomic(metaPath, JSON.stringify({ params: paramsName, bytes: bytes.byteLength, sha256: sha256(bytes), note: SECRET_NOTE.split("\n")[0] }, null, 1) + "\n");
  return { secretKey: bytes, created: true, path };
}

/** True when `dir` holds a run checkpoint manifest. */
export function hasRunCheckpoint(dir: string): boolean {
  return existsSync(join(dir, MANIFEST)) && statSync(join(dir, MANIFEST)).isFile();
}
