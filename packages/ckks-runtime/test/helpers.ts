// Shared fixtures for the ckks-runtime tests: small insecure parameter sets (fast contexts) and a
// deterministic RNG.
import { CkksClient, CkksContext, Evaluator, type ParameterSet } from "../src/index.js";

/** N = 2^13, 4 levels: the basic-op fixture (context ~0.3 s). */
export const SMALL: ParameterSet = {
  name: "test-small",
  N: 8192,
  coeffModulusBits: [60, 40, 40, 40, 40, 60],
  logScale: 40,
  secret: { kind: "uniform-ternary" },
  insecure: true,
};

export interface Fixture {
  ctx: CkksContext;
  client: CkksClient;
  ev: Evaluator;
  dispose(): void;
}

export async function makeFixture(params: ParameterSet, steps: number[] = []): Promise<Fixture> {
  const ctx = await CkksContext.create(params, { allowInsecure: true });
  const client = new CkksClient(ctx);
  const ev = new Evaluator(ctx, client.evaluationKeys(steps));
  return {
    ctx,
    client,
    ev,
    dispose() {
      ev.dispose();
      client.dispose();
      ctx.dispose();
    },
  };
}

/** Mulberry32: deterministic uniform [0,1). */
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

/** Seeded integer sampler in [0, n) (sampleSparseTernary, createBootstrapClient). */
export function randInt(seed: number): (n: number) => number {
  const r = rng(seed);
  return (n: number) => Math.floor(r() * n);
}

export function uniform(n: number, lo: number, hi: number, seed = 1): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
