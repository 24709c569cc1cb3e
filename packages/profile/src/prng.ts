/** mulberry32 (Tommy Ettinger): a tiny deterministic PRNG, so reservoirs are identical on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform draw in the open interval (0, 1) (safe for log). */
export function openUnit(next: () => number): number {
  return next() + 0.5 / 4294967296;
}
