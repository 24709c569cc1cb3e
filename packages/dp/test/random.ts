// Deterministic PRNG for reproducible random instances (mulberry32).
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** Exact Pareto frontier of (weight, cost) pairs: weight ascending, cost strictly descending. */
export function bruteFrontier(pairs: { weight: number; cost: number }[]): { weight: number; cost: number }[] {
  const s = [...pairs].sort((a, b) => a.weight - b.weight || a.cost - b.cost);
  const out: { weight: number; cost: number }[] = [];
  for (const p of s) if (out.length === 0 || p.cost < out[out.length - 1]!.cost - 1e-12) out.push(p);
  return out;
}

/** Exact optimum for budget b over all (weight, cost) pairs: +Infinity if none fits. */
export function bruteOpt(pairs: { weight: number; cost: number }[], b: number): number {
  let best = Infinity;
  for (const p of pairs) if (p.weight <= b + 1e-12 && p.cost < best) best = p.cost;
  return best;
}
