import { describe, expect, it } from "vitest";
import {
  bkzSieveCostBits,
  estimateLweSecurity,
  HE_STANDARD_MAX_LOGQP,
  log2DropSuccessProbability,
  log2SecretSpace,
  LweEstimatorError,
  maxLogQForSecurity,
  MIN_BLOCK_SIZE,
  primalMinBlockSize,
  rootHermiteFactor,
} from "../src/index.js";

const ternary = { kind: "uniform-ternary" } as const;
const sparse = (h: number) => ({ kind: "sparse-ternary", hammingWeight: h }) as const;

// Measured deviation of our estimate from the HE standard table (uniform ternary, σ = 3.19), see README:
// every row within ±10 bits (the worst is N = 2^10 at 256 bits: +9.6), and within ±1.5 bits for N >= 2^13.
const TOLERANCE_ALL = 10;
const TOLERANCE_LARGE_N = 1.5;

describe("estimateLweSecurity against the HomomorphicEncryption.org table (uniform ternary, σ = 3.19)", () => {
  const rows = Object.entries(HE_STANDARD_MAX_LOGQP)
    .map(([n, row]) => [Number(n), row] as const)
    .filter(([n]) => n <= 32768);

  it("covers N = 2^10 .. 2^15 at the 128/192/256-bit bounds", () => {
    expect(rows.map(([n]) => n)).toEqual([1024, 2048, 4096, 8192, 16384, 32768]);
  });

  for (const [n, row] of rows) {
    for (const level of [128, 192, 256] as const) {
      it(`N = ${n}, log q = ${row[level]} estimates ${level} bits (±${n >= 8192 ? TOLERANCE_LARGE_N : TOLERANCE_ALL})`, () => {
        const tol = n >= 8192 ? TOLERANCE_LARGE_N : TOLERANCE_ALL;
        const e = estimateLweSecurity({ n, logQ: row[level], secret: ternary });
        expect(Math.abs(e.bits - level)).toBeLessThanOrEqual(tol);
        // One more bit of modulus (beyond the table's bound) must not be estimated as more secure.
        const over = estimateLweSecurity({ n, logQ: row[level] + 1, secret: ternary });
        expect(over.bits).toBeLessThanOrEqual(e.bits);
        // The reported fields are consistent with the cost model.
        expect(e.bits).toBeCloseTo(bkzSieveCostBits(e.beta, e.dimension), 9);
        expect(e.coreSvpBits).toBeCloseTo(0.292 * e.beta, 9);
        expect(e.samples).toBeLessThanOrEqual(n);
        expect(e.dropped).toBe(0);
      });
    }
  }

  it("the dense N = 2^15, log QP = 881 instance (our main key) is estimated at >= 127 bits", () => {
    const e = estimateLweSecurity({ n: 32768, logQ: 881, secret: ternary });
    expect(e.bits).toBeGreaterThanOrEqual(127);
    expect(e.bits).toBeLessThan(130);
  });
});

describe("maxLogQForSecurity (the table's inverse question)", () => {
  it("reproduces the 128-bit bounds of the table for N = 2^10 and 2^15 and is consistent with the estimate", () => {
    for (const [n, tol] of [
      [1024, 3],
      [32768, 3],
    ] as const) {
      const q = maxLogQForSecurity({ n, secret: ternary }, 128, 0.05);
      expect(Math.abs(q - HE_STANDARD_MAX_LOGQP[n]![128])).toBeLessThanOrEqual(tol);
      expect(estimateLweSecurity({ n, logQ: q, secret: ternary }).bits).toBeGreaterThanOrEqual(128);
      expect(estimateLweSecurity({ n, logQ: q + 0.05, secret: ternary }).bits).toBeLessThan(128);
    }
  });

  it("returns NaN when no modulus reaches the target", () => {
    expect(maxLogQForSecurity({ n: 128, secret: ternary }, 400)).toBeNaN();
  });
});

describe("monotonicity", () => {
  it("more modulus means less security (dense and sparse)", () => {
    for (const secret of [ternary, sparse(32), sparse(64)]) {
      let prev = Infinity;
      for (const logQ of [100, 200, 400, 600, 881, 1200]) {
        const b = estimateLweSecurity({ n: 32768, logQ, secret }).bits;
        expect(b, `${JSON.stringify(secret)} logQ ${logQ}`).toBeLessThan(prev);
        prev = b;
      }
    }
  });

  it("a sparser secret means less security at a fixed modulus", () => {
    for (const logQ of [100, 440, 881]) {
      let prev = estimateLweSecurity({ n: 32768, logQ, secret: ternary }).bits;
      for (const h of [8192, 1024, 192, 64, 32, 16]) {
        const b = estimateLweSecurity({ n: 32768, logQ, secret: sparse(h) }).bits;
        expect(b, `h ${h} logQ ${logQ}`).toBeLessThanOrEqual(prev + 1e-9);
        prev = b;
      }
    }
  });

  it("a larger ring means more security at a fixed modulus", () => {
    let prev = 0;
    for (const n of [2048, 4096, 8192, 16384, 32768]) {
      const b = estimateLweSecurity({ n, logQ: 218, secret: ternary }).bits;
      expect(b).toBeGreaterThan(prev);
      prev = b;
    }
  });
});

describe("root Hermite factor δ_β", () => {
  it("satisfies its defining closed form δ^(2(β−1)) = (πβ)^(1/β)·β/(2πe)", () => {
    for (const beta of [40, 60, 100, 250, 500, 1000]) {
      const lhs = 2 * (beta - 1) * Math.log(rootHermiteFactor(beta));
      const rhs = Math.log(Math.PI * beta) / beta + Math.log(beta) - Math.log(2 * Math.PI * Math.E);
      expect(lhs).toBeCloseTo(rhs, 12);
    }
  });

  it("matches the values quoted in the literature (δ_100 ≈ 1.00926, δ_200 ≈ 1.00628) and decreases with β", () => {
    // Hand evaluation of the formula: β = 100: 6.2015^(1/198) = 1.009259; β = 200: 12.0933^(1/398) = 1.006283.
    expect(rootHermiteFactor(100)).toBeCloseTo(1.009259, 5);
    expect(rootHermiteFactor(200)).toBeCloseTo(1.006283, 5);
    let prev = Infinity;
    for (let beta = 50; beta <= 2000; beta += 50) {
      const d = rootHermiteFactor(beta);
      expect(d).toBeLessThan(prev);
      expect(d).toBeGreaterThan(1);
      prev = d;
    }
  });

  it("rejects block sizes below 2", () => {
    expect(() => rootHermiteFactor(1)).toThrow(LweEstimatorError);
  });
});

describe("guess-and-drop success probability", () => {
  /** Brute force: over all supports of size h and all k-subsets of [n], the fraction that are disjoint. */
  function bruteForce(n: number, h: number, k: number): number {
    const subsets = (size: number): number[] => {
      const out: number[] = [];
      for (let m = 0; m < 1 << n; m++) {
        let c = 0;
        for (let x = m; x; x &= x - 1) c++;
        if (c === size) out.push(m);
      }
      return out;
    };
    const supports = subsets(h);
    const drops = subsets(k);
    let hit = 0;
    for (const s of supports) for (const d of drops) if ((s & d) === 0) hit++;
    return hit / (supports.length * drops.length);
  }

  it("equals the brute-force fraction C(n−h,k)/C(n,k) for tiny n", () => {
    for (const [n, h] of [
      [8, 2],
      [10, 3],
      [12, 5],
    ] as const) {
      for (let k = 0; k <= n; k++) {
        const want = bruteForce(n, h, k);
        const got = log2DropSuccessProbability(n, h, k);
        if (want === 0) expect(got).toBe(-Infinity);
        else expect(got).toBeCloseTo(Math.log2(want), 10);
      }
    }
  });

  it("is about h·log2(1 − k/n) for small h (sanity at our size)", () => {
    const lp = log2DropSuccessProbability(32768, 32, 16384);
    expect(lp).toBeGreaterThan(-33.1);
    expect(lp).toBeLessThan(-32);
  });
});

describe("search internals", () => {
  it("primal uSVP: the bisection over β finds the same minimal β as a linear scan", () => {
    for (const inst of [
      { n: 1024, logQ: 27, secret: ternary },
      { n: 2048, logQ: 37, secret: ternary },
      { n: 4096, logQ: 109, secret: ternary },
      { n: 2048, logQ: 60, secret: sparse(64) },
      { n: 1024, logQ: 200, secret: sparse(16) },
    ]) {
      expect(primalMinBlockSize(inst, "bisection")).toBe(primalMinBlockSize(inst, "linear"));
    }
  });

  it("never reports a block size below the modelled minimum, and a trivially easy instance hits it", () => {
    const e = estimateLweSecurity({ n: 256, logQ: 200, secret: ternary });
    expect(e.beta).toBe(MIN_BLOCK_SIZE);
  });

  it("sparse secrets: the drop attack is what breaks h = 32 at a large modulus", () => {
    const e = estimateLweSecurity({ n: 32768, logQ: 881, secret: sparse(32) });
    expect(e.attack).toMatch(/\+drop$/);
    expect(e.dropped).toBeGreaterThan(0);
    expect(e.log2SuccessProbability).toBeLessThan(0);
    const plain = e.attacks.find((a) => a.attack === "primal-usvp")!;
    expect(e.bits).toBeLessThan(plain.bits - 20);
  });

  it("a tiny Hamming weight falls to meet-in-the-middle key search, counted as sqrt(C(n,h)·2^h)", () => {
    const n = 100000;
    const h = 3;
    const e = estimateLweSecurity({ n, logQ: 5, secret: sparse(h) });
    expect(e.attack).toBe("mitm-key-search");
    // Exact count with BigInt: C(100000, 3) · 2^3.
    const count = ((100000n * 99999n * 99998n) / 6n) * 8n;
    expect(e.bits).toBeCloseTo(Math.log2(Number(count)) / 2, 9);
    expect(log2SecretSpace(10, ternary)).toBeCloseTo(10 * Math.log2(3), 12);
    // At our sizes it is never the best attack: h = 32 at N = 2^15 has |S| = 2^394.
    const ours = estimateLweSecurity({ n: 32768, logQ: 100, secret: sparse(32) });
    const mitm = ours.attacks.find((a) => a.attack === "mitm-key-search")!;
    expect(mitm.bits).toBeGreaterThan(ours.bits);
  });

  it("fewer samples never make the attack cheaper", () => {
    const all = estimateLweSecurity({ n: 4096, logQ: 109, secret: ternary }).bits;
    const few = estimateLweSecurity({ n: 4096, logQ: 109, secret: ternary, samples: 1024 }).bits;
    expect(few).toBeGreaterThanOrEqual(all);
  });

  it("rejects bad input with the name of the field", () => {
    expect(() => estimateLweSecurity({ n: 10, logQ: 100, secret: ternary })).toThrow(/n must be/);
    expect(() => estimateLweSecurity({ n: 1024, logQ: -1, secret: ternary })).toThrow(/logQ must be/);
    expect(() => estimateLweSecurity({ n: 1024, logQ: 27, sigma: 0, secret: ternary })).toThrow(/sigma must be/);
    expect(() => estimateLweSecurity({ n: 1024, logQ: 27, secret: sparse(0) })).toThrow(/hammingWeight/);
    expect(() => estimateLweSecurity({ n: 1024, logQ: 27, secret: { kind: "gaussian" } as never })).toThrow(/secret.kind/);
  });
});
