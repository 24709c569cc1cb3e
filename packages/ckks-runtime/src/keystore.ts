// Galois keys live serialised in JS memory (Uint8Array, outside the 4 GiB wasm heap) and are loaded into
// the heap on demand, under a byte budget, evicting the least recently used. At N = 2^15 one key is
// 210 MiB and ~14 fill the heap (TOOLCHAIN §2.4); loading one from bytes takes ~60 ms.
import { performance } from "node:perf_hooks";
import type { CkksContext } from "./context.js";
import { switchingKeyMaxLevel } from "./key-levels.js";
import { sealErrorMessage, type SealGaloisKeys } from "./seal.js";

export interface KeyStoreOptions {
  /** Max bytes of resident (loaded) Galois keys; default 2 GiB. A single key larger than this still loads. */
  budgetBytes?: number;
}

export interface KeyStoreStats {
  loads: number;
  /** Seconds spent in the loads (with the evictions they caused). */
  loadSeconds: number;
  evictions: number;
  hits: number;
  residentBytes: number;
  resident: number[];
}

/**
 * How many of the largest Galois keys a bootstrapping session keeps resident in the wasm heap. The heap
 * (4 GiB) also holds the relinearisation key, the bootstrapper's working set and the encapsulation key;
 * at N = 2^15 with 3.2 keys resident the heap reached 3.84 GiB, with 2.2 it stays near 3.7 GiB. A
 * CoeffToSlot/SlotToCoeff level uses 3 keys, so this costs one reload per level (~0.1 s), far less
 * than the heap it saves.
 */
export const BOOTSTRAP_RESIDENT_KEYS = 2.2;

/** KeyStore budget in bytes for {@link BOOTSTRAP_RESIDENT_KEYS} keys of `keyBytes` each, at least `minBytes`. */
export function bootstrapKeyBudget(keyBytes: number, minBytes = 0): number {
  return Math.max(minBytes, Math.ceil(BOOTSTRAP_RESIDENT_KEYS * keyBytes));
}

/** Rotation step 0 denotes the conjugation key (SEAL convention). */
export class KeyStore implements Disposable {
  private readonly serialized = new Map<number, Uint8Array>();
  /** Highest level each key can switch (keys may be truncated: key-levels.ts). */
  private readonly levels = new Map<number, number>();
  /** Insertion order = LRU order (oldest first). */
  private readonly resident = new Map<number, { keys: SealGaloisKeys; bytes: number }>();
  private residentBytes = 0;
  private loads = 0;
  /** Seconds spent evicting and loading keys (get calls that missed). */
  private loadSeconds = 0;
  private evictions = 0;
  private hits = 0;
  readonly budgetBytes: number;

  constructor(
    private readonly ctx: CkksContext,
    opts: KeyStoreOptions = {},
  ) {
    this.budgetBytes = opts.budgetBytes ?? 2 * 2 ** 30;
  }

  /** Adds a serialised key (one Galois element, as produced by CkksClient.galoisKeys). */
  put(step: number, bytes: Uint8Array): void {
    const maxLevel = switchingKeyMaxLevel(bytes);
    this.evict(step);
    this.serialized.set(step, bytes);
    this.levels.set(step, maxLevel);
  }

  /** Highest ciphertext level the key for `step` can rotate (undefined if there is no such key). */
  maxLevel(step: number): number | undefined {
    return this.levels.get(step);
  }

  has(step: number): boolean {
    return this.serialized.has(step);
  }

  steps(): number[] {
    return [...this.serialized.keys()].sort((a, b) => a - b);
  }

  /** Total bytes of serialised keys held in JS memory. */
  serializedBytes(): number {
    let s = 0;
    for (const b of this.serialized.values()) s += b.byteLength;
    return s;
  }

  /** The loaded key for `step` (owned by the store: valid until evicted; do not delete). */
  get(step: number): SealGaloisKeys {
    const r = this.resident.get(step);
    if (r) {
      this.hits++;
      this.resident.delete(step);
      this.resident.set(step, r);
      return r.keys;
    }
    const bytes = this.serialized.get(step);
    if (!bytes) {
      const known = this.steps();
      throw new Error(
        `no Galois key for ${step === 0 ? "conjugation (step 0)" : `rotation step ${step}`}; ` +
          `keys present: [${known.join(", ")}]. Generate it with CkksClient.galoisKeys([${step}])`,
      );
    }
    const t0 = performance.now();
    while (this.resident.size > 0 && this.residentBytes + bytes.byteLength > this.budgetBytes) {
      const oldest = this.resident.keys().next().value as number;
      this.evict(oldest);
      this.evictions++;
    }
    const keys = this.ctx.seal.GaloisKeys();
    try {
      keys.loadArray(this.ctx.sealContext, bytes);
    } catch (e) {
      keys.delete();
      throw new Error(`loading the Galois key for step ${step} failed: ${sealErrorMessage(this.ctx.seal, e)}`);
    }
    this.loads++;
    this.loadSeconds += (performance.now() - t0) / 1000;
    this.resident.set(step, { keys, bytes: bytes.byteLength });
    this.residentBytes += bytes.byteLength;
    return keys;
  }

  private evict(step: number): void {
    const r = this.resident.get(step);
    if (!r) return;
    r.keys.delete();
    this.resident.delete(step);
    this.residentBytes -= r.bytes;
  }

  stats(): KeyStoreStats {
    return {
      loads: this.loads,
      loadSeconds: this.loadSeconds,
      evictions: this.evictions,
      hits: this.hits,
      residentBytes: this.residentBytes,
      resident: [...this.resident.keys()],
    };
  }

  /** Frees every resident key (serialised copies stay). */
  unloadAll(): void {
    for (const s of [...this.resident.keys()]) this.evict(s);
  }

  dispose(): void {
    this.unloadAll();
    this.serialized.clear();
    this.levels.clear();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
