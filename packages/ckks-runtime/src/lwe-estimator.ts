// An LWE security estimator: the log2 cost of the best of a few lattice attacks on (R)LWE with a small
// (uniform ternary or sparse ternary) secret, in the cost model of the HomomorphicEncryption.org standard.
//
// Why our own: the bootstrapping key switches a level-0 ciphertext to an ephemeral sparse secret (sparse-secret
// encapsulation, Bossuat–Troncoso-Pastoriza–Hubaux, eprint 2022/024), and the HE standard table only covers
// uniform ternary/Gaussian secrets. No lattice-estimator/Sage is available to us, so the number we state comes
// from this file, which is validated against the table rows it can be compared with (test/lwe-estimator.test.ts).
//
// Sources:
// - [APS15] Albrecht, Player, Scott, "On the concrete hardness of Learning with Errors", JMC 2015.
// - [ADPS16] Alkim, Ducas, Pöppelmann, Schwabe, "Post-quantum key exchange – a new hope", USENIX 2016:
//   primal uSVP succeeds once sqrt(β/d)·‖target‖ <= δ_β^(2β−d)·Vol(L)^(1/d) (the "2016 estimate", confirmed
//   experimentally by Albrecht–Göpfert–Virdia–Wunderer, Asiacrypt 2017).
// - [BG14] Bai, Galbraith, "Lattice decoding attacks on binary LWE", ACISP 2014: scale the secret part of the
//   embedding lattice by ν = σ_e/σ_s so secret and error coordinates have the same size.
// - [Alb17] Albrecht, "On dual lattice attacks against small-secret LWE and parameter choices in HElib and
//   SEAL", Eurocrypt 2017: the scaled dual attack, and for sparse secrets dropping (guessing zero) columns.
// - [HES18] Albrecht et al., "Homomorphic Encryption Security Standard", HomomorphicEncryption.org 2018: table of
//   max log q per N, computed with the lwe-estimator in the "BKZ.sieve" cost model
//   2^(0.292β + 16.4 + log2(8d)) (sieving SVP oracle of Becker–Ducas–Gama–Laarhoven, SODA 2016 [BDGL16], called ~8d times per BKZ run), σ = 8/sqrt(2π) ≈ 3.19.
// - δ_β: Chen's thesis (2013) limit formula δ = ((πβ)^(1/β)·β/(2πe))^(1/(2(β−1))), as used by [APS15]/[ADPS16].
//
// What this is NOT: it does not model the hybrid lattice-reduction + meet-in-the-middle attack (Howgrave-Graham
// 2007; Son–Cheon 2019 for sparse secrets), the MATZOV 2022 / Guo–Johansson dual with FFT guessing, nor
// quantum sieving. For sparse secrets these can be several to tens of bits stronger than what we model.

/** Secret distribution of the LWE instance. */
export type LweSecret = { kind: "uniform-ternary" } | { kind: "sparse-ternary"; hammingWeight: number };

export interface LweInstance {
  /** Secret dimension (the ring degree N for RLWE). */
  n: number;
  /** log2 of the modulus q (for a key-switching key: log2(q·P)). */
  logQ: number;
  /** Standard deviation of the (discrete Gaussian) error; default 3.19 = 8/sqrt(2π) (SEAL, HE standard). */
  sigma?: number;
  secret: LweSecret;
  /**
   * LWE samples available to the attacker; default n (one RLWE sample gives n LWE samples). The attacks use at
   * most this many (they optimise the number used).
   */
  samples?: number;
}

/**
 * Which attack a cost refers to. "+drop" = the attack on n − k coordinates after guessing k of them are zero;
 * "mitm-key-search" = meet-in-the-middle search over the secret space (no lattice reduction).
 */
export type LweAttackName = "primal-usvp" | "dual" | "primal-usvp+drop" | "dual+drop" | "mitm-key-search";

export interface LweAttackEstimate {
  attack: LweAttackName;
  /** log2 of the classical cost in the HE standard's BKZ.sieve model: 0.292β + 16.4 + log2(8d) + log2(repeats). */
  bits: number;
  /** log2 of the core-SVP cost 0.292β (+ the same repeat terms): one sieve call, the usual lower-bound model. */
  coreSvpBits: number;
  /** BKZ block size. */
  beta: number;
  /** Root Hermite factor δ_β reached by BKZ-β. */
  delta: number;
  /** Lattice dimension d. */
  dimension: number;
  /** LWE samples used (m). */
  samples: number;
  /** Coordinates of the secret dropped (guessed zero); 0 for the plain attacks. */
  dropped: number;
  /** log2 of the probability that the dropped coordinates are all zero (0 when none dropped). */
  log2SuccessProbability: number;
  /** log2 of the repetitions the dual attack needs beyond its amortised vectors (0 for primal). */
  log2Repetitions: number;
  /** Scaling applied to the secret coordinates (Bai–Galbraith ν for primal, c for dual). */
  secretScale: number;
}

export interface LweSecurityEstimate extends LweAttackEstimate {
  n: number;
  logQ: number;
  sigma: number;
  secret: LweSecret;
  /** Standard deviation of one secret coordinate (sqrt(2/3) ternary, sqrt(h/n) sparse). */
  secretStddev: number;
  /** Best cost per attack considered (the top-level fields are the minimum of these by `bits`). */
  attacks: LweAttackEstimate[];
}

export class LweEstimatorError extends Error {
  constructor(message: string) {
    super(`estimateLweSecurity: ${message}`);
    this.name = "LweEstimatorError";
  }
}

/** Smallest block size we model: below ~40 the δ_β limit formula is not accurate (and such costs are tiny). */
export const MIN_BLOCK_SIZE = 40;
const LOG2E = Math.LOG2E;

/**
 * Root Hermite factor of BKZ-β (Chen 2013, limit of the Gaussian heuristic for the projected blocks):
 * δ_β = ((πβ)^(1/β) · β / (2πe))^(1/(2(β−1))).
 */
export function rootHermiteFactor(beta: number): number {
  if (!(beta >= 2)) throw new LweEstimatorError(`block size must be >= 2, got ${beta}`);
  return Math.pow(Math.pow(Math.PI * beta, 1 / beta) * (beta / (2 * Math.PI * Math.E)), 1 / (2 * (beta - 1)));
}

/** ln δ_β, computed in the log domain. */
function lnDelta(beta: number): number {
  return (Math.log(Math.PI * beta) / beta + Math.log(beta / (2 * Math.PI * Math.E))) / (2 * (beta - 1));
}

/** log2 cost of BKZ-β in dimension d in the HE standard's "BKZ.sieve" model: 0.292β + 16.4 + log2(8d). */
export function bkzSieveCostBits(beta: number, d: number): number {
  return 0.292 * beta + 16.4 + Math.log2(8 * d);
}

/** log2 of the core-SVP cost: one sieving call in dimension β, 2^(0.292β) [BDGL16]. */
export function coreSvpCostBits(beta: number): number {
  return 0.292 * beta;
}

/**
 * log2 of the probability that k given coordinates of a secret with exactly h nonzero coordinates (support
 * uniform among the C(n,h) subsets) are all zero: C(n−h, k)/C(n, k) = C(n−k, h)/C(n, h) = Π_{i<h} (n−k−i)/(n−i).
 */
export function log2DropSuccessProbability(n: number, h: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(h) && Number.isInteger(k)) || h < 0 || k < 0 || h > n || k > n) {
    throw new LweEstimatorError(`drop probability needs integers 0 <= h, k <= n, got n=${n} h=${h} k=${k}`);
  }
  if (k + h > n) return -Infinity;
  let s = 0;
  for (let i = 0; i < h; i++) s += Math.log2((n - k - i) / (n - i));
  return s;
}

interface Core {
  n: number;
  lnQ: number;
  sigma: number;
  /** Std of one secret coordinate. */
  sigmaS: number;
  /** Max samples m. */
  mMax: number;
}

/**
 * Primal uSVP with Bai–Galbraith embedding [BG14, ADPS16, as in the lattice estimator's primal_usvp].
 * Lattice of dimension d = m + n + 1 containing (ν·s, e, τ) with ν = σ/σ_s (if σ_s < σ; else 1), τ = σ, so every
 * coordinate of the target has standard deviation ≈ σ. Vol = q^m · ν^n · τ. BKZ-β finds it when
 *   sqrt(σ²(β−1) + τ²) <= δ_β^(2β−d−1) · Vol^(1/d).
 * For a fixed β the right side, as a function of d, is maximal at d* = sqrt(C/ln δ) with
 * C = (n+1)·ln q − n·ln ν − ln τ (see below), clamped to the samples available, so m needs no search.
 * The minimal β is found by bisection (the margin grows with β; the tests check against a linear scan).
 */
function primalAt(c: Core, beta: number): { ok: boolean; d: number; margin: number } {
  const nu = c.sigmaS < c.sigma ? c.sigma / c.sigmaS : 1;
  const tau = c.sigma;
  const ld = lnDelta(beta);
  // ln rhs = ln δ·(2β − d − 1) + [ln τ + n ln ν + (d − n − 1) ln q]/d = ln δ (2β − 1) − d ln δ + ln q − C/d.
  const C = (c.n + 1) * c.lnQ - c.n * Math.log(nu) - Math.log(tau);
  const dMin = c.n + 2; // at least one sample
  const dMax = c.n + c.mMax + 1;
  let d = C > 0 ? Math.round(Math.sqrt(C / ld)) : dMin;
  d = Math.min(Math.max(d, dMin, beta), dMax);
  const lnRhs = ld * (2 * beta - d - 1) + c.lnQ - C / d;
  const lnLhs = 0.5 * Math.log(c.sigma * c.sigma * (beta - 1) + tau * tau);
  return { ok: lnLhs <= lnRhs && beta <= d, d, margin: lnRhs - lnLhs };
}

/** Minimal β for which primal uSVP succeeds (bisection); Infinity when even β = d fails. */
function primalMinBeta(c: Core, linear = false): number {
  const top = c.n + c.mMax + 1;
  if (linear) {
    for (let b = MIN_BLOCK_SIZE; b <= top; b++) if (primalAt(c, b).ok) return b;
    return Infinity;
  }
  if (primalAt(c, MIN_BLOCK_SIZE).ok) return MIN_BLOCK_SIZE;
  if (!primalAt(c, top).ok) return Infinity;
  let lo = MIN_BLOCK_SIZE; // fails
  let hi = top; // succeeds
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (primalAt(c, mid).ok) hi = mid;
    else lo = mid;
  }
  return hi;
}

function primalCost(c: Core): Omit<LweAttackEstimate, "attack" | "dropped" | "log2SuccessProbability"> | null {
  const beta = primalMinBeta(c);
  if (!Number.isFinite(beta)) return null;
  const { d } = primalAt(c, beta);
  return {
    bits: bkzSieveCostBits(beta, d),
    coreSvpBits: coreSvpCostBits(beta),
    beta,
    delta: rootHermiteFactor(beta),
    dimension: d,
    samples: d - c.n - 1,
    log2Repetitions: 0,
    secretScale: c.sigmaS < c.sigma ? c.sigma / c.sigmaS : 1,
  };
}

/**
 * Dual (distinguishing) attack with secret scaling [Alb17, APS15]. Short vectors (w, v) with
 * wᵀA ≡ vᵀ (mod q) give wᵀb = vᵀs + wᵀe, a Gaussian of std sqrt(σ²‖w‖² + σ_s²‖v‖²). Scaling the v part by
 * c = σ_s/σ (lattice of dimension d = m + n, volume (c·q)^n) makes that std σ·ℓ for a vector of norm ℓ.
 * BKZ-β gives ℓ = δ^(d−1)·(c·q)^(n/d) (optimal d = sqrt(n·ln(cq)/ln δ), clamped to the samples). One sample
 * distinguishes with advantage ε = exp(−2π²(σℓ/q)²), so ~1/ε² samples are needed. Amortisation as in the
 * lattice estimator: a sieve returns 2^(0.2075β) vectors ~sqrt(4/3) times longer than the shortest, so the cost
 * is BKZ(β, d) · max(1, 1/(ε'²·2^(0.2075β))) with ε' for ℓ·sqrt(4/3) when more than one vector is needed.
 * Minimised over β by scanning (the cost is not monotone in β).
 */
function dualCost(c: Core): Omit<LweAttackEstimate, "attack" | "dropped" | "log2SuccessProbability"> | null {
  const scale = Math.min(1, c.sigmaS / c.sigma);
  const lnCq = Math.log(scale) + c.lnQ;
  if (!(lnCq > 0)) return null;
  let best: Omit<LweAttackEstimate, "attack" | "dropped" | "log2SuccessProbability"> | null = null;
  const top = c.n + c.mMax;
  for (let beta = MIN_BLOCK_SIZE; beta <= top; beta++) {
    const ld = lnDelta(beta);
    let d = Math.round(Math.sqrt((c.n * lnCq) / ld));
    d = Math.min(Math.max(d, c.n + 1, beta), top);
    const lnEll = (d - 1) * ld + (c.n * lnCq) / d;
    const bkz = bkzSieveCostBits(beta, d);
    if (best && bkz > best.bits) break; // every later β costs more for BKZ alone
    // log2(1/ε²) = 2·2π²(σℓ/q)²·log2 e for one vector; with amortised vectors ℓ grows by sqrt(4/3).
    const log2InvEps2 = (f: number) => 4 * Math.PI * Math.PI * Math.exp(2 * (Math.log(c.sigma) + lnEll - c.lnQ)) * f * LOG2E;
    const one = log2InvEps2(1);
    let reps = 0;
    if (one > 0.5) {
      // More than one short vector needed: take them from the sieve's list (sqrt(4/3) longer).
      const many = log2InvEps2(4 / 3);
      reps = Math.max(0, many - 0.2075 * beta);
    }
    const bits = bkz + reps;
    if (!best || bits < best.bits) {
      best = {
        bits,
        coreSvpBits: coreSvpCostBits(beta) + reps,
        beta,
        delta: Math.exp(ld),
        dimension: d,
        samples: d - c.n,
        log2Repetitions: reps,
        secretScale: scale,
      };
    }
  }
  return best;
}

type AttackFn = (c: Core) => Omit<LweAttackEstimate, "attack" | "dropped" | "log2SuccessProbability"> | null;

/**
 * Drop-and-solve for a secret with exactly h nonzero coordinates [Alb17; "drop" in the lattice estimator]:
 * guess that k chosen coordinates are zero (probability p = C(n−h,k)/C(n,k)), delete those columns of A and
 * attack the instance of dimension n − k (secret variance h/(n−k)); repeat ~1/p times on other choices:
 * cost = cost(n − k) / p. Optimised over k by a coarse scan and a refining scan around the best.
 */
function dropCost(c: Core, h: number, attack: AttackFn): (ReturnType<AttackFn> & { dropped: number; log2SuccessProbability: number }) | null {
  const evalK = (k: number) => {
    const n2 = c.n - k;
    const r = attack({ ...c, n: n2, sigmaS: Math.sqrt(h / n2) });
    if (!r) return null;
    const lp = log2DropSuccessProbability(c.n, h, k);
    return { ...r, bits: r.bits - lp, coreSvpBits: r.coreSvpBits - lp, dropped: k, log2SuccessProbability: lp };
  };
  const kMax = c.n - Math.max(h, MIN_BLOCK_SIZE);
  if (kMax < 1) return null;
  let best = evalK(0);
  let bestK = 0;
  const consider = (k: number) => {
    const r = evalK(k);
    if (r && (!best || r.bits < best.bits)) {
      best = r;
      bestK = k;
    }
  };
  let step = Math.max(1, Math.floor(kMax / 128));
  for (let k = step; k <= kMax; k += step) consider(k);
  while (step > 1) {
    const center = bestK;
    const next = Math.max(1, Math.floor(step / 8));
    for (let k = Math.max(0, center - step); k <= Math.min(kMax, center + step); k += next) consider(k);
    step = next;
  }
  return best;
}

/** log2 of the number of secrets: 3^n (uniform ternary) or C(n, h)·2^h (h nonzero coordinates, each ±1). */
export function log2SecretSpace(n: number, secret: LweSecret): number {
  if (secret.kind === "uniform-ternary") return n * Math.log2(3);
  const h = secret.hammingWeight;
  let s = h; // the signs
  for (let i = 0; i < h; i++) s += Math.log2((n - i) / (i + 1));
  return s;
}

/**
 * Meet-in-the-middle search over the secret space (the meet-in-the-middle attack discussed in [APS15]; the square-root
 * halving of Howgrave-Graham 2007): split s into two halves, tabulate one, look up the other, at cost and memory
 * ≈ sqrt(|S|). Counted as sqrt(|S|) operations, ignoring the rounding/locality issues that make it harder for
 * LWE in practice (attacker-favourable). Never the best attack at our sizes; it guards tiny Hamming weights.
 */
function mitmCost(n: number, secret: LweSecret): LweAttackEstimate {
  const bits = log2SecretSpace(n, secret) / 2;
  return {
    attack: "mitm-key-search",
    bits,
    coreSvpBits: bits,
    beta: 0,
    delta: 1,
    dimension: n,
    samples: 0,
    dropped: 0,
    log2SuccessProbability: 0,
    log2Repetitions: 0,
    secretScale: 1,
  };
}

function secretStddev(n: number, secret: LweSecret): number {
  return secret.kind === "uniform-ternary" ? Math.sqrt(2 / 3) : Math.sqrt(secret.hammingWeight / n);
}

function validate(inst: LweInstance): Required<Omit<LweInstance, "secret">> & { secret: LweSecret } {
  const { n, logQ } = inst;
  const sigma = inst.sigma ?? 3.19;
  if (!Number.isInteger(n) || n < 2 * MIN_BLOCK_SIZE || n > 1 << 20) throw new LweEstimatorError(`n must be an integer in [${2 * MIN_BLOCK_SIZE}, 2^20], got ${n}`);
  if (!Number.isFinite(logQ) || logQ < 2 || logQ > 10_000) throw new LweEstimatorError(`logQ must be a number in [2, 10000], got ${logQ}`);
  if (!Number.isFinite(sigma) || sigma <= 0 || Math.log2(sigma) >= logQ - 1) throw new LweEstimatorError(`sigma must be positive and below q/2, got ${sigma}`);
  const samples = inst.samples ?? n;
  if (!Number.isInteger(samples) || samples < 1 || samples > 1 << 22) throw new LweEstimatorError(`samples must be an integer in [1, 2^22], got ${samples}`);
  const secret = inst.secret;
  if (!secret || (secret.kind !== "uniform-ternary" && secret.kind !== "sparse-ternary")) {
    throw new LweEstimatorError(`secret.kind must be 'uniform-ternary' or 'sparse-ternary', got ${JSON.stringify(secret)}`);
  }
  if (secret.kind === "sparse-ternary") {
    const h = secret.hammingWeight;
    if (!Number.isInteger(h) || h < 1 || h > n) throw new LweEstimatorError(`secret.hammingWeight must be an integer in [1, n = ${n}], got ${h}`);
  }
  return { n, logQ, sigma, samples, secret };
}

/**
 * Estimated classical security (log2 of the cost of the cheapest attack considered) of LWE with n secret
 * coordinates, modulus 2^logQ, Gaussian error σ and a uniform or sparse ternary secret. Attacks: primal uSVP and
 * dual, each with secret scaling, and for sparse secrets also after dropping coordinates guessed zero; and a
 * meet-in-the-middle search over the secret space.
 */
export function estimateLweSecurity(instance: LweInstance): LweSecurityEstimate {
  const v = validate(instance);
  const sigmaS = secretStddev(v.n, v.secret);
  const core: Core = { n: v.n, lnQ: v.logQ * Math.LN2, sigma: v.sigma, sigmaS, mMax: v.samples };
  const attacks: LweAttackEstimate[] = [];
  const plain = (name: "primal-usvp" | "dual", fn: AttackFn) => {
    const r = fn(core);
    if (r) attacks.push({ attack: name, dropped: 0, log2SuccessProbability: 0, ...r });
  };
  plain("primal-usvp", primalCost);
  plain("dual", dualCost);
  if (v.secret.kind === "sparse-ternary") {
    const h = v.secret.hammingWeight;
    const p = dropCost(core, h, primalCost);
    if (p) attacks.push({ ...p, attack: "primal-usvp+drop" });
    const q = dropCost(core, h, dualCost);
    if (q) attacks.push({ ...q, attack: "dual+drop" });
  }
  attacks.push(mitmCost(v.n, v.secret));
  const best = attacks.reduce((a, b) => (b.bits < a.bits ? b : a));
  return { n: v.n, logQ: v.logQ, sigma: v.sigma, secret: v.secret, secretStddev: sigmaS, ...best, attacks };
}

/** For tests: the primal uSVP minimal β by bisection and by a linear scan over β (they must agree). */
export function primalMinBlockSize(instance: LweInstance, method: "bisection" | "linear" = "bisection"): number {
  const v = validate(instance);
  const core: Core = { n: v.n, lnQ: v.logQ * Math.LN2, sigma: v.sigma, sigmaS: secretStddev(v.n, v.secret), mMax: v.samples };
  return primalMinBeta(core, method === "linear");
}

/**
 * Largest log2 q (to `resolution` bits) at which `estimateLweSecurity` still reports at least `targetBits`:
 * the inverse question the HE standard table answers ("max log q for N at λ bits"). Bisection on log q, valid
 * because the estimate decreases with q (checked by the tests). Returns NaN when even log q = 2 is below target.
 */
export function maxLogQForSecurity(
  instance: Omit<LweInstance, "logQ">,
  targetBits: number,
  resolution = 0.1,
): number {
  if (!(targetBits > 0) || !(resolution > 0)) throw new LweEstimatorError(`targetBits and resolution must be positive, got ${targetBits}, ${resolution}`);
  const secure = (logQ: number) => estimateLweSecurity({ ...instance, logQ }).bits >= targetBits;
  const minLogQ = Math.max(2, Math.log2(instance.sigma ?? 3.19) + 1.5);
  if (!secure(minLogQ)) return NaN;
  let lo = minLogQ; // secure
  let hi = Math.max(8, lo * 2);
  while (hi < 10_000 && secure(hi)) {
    lo = hi;
    hi *= 2;
  }
  if (hi >= 10_000) {
    hi = 10_000;
    if (secure(hi)) return hi;
  }
  while (hi - lo > resolution) {
    const mid = (lo + hi) / 2;
    if (secure(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
