// Messages between the WorkerPool (main thread) and its workers. Ciphertexts cross as uncompressed SEAL
// bytes (transferred, not copied); programs are registered once per worker with their plaintext vectors.
import type { ParameterSet } from "../params.js";
import type { SlotOp } from "../linear/program.js";
import type { EvalModHalfJob } from "../bootstrap/eval-mod-half.js";
import type { DftOutputJob } from "../bootstrap/hom-dft.js";

export interface InitMessage {
  type: "init";
  params: ParameterSet;
  allowInsecure: boolean;
  relinKeys: Uint8Array;
  /** [step, serialised GaloisKeys] (SharedArrayBuffer-backed where possible: no copy per worker). */
  galoisKeys: [number, Uint8Array][];
  keyBudgetBytes?: number;
  /** Bytes of encoded diagonals each worker may keep between runs (see SealSlotOpsOptions). */
  plainCacheBytes?: number;
}

export interface ProgramMessage {
  type: "program";
  id: number;
  slots: number;
  ops: SlotOp[];
  plains: Float64Array[];
}

/** Run op `op` of program `program`; its result becomes value `out`. `inputs` maps op registers to value ids. */
export interface ExecMessage {
  type: "exec";
  task: number;
  program: number;
  op: number;
  /** program register → global value id */
  regs: [number, number][];
  out: number;
  /** values to load before running: [value id, bytes] */
  load: [number, Uint8Array][];
}

export interface ExportMessage {
  type: "export";
  task: number;
  value: number;
}

export interface DropMessage {
  type: "drop";
  values: number[];
}

export interface StatsMessage {
  type: "stats";
  task: number;
}

/**
 * One bootstrap half (bootstrap/half-worker.ts). The caller blocks on `reply` (Atomics.wait) instead of
 * waiting for a message, so the bootstrap stays synchronous: Int32 [0] = state (0 pending, 1 done,
 * 2 error), [1] = byte length; bytes from offset 16 (the result ciphertext, or the UTF-8 error message).
 */
export interface EvalModHalfMessage {
  type: "evalModHalf";
  job: EvalModHalfJob;
  /** The half's input (a CoeffToSlot output), or: */
  bytes?: Uint8Array;
  /** the baby steps of CoeffToSlot's last level, from which the worker first evaluates registered output `id`. */
  dft?: { id: number; babies: Uint8Array[][]; outScale: number };
  /**
   * Answer the baby steps of the half's result for SlotToCoeff's first level instead of the result alone:
   * [x, rot(x, stride), rot²(x, stride), …] (maxBaby + 1 ciphertexts).
   */
  babiesAfter?: { stride: number; maxBaby: number };
  /** Answer: packed ciphertexts (packCiphertexts), see the comment above for the state words. */
  reply: SharedArrayBuffer;
}

/**
 * The negative-giant Horner chain of a registered DFT output from the given baby steps
 * (hom-dft.ts evaluateDftNegativeChain; not rescaled). Same reply protocol as EvalModHalfMessage.
 */
export interface DftChainMessage {
  type: "dftChain";
  id: number;
  babies: Uint8Array[][];
  reply: SharedArrayBuffer;
}

/**
 * Baby steps x_from..x_to of x for a DFT level (hom-dft.ts dftBabyRange): x_from = rot(x, fromStep), then
 * x_b = rot(x_{b−1}, stride). Same reply protocol as EvalModHalfMessage.
 */
export interface BabyRangeMessage {
  type: "babyRange";
  bytes: Uint8Array;
  stride: number;
  from: number;
  to: number;
  fromStep: number;
  reply: SharedArrayBuffer;
}

/** Several serialised ciphertexts in one buffer: u32 count, count × u32 lengths, then the bytes. */
export function packCiphertexts(list: Uint8Array[]): Uint8Array {
  const head = 4 * (1 + list.length);
  const out = new Uint8Array(head + list.reduce((a, b) => a + b.byteLength, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, list.length, true);
  let at = head;
  list.forEach((b, i) => {
    view.setUint32(4 * (1 + i), b.byteLength, true);
    out.set(b, at);
    at += b.byteLength;
  });
  return out;
}

/** Inverse of packCiphertexts (copies each ciphertext out of `data`). */
export function unpackCiphertexts(data: Uint8Array): Uint8Array[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 4) throw new Error("packed ciphertexts: truncated header");
  const count = view.getUint32(0, true);
  const head = 4 * (1 + count);
  if (data.byteLength < head) throw new Error(`packed ciphertexts: ${count} entries but only ${data.byteLength} bytes`);
  const out: Uint8Array[] = [];
  let at = head;
  for (let i = 0; i < count; i++) {
    const n = view.getUint32(4 * (1 + i), true);
    if (at + n > data.byteLength) throw new Error(`packed ciphertexts: entry ${i} (${n} bytes) runs past the end`);
    out.push(data.slice(at, at + n));
    at += n;
  }
  return out;
}

/** One output of a DFT level, kept by the worker for later evalModHalf messages (diagonals in shared memory). */
export interface RegisterDftMessage {
  type: "registerDft";
  id: number;
  job: DftOutputJob;
}

/** Forgets registered DFT outputs (a bootstrapper re-attaching the worker registers its outputs again). */
export interface UnregisterDftMessage {
  type: "unregisterDft";
  ids: number[];
}

export interface ShutdownMessage {
  type: "shutdown";
}

export type ToWorker =
  | InitMessage
  | ProgramMessage
  | ExecMessage
  | ExportMessage
  | DropMessage
  | StatsMessage
  | EvalModHalfMessage
  | DftChainMessage
  | UnregisterDftMessage
  | BabyRangeMessage
  | RegisterDftMessage
  | ShutdownMessage;

export type FromWorker =
  | { type: "ready"; seconds: number }
  | { type: "done"; task: number; seconds: number; level: number }
  | { type: "bytes"; task: number; bytes: Uint8Array }
  | { type: "stats"; task: number; values: number; wasmHeapBytes: number | null; residentKeySteps: number[] }
  | { type: "error"; task: number; message: string; stack?: string };
