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
  /**
   * Hamming weight of the secret ModRaise sees, which the EvalMod interval K is chosen for: the
   * ephemeral secret under encapsulation, otherwise the (sparse) main secret.
   */
  hammingWeight: number;
  /**
   * Sparse-secret encapsulation (encapsulation.ts): the main secret is dense uniform ternary
   * (params.secret) and ModRaise runs under an ephemeral sparse secret of weight hammingWeight.
   */
  encapsulation: boolean;
  /** Target failure probability per bootstrap (log2). */
  failureLog2: number;
  /** Target approximation error of EvalMod's polynomial (log2); planBootstrap's evalModErrorLog2. */
  evalModErrorLog2: number;
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
  encapsulation: boolean,
  failureLog2: number,
  description: string,
  insecure: boolean,
  evalModErrorLog2 = -40,
): BootstrapPreset {
  return {
    params: {
      name,
      N,
      coeffModulusBits: layoutBits(logScale, layout),
      logScale,
      secret: encapsulation ? { kind: "uniform-ternary" } : { kind: "sparse-ternary", hammingWeight: h },
      insecure,
      description,
    },
    layout,
    hammingWeight: h,
    encapsulation,
    failureLog2,
    evalModErrorLog2,
    description,
  };
}

/**
 * Unit-test set: N = 2^12, 2048 slots, 908 bits (far beyond the 109-bit bound for N = 2^12: INSECURE,
 * tests only). Same structure as the production set: dense main secret, encapsulation to an ephemeral
 * h = 32 secret; EvalMod K = 16 (failure <= 2^-100), degree 55, 2 double angles (8 of its 9 levels).
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
  32,
  true,
  -100,
  "N=2^12 bootstrapping test set: 50 | 2x40 app | 3x40 S2C | 9x50 EvalMod | 3x50 C2S | 60; dense secret + ephemeral h=32; INSECURE (tests only)",
  true,
);

/** The N = 2^15 bootstrapping stages shared by every production preset: 2×36 S2C, 8×50 EvalMod, 2×46 C2S, P 60. */
function n15Layout(appLevels: number, q0Bits: number): BootstrapLayout {
  return {
    appLevels,
    slotToCoeffLevels: 2,
    evalModLevels: 8,
    coeffToSlotLevels: 2,
    q0Bits,
    slotToCoeffBits: 36,
    evalModBits: 50,
    coeffToSlotBits: 46,
    specialBits: 60,
  };
}

/**
 * Production set at N = 2^15 (16384 slots), 878 bits, within the HomomorphicEncryption.org 128-bit bound
 * (881) for a uniform ternary secret at N = 2^15:
 *   q0 37 | 7×31 application | 2×36 SlotToCoeff | 8×50 EvalMod | 2×46 CoeffToSlot | P 60.
 * Main secret: dense uniform ternary (SEAL's), so every key and ciphertext is 128-bit RLWE. ModRaise runs
 * under an ephemeral h = 32 secret (sparse-secret encapsulation, encapsulation.ts), whose only public
 * material is RLWE at the modulus q0·P ≈ 2^100 (security estimate in the README). h = 32 gives
 * K = 16 for a failure probability <= 2^-100 per bootstrap (Chernoff, eval-mod.ts), and EvalMod then fits
 * in 8 levels (degree 55, 2 double angles) instead of the 9 that h = 64 needed; with 31-bit application
 * primes that leaves 7 levels for the network (Lattigo's dense N = 2^15 / 880-bit set keeps 4 at 2^31).
 * EvalMod and CoeffToSlot run at ≈ 2^50 because the raised coefficients must be resolved to ~2^-38 of
 * q0; P = 60 keeps key-switching noise small. q0/Δ = 2^6 is the message ratio (design note §3.4): every
 * coefficient-domain error of CoeffToSlot/EvalMod reaches the output multiplied by it, and with a dense
 * main secret the rounding noise of CoeffToSlot's rescales and key switches dominates (measured at N = 2^15:
 * 2^-29.3 of q0 after CoeffToSlot, 2^-23 after EvalMod's amplification); 2^9 cost 3 bits of output
 * precision. Inputs must therefore be small in the coefficient domain (|values| <= 1 is safe: the sine's
 * cubic term stays ~2^-36 of q0 for random data; a DC component near 1 would need 2^8).
 */
export const BOOT_N15: BootstrapPreset = preset(
  "boot-n15",
  32768,
  31,
  n15Layout(7, 37),
  32,
  true,
  -100,
  "N=2^15 bootstrapping set: 37 | 7x31 app | 2x36 S2C | 8x50 EvalMod | 2x46 C2S | 60 = 878 bits; dense ternary secret (128-bit, HE standard) + ephemeral h=32 (encapsulation)",
  false,
);

/**
 * The same chain with a 35-bit application scale and one application level fewer (q0 41 | 6×35 | … =
 * 875 bits): 4 more bits of headroom in every application rescale, for networks that need precision more
 * than depth.
 */
export const BOOT_N15_L6: BootstrapPreset = preset(
  "boot-n15-l6",
  32768,
  35,
  n15Layout(6, 41),
  32,
  true,
  -100,
  "N=2^15 bootstrapping set: 41 | 6x35 app | 2x36 S2C | 8x50 EvalMod | 2x46 C2S | 60 = 875 bits; dense ternary secret (128-bit, HE standard) + ephemeral h=32 (encapsulation)",
  false,
);

/**
 * The network set: the chain of boot-n15 with a 30-bit application scale and q0/Δ = 2^12
 * (q0 42 | 7×30 | 2×36 | 8×50 | 2×46 | 60 = 876 bits, dense secret + encapsulation, 128-bit).
 * Why a second ratio: CNN activations are not in [−1, 1] (ResNet values reach ~40, and the multiplexed
 * layout's channel structure puts a few large coefficients in the coefficient domain). The sine of EvalMod
 * is linear only for |Δ0·m_k/q0| ≪ 1, so at 2^6 a coefficient of 3 already carries a ~1% error; at 2^12 a
 * coefficient of 40 stays below 10^-3 relative, with no range-scaling step (no level) before the bootstrap.
 * The price is absolute precision: the CoeffToSlot/EvalMod noise is amplified 2^6 more than in boot-n15
 * (~10-11 bits absolute on [−1, 1] data), which is ample for values of magnitude 1..40 that feed
 * degree-2..31 activation polynomials.
 *
 * EvalMod's polynomial is chosen for that noise floor, not for boot-n15's: the CoeffToSlot/EvalMod noise is
 * ~2^-23 of q0 (measured, see boot-n15), so an approximation error of 2^-28 of q0 is 5 bits under it and
 * costs no output precision, while 2^-43 (degree 55, 2 double angles) buys nothing. A target of 2^-26
 * selects degree 31 with 3 double angles (2^-28.1, eval-mod.ts): the same 8 levels, and 22 ciphertext
 * products per EvalMod half instead of 34.
 */
export const BOOT_N15_CNN: BootstrapPreset = preset(
  "boot-n15-cnn",
  32768,
  30,
  n15Layout(7, 42),
  32,
  true,
  -100,
  "N=2^15 network bootstrapping set: 42 | 7x30 app | 2x36 S2C | 8x50 EvalMod | 2x46 C2S | 60 = 876 bits; q0/scale = 2^12 for CNN activations; dense ternary secret (128-bit, HE standard) + ephemeral h=32 (encapsulation); EvalMod at the noise floor (2^-26 target)",
  false,
  -26,
);

export const BOOTSTRAP_PRESETS: Readonly<Record<string, BootstrapPreset>> = {
  [BOOT_TEST_N12.params.name]: BOOT_TEST_N12,
  [BOOT_N15.params.name]: BOOT_N15,
  [BOOT_N15_L6.params.name]: BOOT_N15_L6,
  [BOOT_N15_CNN.params.name]: BOOT_N15_CNN,
};

export function getBootstrapPreset(name: string): BootstrapPreset {
  const p = BOOTSTRAP_PRESETS[name];
  if (!p) throw new Error(`unknown bootstrapping preset '${name}'; known: ${Object.keys(BOOTSTRAP_PRESETS).join(", ")}`);
  return p;
}
