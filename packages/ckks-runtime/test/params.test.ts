import { describe, expect, it } from "vitest";
import {
  choosePrimeChain,
  getPreset,
  isPrime,
  N15_PARAMETERS,
  N16_PARAMETERS,
  securityEstimate,
  TEST_PARAMETERS,
  validateParameters,
  assertUsable,
} from "../src/index.js";

describe("parameter validation", () => {
  it("accepts n15 as 128-bit secure with 19 levels and 880 bits", () => {
    const v = validateParameters(N15_PARAMETERS);
    expect(v.logQP).toBe(880);
    expect(v.levels).toBe(19);
    expect(v.secure128).toBe(true);
    expect(v.securityBits).toBeGreaterThanOrEqual(128);
  });

  it("accepts n16 (640 bits, far below the 1772-bit bound)", () => {
    const v = validateParameters(N16_PARAMETERS);
    expect(v.logQP).toBe(640);
    expect(v.secure128).toBe(true);
    expect(v.securityBits).toBeGreaterThan(256);
  });

  it("rejects 882 bits at N = 2^15 unless flagged insecure, naming the bound", () => {
    const big = { ...N15_PARAMETERS, name: "too-big", coeffModulusBits: [60, 42, ...Array<number>(18).fill(40), 60] };
    expect(() => validateParameters(big)).toThrow(/882 exceeds the 128-bit bound 881 for N = 32768/);
    expect(validateParameters({ ...big, insecure: true }).secure128).toBe(false);
  });

  it("rejects structural mistakes with the field named", () => {
    expect(() => validateParameters({ ...N15_PARAMETERS, N: 3000 })).toThrow(/N must be a power of two/);
    expect(() => validateParameters({ ...N15_PARAMETERS, coeffModulusBits: [60, 40, 50] })).toThrow(/special prime \(50 bits\)/);
    expect(() => validateParameters({ ...N15_PARAMETERS, coeffModulusBits: [60, 40, 61] })).toThrow(/coeffModulusBits\[2\]/);
    expect(() => validateParameters({ ...N15_PARAMETERS, coeffModulusBits: [40, 40, 60] })).toThrow(/q0 \(40 bits\) must exceed/);
    expect(() => getPreset("n14")).toThrow(/known presets: test, n15, n16/);
  });

  it("refuses the insecure test preset unless allowed", () => {
    const v = validateParameters(TEST_PARAMETERS);
    expect(v.insecure).toBe(true);
    expect(() => assertUsable(v, false)).toThrow(/insecure .*--allow-insecure/);
    expect(() => assertUsable(v, true)).not.toThrow();
  });

  it("security estimate reproduces the standard table rows", () => {
    expect(securityEstimate(32768, 881)).toBe(128);
    expect(securityEstimate(32768, 611)).toBe(192);
    expect(securityEstimate(8192, 118)).toBe(256);
    expect(securityEstimate(8192, 920)).toBeLessThan(40);
  });
});

describe("prime chain", () => {
  it("picks distinct NTT primes of the requested sizes with canonical scales near 2^40", () => {
    for (const [N, bits] of [
      [8192, TEST_PARAMETERS.coeffModulusBits],
      [32768, N15_PARAMETERS.coeffModulusBits],
    ] as const) {
      const chain = choosePrimeChain(bits, N, 40);
      expect(new Set(chain.primes).size).toBe(chain.primes.length);
      chain.primes.forEach((q, i) => {
        expect(isPrime(q)).toBe(true);
        expect(q % BigInt(2 * N)).toBe(1n);
        expect(q.toString(2).length).toBe(bits[i]);
      });
      for (const s of chain.canonicalScales) expect(Math.abs(Math.log2(s) - 40)).toBeLessThan(2 ** -10);
      // Exactly what SEAL computes for a product of two canonical ciphertexts after the rescale.
      for (let l = 1; l < chain.canonicalScales.length; l++) {
        const s = chain.canonicalScales[l]!;
        expect((s * s) / Number(chain.primes[l])).toBe(chain.canonicalScales[l - 1]);
      }
    }
  });

  it("isPrime agrees with trial division", () => {
    for (let n = 0n; n < 2000n; n++) {
      let p = n >= 2n;
      for (let d = 2n; d * d <= n; d++) if (n % d === 0n) p = false;
      expect(isPrime(n)).toBe(p);
    }
    expect(isPrime(1152921504606846883n)).toBe(true); // 2^60 - 93
    expect(isPrime(1152921504606846881n)).toBe(false);
  });
});
