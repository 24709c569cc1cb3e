// The direct low-level encoder (level-encoder.ts) against two independent references: the O(N²) encoding
// map (bootstrap/encoding-map.ts encodeDirect, and its factorised inverse), and SEAL's own CKKSEncoder
// (encode at the top level + plainModSwitchTo), compared integer by integer after SEAL's inverse NTT.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CkksContext } from "../src/context.js";
import { CkksClient } from "../src/client.js";
import { Evaluator } from "../src/evaluator.js";
import { Plaintext } from "../src/ciphertext.js";
import type { ParameterSet } from "../src/params.js";
import { CT, PT, RawPlaintextFactory } from "../src/bootstrap/seal-bytes.js";
import { buildEncodingFactors, coefficientsFromSlots, encodeDirect } from "../src/bootstrap/encoding-map.js";
import { LevelEncoder, slotsToCoefficients, writeResiduesInto } from "../src/level-encoder.js";
import { SMALL, maxAbsDiff, rng, uniform } from "./helpers.js";

/** N = 2^12 with the prime sizes of boot-n15's bottom (37-bit q0, 31-bit application primes). */
const N12_31: ParameterSet = {
  name: "test-n12-31",
  N: 4096,
  coeffModulusBits: [37, 31, 31, 31, 31, 60],
  logScale: 31,
  secret: { kind: "uniform-ternary" },
  insecure: true,
};

/** Coefficient-domain residues [prime][k] of an NTT-form plaintext, via SEAL's inverse NTT on a container. */
function plainResidues(ctx: CkksContext, pt: Plaintext): BigUint64Array[] {
  const seal = ctx.seal;
  const N = ctx.N;
  const L = pt.level + 1;
  const bytes = pt.handle.saveArray(seal.ComprModeType.none);
  const pdv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ct = seal.CipherText({ context: ctx.sealContext, parmsId: ctx.levelInfo(pt.level).parmsId, sizeCapacity: 2 });
  const ev = seal.Evaluator(ctx.sealContext);
  try {
    ct.resize(2);
    const cb = ct.saveArray(seal.ComprModeType.none).slice();
    const cdv = new DataView(cb.buffer);
    cdv.setUint8(CT.isNtt, 1);
    for (let j = 0; j < L * N; j++) {
      const v = pdv.getBigUint64(PT.data + 8 * j, true);
      cdv.setBigUint64(CT.data + 8 * j, v, true);
      cdv.setBigUint64(CT.data + 8 * (L * N + j), v === 0n ? 1n : v, true); // never transparent
    }
    ct.loadArray(ctx.sealContext, cb);
    ev.cipherTransformFromNtt(ct, ct);
    const out = ct.saveArray(seal.ComprModeType.none);
    const odv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    return Array.from({ length: L }, (_, i) => {
      const r = new BigUint64Array(N);
      for (let k = 0; k < N; k++) r[k] = odv.getBigUint64(CT.data + 8 * (i * N + k), true);
      return r;
    });
  } finally {
    ct.delete();
    ev.delete();
  }
}

/**
 * Signed coefficient differences a − b (centred mod q_0), checked to be the same integer modulo every prime
 * (so a difference that is small mod q_0 is really small).
 */
function coefficientDiffs(ctx: CkksContext, a: Plaintext, b: Plaintext): bigint[] {
  expect(a.level).toBe(b.level);
  const ra = plainResidues(ctx, a);
  const rb = plainResidues(ctx, b);
  const primes = ctx.levelInfo(a.level).primes;
  const diffs: bigint[] = [];
  for (let k = 0; k < ctx.N; k++) {
    const q0 = primes[0]!;
    let d = (ra[0]![k]! - rb[0]![k]! + q0) % q0;
    if (d > q0 / 2n) d -= q0;
    for (let i = 1; i < primes.length; i++) {
      const q = primes[i]!;
      expect(((ra[i]![k]! - rb[i]![k]! - d) % q + q) % q).toBe(0n);
    }
    diffs.push(d);
  }
  return diffs;
}

function maxAbsBig(ds: bigint[]): number {
  return ds.reduce((m, d) => Math.max(m, Math.abs(Number(d))), 0);
}

describe("slotsToCoefficients (half-size special FFT in SEAL's slot order)", () => {
  it("inverts the O(N^2) encoding map for complex slots (N = 8 .. 1024)", () => {
    for (const N of [8, 16, 64, 256, 1024]) {
      const n = N / 2;
      const re = uniform(n, -1, 1, N);
      const im = uniform(n, -1, 1, N + 1);
      const c = slotsToCoefficients(N, re, im);
      const z = encodeDirect(c, N);
      expect(maxAbsDiff(z.re, re)).toBeLessThan(1e-12);
      expect(maxAbsDiff(z.im, im)).toBeLessThan(1e-12);
    }
  });

  it("agrees with the factorised inverse of the bootstrapping code at N = 2^12, and scales inside", () => {
    const N = 4096;
    const re = uniform(N / 2, -3, 3, 7);
    const im = uniform(N / 2, -3, 3, 8);
    const ours = slotsToCoefficients(N, re, im, 2 ** 30);
    const ref = coefficientsFromSlots(buildEncodingFactors(N), { re, im });
    for (let k = 0; k < N; k++) expect(Math.abs(ours[k]! - ref[k]! * 2 ** 30)).toBeLessThan(1e-12 * 2 ** 30);
  });

  it("the real-input path (n/2-point FFT) matches the complex path and the O(N^2) map (N = 8 .. 2^13)", () => {
    for (const N of [8, 16, 32, 1024, 8192]) {
      const re = uniform(N / 2, -2, 2, N + 5);
      const real = slotsToCoefficients(N, re, undefined, 2 ** 20);
      const cplx = slotsToCoefficients(N, re, new Float64Array(N / 2), 2 ** 20);
      expect(maxAbsDiff(real, cplx)).toBeLessThan(1e-9 * 2 ** 20);
      if (N <= 1024) {
        const z = encodeDirect(slotsToCoefficients(N, re), N);
        expect(maxAbsDiff(z.re, re)).toBeLessThan(1e-12);
        expect(maxAbsDiff(z.im, new Float64Array(N / 2))).toBeLessThan(1e-12);
      }
    }
  });

  it("pads missing slots with zeros and rejects too many values", () => {
    const N = 64;
    const short = uniform(5, -1, 1, 3);
    const padded = new Float64Array(N / 2);
    padded.set(short);
    expect(maxAbsDiff(slotsToCoefficients(N, short), slotsToCoefficients(N, padded))).toBe(0);
    expect(() => slotsToCoefficients(N, new Float64Array(N / 2 + 1))).toThrow(/cannot encode 33 values into 32 slots/);
    expect(() => slotsToCoefficients(48, new Float64Array(4))).toThrow(/power of two/);
  });
});

describe("writeResiduesInto", () => {
  it("reduces small, negative, 2^53+ and 60-bit-prime cases exactly (BigInt reference)", () => {
    const primes = [(1n << 60n) - 93n, 1099511480321n, 2147565569n]; // 60-bit, 40-bit, 31-bit
    const r = rng(5);
    const vals: number[] = [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 52 + 1, -(2 ** 52) - 3, 2 ** 60, -(2 ** 58), 2 ** 70, -(2 ** 66)];
    for (let i = 0; i < 40; i++) vals.push(Math.round((r() - 0.5) * 2 ** (10 + 50 * r())));
    const v = Float64Array.from(vals);
    const words = new Uint32Array(2 * primes.length * v.length);
    writeResiduesInto(words, v, primes);
    primes.forEach((q, i) => {
      v.forEach((x, k) => {
        const got = BigInt(words[2 * (i * v.length + k)]!) + (BigInt(words[2 * (i * v.length + k) + 1]!) << 32n);
        const want = ((BigInt(x) % q) + q) % q;
        expect(got, `value ${x} mod prime ${i}`).toBe(want);
      });
    });
    // fast path (maxAbs below a prime: no reduction) gives the same words
    const small = Float64Array.from(vals.filter((x) => Math.abs(x) < 2 ** 31));
    const maxAbs = small.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const slow = new Uint32Array(2 * primes.length * small.length);
    const fast = new Uint32Array(2 * primes.length * small.length);
    writeResiduesInto(slow, small, primes);
    writeResiduesInto(fast, small, primes, maxAbs);
    expect(small.length).toBeGreaterThan(10);
    expect(Array.from(fast)).toEqual(Array.from(slow));
  });
});

describe.each([
  ["N = 2^13, 60/40-bit chain", SMALL],
  ["N = 2^12, boot-n15's 37/31-bit bottom primes", N12_31],
])("LevelEncoder vs SEAL (encode at top + plainModSwitchTo), %s", (_name, params) => {
  let ctx: CkksContext;
  let client: CkksClient;
  let ev: Evaluator;
  let le: LevelEncoder;
  beforeAll(async () => {
    ctx = await CkksContext.create(params, { allowInsecure: true });
    client = new CkksClient(ctx);
    ev = new Evaluator(ctx, client.evaluationKeys([]));
    ev.encoder.path = "seal";
    le = new LevelEncoder(ctx);
  });
  afterAll(() => {
    le?.dispose();
    ev?.dispose();
    client?.dispose();
    ctx?.dispose();
  });

  it("gives SEAL's integers within ±1 at every level, several scales and value ranges", () => {
    const logScales = params === SMALL ? [20, 30, 40, 45] : [20, 31];
    for (let level = 0; level <= ctx.topLevel; level++) {
      for (const logScale of logScales) {
        for (const [range, count] of [
          [1, ctx.slots],
          [8, 100],
        ] as const) {
          const scale = 2 ** logScale;
          if (Math.log2(range * scale * ctx.slots) + 2 >= ctx.levelInfo(level).logQ) continue;
          const values = uniform(count, -range, range, 31 * level + logScale + count);
          const ours = le.encode(values, level, scale);
          const ref = ev.encoder.encode(values, { level, scale });
          try {
            expect(ours.level).toBe(level);
            expect(ours.scale).toBe(scale);
            expect(ours.handle.isNttForm).toBe(true);
            const d = coefficientDiffs(ctx, ours, ref);
            expect(maxAbsBig(d), `level ${level}, scale 2^${logScale}, |values| <= ${range}`).toBeLessThanOrEqual(1);
          } finally {
            ours.dispose();
            ref.dispose();
          }
        }
      }
    }
  });

  it("large coefficients (beyond 2^53): same float64 relative precision as SEAL's encoder", () => {
    if (params !== SMALL) return; // needs a 60-bit q0
    const level = 2;
    const scale = 2 ** 56;
    const values = uniform(ctx.slots, -8, 8, 99);
    const ours = le.encode(values, level, scale);
    const ref = ev.encoder.encode(values, { level, scale });
    try {
      const c = slotsToCoefficients(ctx.N, values, undefined, scale);
      const maxCoeff = c.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      expect(maxCoeff).toBeGreaterThan(2 ** 53);
      const d = maxAbsBig(coefficientDiffs(ctx, ours, ref));
      // both FFTs carry ~2^-53·log2(N) relative error of the largest coefficient
      expect(d).toBeLessThanOrEqual(maxCoeff * 2 ** -44);
    } finally {
      ours.dispose();
      ref.dispose();
    }
  });

  it("ct x pt with the direct plaintext decrypts like the SEAL plaintext", () => {
    const x = uniform(ctx.slots, -1, 1, 5);
    const w = uniform(ctx.slots, -2, 2, 6);
    const level = 2;
    const ct = client.encrypt(x, { level });
    const scale = ev.multiplierScale(level, ct.scale);
    const ours = le.encode(w, level, scale);
    const ref = ev.encoder.encode(w, { level, scale });
    try {
      const a = ev.mulPlain(ct, ours);
      const b = ev.mulPlain(ct, ref);
      try {
        const da = client.decrypt(a);
        const db = client.decrypt(b);
        const want = x.map((xi, i) => xi * w[i]!);
        const tol = params === SMALL ? 1e-6 : 1e-3;
        expect(maxAbsDiff(da, want)).toBeLessThan(tol);
        expect(maxAbsDiff(db, want)).toBeLessThan(tol);
        expect(maxAbsDiff(da, db)).toBeLessThan(tol);
      } finally {
        a.dispose();
        b.dispose();
      }
    } finally {
      ct.dispose();
      ours.dispose();
      ref.dispose();
    }
  });

  it("encodeMany (two plaintexts per NTT) equals single encodes byte for byte, incl. odd counts and zero vectors", () => {
    const level = 1;
    const scale = 2 ** 25;
    const items = [uniform(ctx.slots, -1, 1, 1), new Float64Array(10), uniform(50, -1, 1, 2), uniform(ctx.slots, -3, 3, 3), uniform(7, -1, 1, 4)].map(
      (values) => ({ values, scale }),
    );
    const many = le.encodeMany(items, level);
    try {
      expect(many).toHaveLength(items.length);
      items.forEach((it, i) => {
        const single = le.encode(it.values, level, scale);
        try {
          expect(Buffer.from(many[i]!.handle.saveArray(ctx.seal.ComprModeType.none)).equals(Buffer.from(single.handle.saveArray(ctx.seal.ComprModeType.none)))).toBe(true);
        } finally {
          single.dispose();
        }
      });
      // the zero vector is the zero plaintext, as SEAL encodes it
      const ref = ev.encoder.encode(new Float64Array(10), { level, scale });
      try {
        expect(maxAbsBig(coefficientDiffs(ctx, many[1]!, ref))).toBe(0);
      } finally {
        ref.dispose();
      }
    } finally {
      for (const p of many) p.dispose();
    }
  });

  it("encodeCoefficients (complex slots via slotsToCoefficients) equals the bootstrapping's RawPlaintextFactory", () => {
    const raw = new RawPlaintextFactory(ctx);
    try {
      for (const level of [0, 1, ctx.topLevel]) {
        const scale = 2 ** 24;
        const coeffs = slotsToCoefficients(ctx.N, uniform(ctx.slots, -1, 1, 40 + level), uniform(ctx.slots, -1, 1, 50 + level));
        const values = uniform(ctx.slots, -1, 1, 60 + level);
        const [ours, fromValues] = le.encodeMany(
          [
            { coefficients: coeffs, scale },
            { values, scale },
          ],
          level,
        );
        const ref = raw.load(raw.build(coeffs, level, scale));
        const single = le.encode(values, level, scale);
        try {
          expect(ours!.scale).toBe(scale);
          expect(maxAbsBig(coefficientDiffs(ctx, ours!, ref))).toBeLessThanOrEqual(1);
          expect(maxAbsBig(coefficientDiffs(ctx, fromValues!, single))).toBe(0);
        } finally {
          ours!.dispose();
          fromValues!.dispose();
          ref.dispose();
          single.dispose();
        }
      }
      expect(() => le.encodeCoefficients(new Float64Array(ctx.N - 1), 1, 2 ** 20)).toThrow(/coefficient vector has \d+ entries, expected N/);
      const bad = new Float64Array(ctx.N);
      bad[3] = Number.POSITIVE_INFINITY;
      expect(() => le.encodeCoefficients(bad, 1, 2 ** 20)).toThrow(/coefficient 3 to encode is not finite/);
    } finally {
      raw.dispose();
    }
  });

  it("rejects bad input with errors naming the problem", () => {
    expect(() => le.encode(new Float64Array(ctx.slots + 1), 1, 2 ** 20)).toThrow(/cannot encode \d+ values into \d+ slots/);
    expect(() => le.encode(Float64Array.of(1, Number.NaN), 1, 2 ** 20)).toThrow(/value 1 to encode is not finite/);
    expect(() => le.encode(Float64Array.of(1), 0, 2 ** 80)).toThrow(/does not fit level 0/);
    const logQ0 = ctx.levelInfo(0).logQ;
    expect(() => le.encode(new Float64Array(ctx.slots).fill(1000), 0, 2 ** (logQ0 - 3))).toThrow(/coefficients reach .* beyond the level's modulus/);
  });

  it("Encoder 'auto' takes the direct path below the top level and SEAL's at the top", () => {
    ev.encoder.path = "auto";
    try {
      expect(ev.encoder.usesDirect(0)).toBe(true);
      expect(ev.encoder.usesDirect(ctx.topLevel)).toBe(false);
      expect(ev.encoder.usesDirect(ctx.topLevel - 1, true)).toBe(true);
      const values = uniform(ctx.slots, -1, 1, 12);
      const before = ev.encoder.encodes;
      const auto = ev.encodeForMulMany([values, values, values], 1);
      ev.encoder.path = "seal";
      const ref = ev.encodeForMul(values, 1);
      try {
        expect(ev.encoder.encodes - before).toBe(4);
        for (const p of auto) expect(maxAbsBig(coefficientDiffs(ctx, p, ref))).toBeLessThanOrEqual(1);
      } finally {
        for (const p of auto) p.dispose();
        ref.dispose();
      }
    } finally {
      ev.encoder.path = "seal";
    }
  });
});
