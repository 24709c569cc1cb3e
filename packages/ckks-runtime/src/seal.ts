// Loading node-seal 6.0.3 (SEAL 4.1, wasm32) once per process, plus the few facts about the wasm
// instance we need (heap size) and a readable message for SEAL's thrown values.
import SEALImport from "node-seal";
import type { SEALLibrary } from "node-seal/implementation/seal.js";

export type { SEALLibrary };
export type SealCipherText = ReturnType<SEALLibrary["CipherText"]>;
export type SealPlainText = ReturnType<SEALLibrary["PlainText"]>;
export type SealContext = ReturnType<SEALLibrary["Context"]>;
export type SealEvaluator = ReturnType<SEALLibrary["Evaluator"]>;
export type SealEncoder = ReturnType<SEALLibrary["CKKSEncoder"]>;
export type SealGaloisKeys = ReturnType<SEALLibrary["GaloisKeys"]>;
export type SealRelinKeys = ReturnType<SEALLibrary["RelinKeys"]>;
export type SealSecretKey = ReturnType<SEALLibrary["SecretKey"]>;
export type SealParmsId = ReturnType<SEALLibrary["ParmsIdType"]>;

// node-seal ships an ESM-style .d.ts for a CJS entry: at run time the default import is the factory
// (shared/TOOLCHAIN.md §4.4).
const SEAL = SEALImport as unknown as typeof SEALImport.default;

let sealPromise: Promise<SEALLibrary> | undefined;
// The WebAssembly namespace is not in our TS lib (ES2022, no DOM): a minimal structural view of it.
interface WasmMemoryLike {
  buffer: ArrayBuffer;
}
interface WasmApi {
  instantiate: (...args: unknown[]) => Promise<unknown>;
  Memory: new (...args: unknown[]) => WasmMemoryLike;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let wasmMemory: WasmMemoryLike | undefined;

/**
 * The process-wide SEAL library (one wasm instance, one 4 GiB heap). While it instantiates we wrap
 * `WebAssembly.instantiate` to keep a reference to the module's exported memory: node-seal does not
 * expose the emscripten module, and the heap size is the only honest measure of SEAL leaks.
 */
export function loadSeal(): Promise<SEALLibrary> {
  if (!sealPromise) {
    const original = wasm.instantiate;
    const capture = (result: unknown): unknown => {
      const r = result as { instance?: { exports?: Record<string, unknown> }; exports?: Record<string, unknown> };
      const exports = r.instance?.exports ?? r.exports ?? {};
      for (const v of Object.values(exports)) {
        if (v instanceof wasm.Memory) wasmMemory = v;
      }
      return result;
    };
    wasm.instantiate = (...args: unknown[]) => original.apply(wasm, args).then(capture);
    sealPromise = SEAL().finally(() => {
      wasm.instantiate = original;
    });
  }
  return sealPromise;
}

/** Current size of SEAL's wasm linear memory in bytes (it only grows), or undefined if not captured. */
export function wasmHeapBytes(): number | undefined {
  return wasmMemory?.buffer.byteLength;
}

/** SEAL's message for a thrown value (never the 1.4 MB minified source line). */
export function sealErrorMessage(seal: SEALLibrary, e: unknown): string {
  try {
    return seal.Exception.safe(e as Error).message;
  } catch {
    return e instanceof Error ? e.message : String(e);
  }
}
