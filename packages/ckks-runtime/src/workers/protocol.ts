// Messages between the WorkerPool (main thread) and its workers. Ciphertexts cross as uncompressed SEAL
// bytes (transferred, not copied); programs are registered once per worker with their plaintext vectors.
import type { ParameterSet } from "../params.js";
import type { SlotOp } from "../linear/program.js";

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

export interface ShutdownMessage {
  type: "shutdown";
}

export type ToWorker = InitMessage | ProgramMessage | ExecMessage | ExportMessage | DropMessage | StatsMessage | ShutdownMessage;

export type FromWorker =
  | { type: "ready"; seconds: number }
  | { type: "done"; task: number; seconds: number; level: number }
  | { type: "bytes"; task: number; bytes: Uint8Array }
  | { type: "stats"; task: number; values: number; wasmHeapBytes: number | null; residentKeySteps: number[] }
  | { type: "error"; task: number; message: string; stack?: string };
