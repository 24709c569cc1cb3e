// Deterministic lifetimes for SEAL objects: node-seal's FinalizationRegistry never fires under wasm
// pressure, and a forgotten delete() leaks ~3 MiB per operation at N = 2^14 (TOOLCHAIN §2.4).

/** Anything with node-seal's delete(). */
export interface Deletable {
  delete(): void;
}

/** Frees SEAL handles (ignores undefined). */
export function freeAll(...xs: (Deletable | undefined | null)[]): void {
  for (const x of xs) x?.delete();
}

/**
 * Collects temporaries and frees them all at once: `using arena = new Arena()` or try/finally
 * `arena.dispose()`. Objects that escape are `release`d from the arena first.
 */
export class Arena implements Disposable {
  private items: { dispose(): void }[] = [];

  /** Registers a SEAL handle or one of our wrappers (anything with delete() or dispose()). */
  add<T extends Deletable | { dispose(): void }>(x: T): T {
    const d = "dispose" in x && typeof x.dispose === "function" ? x : undefined;
    this.items.push(d ? (d as { dispose(): void }) : { dispose: () => (x as Deletable).delete() });
    (this.owned ??= new Map()).set(x, this.items.length - 1);
    return x;
  }

  private owned?: Map<unknown, number>;

  /** Removes x from the arena so it survives dispose(). */
  release<T>(x: T): T {
    const i = this.owned?.get(x);
    if (i !== undefined) {
      this.items[i] = { dispose() {} };
      this.owned!.delete(x);
    }
    return x;
  }

  dispose(): void {
    const items = this.items;
    this.items = [];
    this.owned = undefined;
    for (let i = items.length - 1; i >= 0; i--) items[i]!.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
