// NTT-friendly primes for RNS-CKKS, chosen by us rather than by SEAL's CoeffModulus.Create.
//
// Why: SEAL picks the largest primes below 2^b. A rescale maps scale s to s^2/q, so with every q
// below 2^40 and s = 2^40 the scale drifts upwards and the deviation doubles at every level
// (delta_{l-1} = 2 delta_l + eps_l). Following OpenFHE's FLEXIBLEAUTO prime choice, we pick each
// "scale prime" (bit size = logScale) closest to s_l^2 / s_top, which keeps the canonical scale of every
// level within one prime gap of s_top (|delta| <= ~2^-19 at N = 2^15), so ciphertexts at the same level
// always carry one exactly known scale.

/** Deterministic Miller-Rabin for n < 2^64 (bases 2..37 suffice: Jaeschke / Sorenson-Webster). */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (const p of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n]) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let r = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    r++;
  }
  outer: for (const a of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n]) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let i = 1; i < r; i++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let result = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** Largest prime p < 2^bits with p = 1 (mod 2N), not in `used`. */
export function largestNttPrimeBelow(bits: number, N: number, used: Set<bigint>): bigint {
  const m = BigInt(2 * N);
  const lo = 1n << BigInt(bits - 1);
  let p = ((1n << BigInt(bits)) - 1n) / m * m + 1n;
  if (p >= 1n << BigInt(bits)) p -= m;
  for (; p > lo; p -= m) if (!used.has(p) && isPrime(p)) return p;
  throw new Error(`no ${bits}-bit prime = 1 mod ${2 * N} left (N=${N})`);
}

/** The prime p = 1 (mod 2N) with exactly `bits` bits closest to `target`, not in `used`. */
export function closestNttPrime(target: number, bits: number, N: number, used: Set<bigint>): bigint {
  const m = BigInt(2 * N);
  const hi = 1n << BigInt(bits);
  const lo = 1n << BigInt(bits - 1);
  const k0 = BigInt(Math.round((target - 1) / (2 * N)));
  for (let i = 0n; i < 1n << 20n; i++) {
    for (const k of i === 0n ? [k0] : [k0 + i, k0 - i]) {
      const p = k * m + 1n;
      if (p > lo && p < hi && !used.has(p) && isPrime(p)) return p;
    }
  }
  throw new Error(`no ${bits}-bit prime = 1 mod ${2 * N} near ${target}`);
}

export interface PrimeChain {
  /** Primes in SEAL order: q0, q1, ..., q_top, then the special prime P. */
  primes: bigint[];
  /** canonicalScales[l] = the scale every ciphertext at level l carries (level = primes left - 1). */
  canonicalScales: number[];
}

/**
 * Chooses the primes for `bits` (SEAL order, last = special prime) and the canonical scale per level.
 * topScale is the scale of fresh ciphertexts; it is 2^logScale·(1 - 2^-12), a hair below 2^logScale, so
 * that logScale-bit primes exist on both sides of it.
 */
export function choosePrimeChain(bits: readonly number[], N: number, logScale: number): PrimeChain {
  const data = bits.length - 1;
  const used = new Set<bigint>();
  const primes: bigint[] = new Array(bits.length);
  const topScale = 2 ** logScale - 2 ** (logScale - 12);
  const scales: number[] = new Array(data);
  scales[data - 1] = topScale;
  for (let l = data - 1; l >= 1; l--) {
    const s = scales[l]!;
    let q: bigint;
    if (bits[l] === logScale) {
      q = closestNttPrime((s * s) / topScale, logScale, N, used);
    } else {
      q = largestNttPrimeBelow(bits[l]!, N, used);
    }
    used.add(q);
    primes[l] = q;
    // Same double arithmetic as SEAL: multiply scales, then divide by (double)q at rescale.
    scales[l - 1] = bits[l] === logScale ? (s * s) / Number(q) : topScale;
  }
  primes[0] = largestNttPrimeBelow(bits[0]!, N, used);
  used.add(primes[0]);
  primes[data] = largestNttPrimeBelow(bits[data]!, N, used);
  return { primes, canonicalScales: scales };
}
