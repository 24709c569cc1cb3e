// Parameter sets with a modulus chain laid out for bootstrapping. SEAL order (bottom → top, then P):
//
//   q0 | application levels (logScale bits) | SlotToCoeff | EvalMod | CoeffToSlot | P
//
// q0/Δ0 (Δ0 ≈ 2^logScale, the scale of a level-0 input) is the message ratio of design note §3.4: the
// coefficient-domain noise of EvalMod is amplified by it, and the sine non-linearity is bounded by it.
// EvalMod and CoeffToSlot run at 2^evalScaleBits (primes of that size), well above the application's
// scale, because the ModRaise'd coefficients must be resolved to ~2^-35 of q0.
import type { ParameterSet } from "../params.js";

export interface BootstrapLayout {
  /** Application levels (rescales available to the network after a bootstrap). */
  appLevels: number;
  /** Merged levels of SlotToCoeff, EvalMod depth, merged levels of CoeffToSlot. */
  slotToCoeffLevels: number;
  evalModLevels: number;
  coeffToSlotLevels: number;
  /** Bit sizes of the primes of each stage. */
  q0Bits: number;
  slotToCoeffBits: number;
  evalModBits: number;
  coeffToSlotBits: number;
  specialBits: number;
}

export interface BootstrapPreset {
  params: ParameterSet;
  layout: BootstrapLayout;
  /** Hamming weight of the sparse secret the EvalMod interval K is chosen for. */
  hammingWeight: number;
  /** Target failure probability per bootstrap (log2). */
  failureLog2: number;
  description: string;
}

export function layoutBits(logScale: number, l: BootstrapLayout): number[] {
  return [
    l.q0Bits,
    ...Array<number>(l.appLevels).fill(logScale),
    ...Array<number>(l.slotToCoeffLevels).fill(l.slotToCoeffBits),
    ...Array<number>(l.evalModLevels).fill(l.evalModBits),
    ...Array<number>(l.coeffToSlotLevels).fill(l.coeffToSlotBits),
    l.specialBits,
  ];
}

function preset(
  name: string,
  N: number,
  logScale: number,
  layout: BootstrapLayout,
  h: number,
  failureLog2: number,
  description: string,
  insecure: boolean,
): BootstrapPreset {
  return {
    params: {
      name,
      N,
      coeffModulusBits: layoutBits(logScale, layout),
      logScale,
      secret: { kind: "sparse-ternary", hammingWeight: h },
      insecure,
      description,
    },
    layout,
    hammingWeight: h,
    failureLog2,
    description,
  };
}

/**
 * Unit-test set: N = 2^12, 2048 slots, h = 64, 908 bits (far beyond the 109-bit bound for N = 2^12:
 * INSECURE, tests only). EvalMod: K from h = 64 and 2^-32, degree 31, 4 double angles (9 levels).
 */
export const BOOT_TEST_N12: BootstrapPreset = preset(
  "boot-test-n12",
  4096,
  40,
  {
    appLevels: 2,
    slotToCoeffLevels: 3,
    evalModLevels: 9,
    coeffToSlotLevels: 3,
    q0Bits: 50,
    slotToCoeffBits: 40,
    evalModBits: 50,
    coeffToSlotBits: 50,
    specialBits: 60,
  },
  64,
  -32,
  "N=2^12 bootstrapping test set: 50 | 2x40 app | 3x40 S2C | 9x50 EvalMod | 3x50 C2S | 60; h=64; INSECURE (tests only)",
  true,
);

/**
 * Benchmark set at N = 2^15 (16384 slots), 880 bits (within SEAL's 881-bit limit):
 *   q0 46 | 4×40 application | 2×36 SlotToCoeff | 9×50 EvalMod | 2×46 CoeffToSlot | P 60.
 * Why not the core n15 preset (60 + 19×40 + 60): bootstrapping needs EvalMod and CoeffToSlot at ≈ 2^50
 * (the ModRaise'd coefficients must be resolved to ~2^-38 of q0, and key-switching noise must stay small
 * against the scale, hence P = 60 > 50); 40-bit primes everywhere would cost the precision target. The
 * q0/Δ ratio is 2^6: every coefficient-domain error is multiplied by it, and for data in [−1, 1] the sine
 * non-linearity stays below 2^-33 of q0 (a strong DC component, e.g. a constant vector, would need 2^8+). The application keeps the core's 2^40 scale on its 4 levels.
 * Secret: sparse ternary, h = 64 (K = 19 for 2^-32 per bootstrap). SECURITY: a sparse secret is not covered
 * by the HE-standard table; h = 64 at N = 2^15, log QP = 880 is well below 128 bits (not estimated here);
 * flagged insecure — a development/benchmark set.
 */
export const BOOT_N15: BootstrapPreset = preset(
  "boot-n15",
  32768,
  40,
  {
    appLevels: 4,
    slotToCoeffLevels: 2,
    evalModLevels: 9,
    coeffToSlotLevels: 2,
    q0Bits: 46,
    slotToCoeffBits: 36,
    evalModBits: 50,
    coeffToSlotBits: 46,
    specialBits: 60,
  },
  64,
  -32,
  "N=2^15 bootstrapping set: 46 | 4x40 app | 2x36 S2C | 9x50 EvalMod | 2x46 C2S | 60 = 880 bits; sparse h=64; below 128-bit security (benchmark set)",
  true,
);

export const BOOTSTRAP_PRESETS: Readonly<Record<string, BootstrapPreset>> = {
  [BOOT_TEST_N12.params.name]: BOOT_TEST_N12,
  [BOOT_N15.params.name]: BOOT_N15,
};

export function getBootstrapPreset(name: string): BootstrapPreset {
  const p = BOOTSTRAP_PRESETS[name];
  if (!p) throw new Error(`unknown bootstrapping preset '${name}'; known: ${Object.keys(BOOTSTRAP_PRESETS).join(", ")}`);
  return p;
}
