// CKKS parameter sets: plain literal objects, validated once (structure + 128-bit security against the
// HomomorphicEncryption.org standard table, in our own code, because SEAL's check stops at N = 2^15).

/** Secret-key distribution. SEAL's KeyGenerator samples a uniform ternary secret. */
export type SecretDistribution = { kind: "uniform-ternary" } | { kind: "sparse-ternary"; hammingWeight: number };

export interface ParameterSet {
  /** Name used by the CLI and in cost tables. */
  name: string;
  /** Ring degree N (power of two); N/2 complex slots. */
  N: number;
  /**
   * Bit sizes of the coefficient-modulus primes in SEAL order: q0 (the last prime left, holds the result),
   * then q1 .. q_top (consumed by rescales from the top down), then the special key-switching prime P.
   */
  coeffModulusBits: readonly number[];
  /** log2 of the scale of fresh ciphertexts (primes of this size are the "scale primes"). */
  logScale: number;
  secret: SecretDistribution;
  /** Below 128-bit security: refused outside tests unless explicitly allowed (see allowInsecure). */
  insecure?: boolean;
  description?: string;
}

/**
 * Max log2(QP) for 128/192/256-bit classical security, uniform ternary secret (HomomorphicEncryption.org
 * Security Standard, Albrecht et al. 2018, Table 1 "ternary"; the N = 2^16 and 2^17 rows are the
 * extension used by OpenFHE's stdlatticeparms for the same estimator settings).
 */
export const HE_STANDARD_MAX_LOGQP: Readonly<Record<number, { 128: number; 192: number; 256: number }>> = {
  1024: { 128: 27, 192: 19, 256: 14 },
  2048: { 128: 54, 192: 37, 256: 29 },
  4096: { 128: 109, 192: 75, 256: 58 },
  8192: { 128: 218, 192: 152, 256: 118 },
  16384: { 128: 438, 192: 305, 256: 237 },
  32768: { 128: 881, 192: 611, 256: 476 },
  65536: { 128: 1772, 192: 1228, 256: 956 },
  131072: { 128: 3544, 192: 2456, 256: 1912 },
};

export interface ValidatedParameters extends ParameterSet {
  /** Total bits of Q·P (sum of the bit sizes). */
  logQP: number;
  /** Levels = rescales available from a fresh ciphertext = data primes - 1. */
  levels: number;
  slots: number;
  /**
   * Security estimate in bits. From the standard table: interpolated linearly in N/logQP between the
   * 128/192/256 rows (security is close to linear in N/log q for LWE with these parameters); below the
   * 128-bit row it is extrapolated on the same line and is only a rough indication.
   */
  securityBits: number;
  /** True when logQP is within the 128-bit bound for N with a uniform ternary secret. */
  secure128: boolean;
}

export class ParameterError extends Error {
  constructor(set: string, message: string) {
    super(`parameter set '${set}': ${message}`);
    this.name = "ParameterError";
  }
}

export function securityEstimate(N: number, logQP: number): number {
  const row = HE_STANDARD_MAX_LOGQP[N];
  if (!row) return NaN;
  const pts: [number, number][] = [
    [N / row[128], 128],
    [N / row[192], 192],
    [N / row[256], 256],
  ];
  const x = N / logQP;
  // Piecewise-linear through the three points, extended with the end slopes.
  const seg = x <= pts[1]![0] ? [pts[0]!, pts[1]!] : [pts[1]!, pts[2]!];
  const [[x0, y0], [x1, y1]] = seg as [[number, number], [number, number]];
  return Math.floor(y0 + ((y1 - y0) * (x - x0)) / (x1 - x0));
}

/** Validates a parameter set once; the result is what every other part of the runtime consumes. */
export function validateParameters(p: ParameterSet): ValidatedParameters {
  const name = p.name || "(unnamed)";
  if (!Number.isInteger(Math.log2(p.N)) || p.N < 1024 || p.N > 131072) {
    throw new ParameterError(name, `N must be a power of two in [2^10, 2^17], got ${p.N}`);
  }
  const bits = p.coeffModulusBits;
  if (bits.length < 3) {
    throw new ParameterError(name, `coeffModulusBits needs q0, at least one scale prime and the special prime, got ${bits.length} entries`);
  }
  bits.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 20 || b > 60) {
      throw new ParameterError(name, `coeffModulusBits[${i}] must be an integer in [20, 60], got ${b}`);
    }
  });
  const special = bits[bits.length - 1]!;
  const maxData = Math.max(...bits.slice(0, -1));
  if (special < maxData) {
    throw new ParameterError(name, `the special prime (${special} bits) must be at least as large as every data prime (${maxData} bits); otherwise key-switching noise grows`);
  }
  if (!Number.isInteger(p.logScale) || p.logScale < 20 || p.logScale > 59) {
    throw new ParameterError(name, `logScale must be an integer in [20, 59], got ${p.logScale}`);
  }
  if (bits[0]! <= p.logScale) {
    throw new ParameterError(name, `q0 (${bits[0]} bits) must exceed the scale (2^${p.logScale}) to hold a result: values up to 2^${bits[0]! - p.logScale - 1}`);
  }
  if (!bits.slice(1, -1).includes(p.logScale)) {
    throw new ParameterError(name, `at least one data prime above q0 must have logScale = ${p.logScale} bits`);
  }
  if (p.secret.kind === "sparse-ternary") {
    const h = p.secret.hammingWeight;
    if (!Number.isInteger(h) || h < 1 || h > p.N) throw new ParameterError(name, `hammingWeight must be an integer in [1, N], got ${h}`);
  }
  const logQP = bits.reduce((a, b) => a + b, 0);
  const row = HE_STANDARD_MAX_LOGQP[p.N]!;
  const secure128 = p.secret.kind === "uniform-ternary" && logQP <= row[128];
  if (!p.insecure && !secure128) {
    const why =
      p.secret.kind === "sparse-ternary"
        ? "a sparse secret is not covered by the HE standard table (run the lattice estimator)"
        : `log QP = ${logQP} exceeds the 128-bit bound ${row[128]} for N = ${p.N} (HomomorphicEncryption.org standard)`;
    throw new ParameterError(name, `${why}; mark the set insecure: true if that is intended`);
  }
  return {
    ...p,
    coeffModulusBits: [...bits],
    logQP,
    levels: bits.length - 2,
    slots: p.N / 2,
    securityBits: securityEstimate(p.N, logQP),
    secure128,
  };
}

/**
 * Unit-test preset: N = 2^13 with 16 levels (enough for the depth-15 composite ReLU of alpha = 13), far
 * beyond the 218-bit bound: insecure. SEAL context construction grows with the number of primes
 * (~0.3 s for 4 primes, a few seconds for 18), so tests that need fewer levels define shorter sets.
 */
export const TEST_PARAMETERS: ParameterSet = {
  name: "test",
  N: 8192,
  coeffModulusBits: [60, ...Array<number>(16).fill(40), 60],
  logScale: 40,
  secret: { kind: "uniform-ternary" },
  insecure: true,
  description: "N=2^13, 60 + 16x40 + 60 = 720 bits, 16 levels at 2^40: for unit tests only (insecure: 720 >> 218)",
};

/** Production preset: N = 2^15, 880 bits (within the 881-bit 128-bit bound), 19 levels at 2^40. */
export const N15_PARAMETERS: ParameterSet = {
  name: "n15",
  N: 32768,
  coeffModulusBits: [60, ...Array<number>(19).fill(40), 60],
  logScale: 40,
  secret: { kind: "uniform-ternary" },
  description: "N=2^15, 60 + 19x40 + 60 = 880 bits, 128-bit secure (uniform ternary secret), 19 levels at 2^40",
};

/**
 * N = 2^16 preset sized for the 4 GiB wasm heap rather than for security (1772 bits would be allowed):
 * 60 + 13x40 + 60 = 640 bits, L = 15 primes, a key-switching key is 14·2·15·2^16·8 B = 210 MiB.
 */
export const N16_PARAMETERS: ParameterSet = {
  name: "n16",
  N: 65536,
  coeffModulusBits: [60, ...Array<number>(13).fill(40), 60],
  logScale: 40,
  secret: { kind: "uniform-ternary" },
  description: "N=2^16, 60 + 13x40 + 60 = 640 bits, 128-bit secure, 13 levels at 2^40, keys 210 MiB each",
};

export const PRESETS: Readonly<Record<string, ParameterSet>> = {
  test: TEST_PARAMETERS,
  n15: N15_PARAMETERS,
  n16: N16_PARAMETERS,
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** Looks a preset up by name; the error lists the known names. */
export function getPreset(name: string): ParameterSet {
  const p = PRESETS[name];
  if (!p) throw new ParameterError(name, `unknown preset; known presets: ${presetNames().join(", ")}`);
  return p;
}

/**
 * Insecure parameter sets are refused unless the caller passes allowInsecure: true, or the environment
 * is a test run (VITEST set) or OLA_ALLOW_INSECURE=1.
 */
export function insecureAllowed(explicit?: boolean): boolean {
  if (explicit !== undefined) return explicit;
  return Boolean(process.env.VITEST) || process.env.OLA_ALLOW_INSECURE === "1";
}

export function assertUsable(p: ValidatedParameters, allowInsecure?: boolean): void {
  if (p.insecure && !insecureAllowed(allowInsecure)) {
    throw new ParameterError(
      p.name,
      `is insecure (about ${p.securityBits} bits: log QP = ${p.logQP} for N = ${p.N}); it is for tests only. ` +
        `Pass allowInsecure (CLI: --allow-insecure) or set OLA_ALLOW_INSECURE=1 to use it anyway`,
    );
  }
}
