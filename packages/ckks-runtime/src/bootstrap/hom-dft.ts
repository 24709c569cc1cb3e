// Homomorphic evaluation of one merged DFT level (a DftLevel: outputs[o] = Σ_i M[o][i]·inputs[i]) with
// complex plaintext diagonals, baby-step giant-step (Halevi–Shoup 2018; Chen–Chillotti–Song 2019) on the
// "stride-key" schedule of design note §5.3:
//
//   every offset of a merged level is a multiple of a stride s; with k = g·n1 + b (0 ≤ b < n1),
//   y = Σ_g rot( Σ_b rot(d_{g·n1+b}, −g·n1·s) ⊙ rot(x, b·s), g·n1·s ),
//   baby steps chained with the single key s, giant steps by Horner with the keys ±n1·s.
//
// Same number of key switches as classic BSGS (SEAL has no hoisting), but only 2–3 Galois keys per level.
// Diagonal plaintexts are built once (raw bytes outside the wasm heap) and loaded right before use.
import type { Ciphertext } from "../ciphertext.js";
import type { Evaluator } from "../evaluator.js";
import type { LevelEncoder } from "../level-encoder.js";
import { complexRotate } from "./complex.js";
import { type DftLevel, withPeriod } from "./dft-plan.js";
import { type EncodingFactors, coefficientsFromSlots } from "./encoding-map.js";
import type { RawPlaintextFactory } from "./seal-bytes.js";

export interface BsgsSchedule {
  n: number;
  stride: number;
  n1: number;
  /** Giant indices present (any matrix), ascending. */
  giants: number[];
  /** Largest baby index used. */
  maxBaby: number;
  /** Rotation keys: stride, n1·stride, −n1·stride (normalised to SEAL steps). */
  steps: number[];
  /** Key switches per evaluation (baby steps per input + giant steps per output). */
  rotations: number;
  /** Number of non-zero diagonals summed over all matrices. */
  diagonals: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** SEAL rotation step for a left rotation by k (mod n): the representative in (−n/2, n/2]. */
export function sealStep(k: number, n: number): number {
  let s = ((k % n) + n) % n;
  if (s > n / 2) s -= n;
  return s;
}

function centred(k: number, m: number): number {
  return k > m / 2 ? k - m : k;
}

/** BSGS schedule of a merged level; n = the period of its matrices (n slots, or 2n after a sparse repack). */
export function bsgsSchedule(level: DftLevel, n: number = level.matrices[0][0].n): BsgsSchedule {
  const offsets = new Set<number>();
  let diagonals = 0;
  for (const row of level.matrices) for (const M of row) for (const p of M.diags.keys()) {
    offsets.add(p);
    diagonals++;
  }
  let stride = n;
  for (const p of offsets) if (p !== 0) stride = gcd(stride, p);
  if (stride === n) stride = 1;
  const m = n / stride;
  const ks = [...offsets].map((p) => centred(p / stride, m));
  const inputs = level.matrices[0].length;
  const outputs = level.matrices.length;
  let best: BsgsSchedule | undefined;
  for (let n1 = 1; n1 <= m; n1 *= 2) {
    const gs = new Set<number>();
    let maxBaby = 0;
    for (const k of ks) {
      const g = Math.floor(k / n1);
      gs.add(g);
      maxBaby = Math.max(maxBaby, k - g * n1);
    }
    const giants = [...gs].sort((a, b) => a - b);
    const gmax = Math.max(0, giants[giants.length - 1]);
    const gmin = Math.min(0, giants[0]);
    const rotations = inputs * maxBaby + outputs * (gmax - gmin);
    if (!best || rotations < best.rotations) {
      const steps = new Set<number>();
      if (maxBaby > 0) steps.add(sealStep(stride, n));
      if (gmax > 0) steps.add(sealStep(n1 * stride, n));
      if (gmin < 0) steps.add(sealStep(-n1 * stride, n));
      steps.delete(0);
      best = { n, stride, n1, giants, maxBaby, steps: [...steps], rotations, diagonals };
    }
  }
  return best!;
}

/** A merged DFT level with its diagonals compiled into serialised plaintexts at one level. */
export class CompiledDftLevel {
  /**
   * key `${o}|${i}|${g}|${b}` → serialised NTT plaintext (precomputed), or the pre-rotated real coefficient
   * vector (unscaled) when the level was compiled lazily: 8·N bytes instead of 8·N·(level+1); the NTT and
   * RNS reduction then run right before use.
   */
  readonly plaintexts = new Map<string, Uint8Array | Float64Array>();
  bytes = 0;

  constructor(
    readonly schedule: BsgsSchedule,
    readonly inputs: number,
    readonly outputs: number,
    /** Level of the input ciphertexts. */
    readonly level: number,
    /** Plaintext scale: the ciphertext scale is multiplied by it before the rescale by q_level. */
    readonly ptScale: number,
  ) {}

  static compile(level: DftLevel, f: EncodingFactors, raw: RawPlaintextFactory, ctLevel: number, ptScale: number, lazy = false): CompiledDftLevel {
    const sch = bsgsSchedule(level);
    const c = new CompiledDftLevel(sch, level.matrices[0].length, level.matrices.length, ctLevel, ptScale);
    const m = sch.n / sch.stride;
    level.matrices.forEach((row, o) =>
      row.forEach((M, i) => {
        for (const [p, d] of M.diags) {
          const k = centred(p / sch.stride, m);
          const g = Math.floor(k / sch.n1);
          const b = k - g * sch.n1;
          // pre-rotated for its giant step, replicated to all N/2 slots (periodic data, sparse packing)
          const pre = withPeriod(complexRotate(d, -g * sch.n1 * sch.stride), f.n);
          const coeffs = coefficientsFromSlots(f, pre);
          const stored = lazy ? coeffs : raw.build(coeffs, ctLevel, ptScale);
          c.plaintexts.set(`${o}|${i}|${g}|${b}`, stored);
          c.bytes += stored.byteLength;
        }
      }),
    );
    return c;
  }

  /**
   * Evaluates the level on `xs` (all at this.level with one scale); returns the outputs rescaled once,
   * with their scale snapped to `outScale` (asserted close).
   */
  /**
   * `encoder` (optional) finishes lazily kept diagonals with the FFT/residue fast path of LevelEncoder
   * (same plaintext as raw.build + raw.load, ~2x faster, no serialisation round trip).
   */
  evaluate(ev: Evaluator, raw: RawPlaintextFactory, xs: Ciphertext[], outScale: number, encoder?: LevelEncoder): Ciphertext[] {
    const sch = this.schedule;
    const seal = ev.sealEvaluator;
    for (const x of xs) {
      if (x.level !== this.level) throw new Error(`DFT level expects inputs at level ${this.level}, got ${x.level}`);
    }
    // baby steps: x_b = rot(x_{b−1}, stride)
    const babies: Ciphertext[][] = xs.map((x) => {
      const list = [x.clone()];
      for (let b = 1; b <= sch.maxBaby; b++) list.push(ev.rotate(list[b - 1], sch.stride));
      return list;
    });
    const outs: Ciphertext[] = [];
    try {
      for (let o = 0; o < this.outputs; o++) {
        const u = new Map<number, Ciphertext>();
        const tmp = ev.ctx.seal.CipherText();
        try {
          for (let i = 0; i < this.inputs; i++) {
            for (const g of sch.giants) {
              for (let b = 0; b <= sch.maxBaby; b++) {
                const stored = this.plaintexts.get(`${o}|${i}|${g}|${b}`);
                if (!stored) continue;
                const pt =
                  stored instanceof Float64Array
                    ? encoder
                      ? encoder.encodeCoefficients(stored, this.level, this.ptScale)
                      : raw.load(raw.build(stored, this.level, this.ptScale))
                    : raw.load(stored);
                try {
                  const acc = u.get(g);
                  if (!acc) {
                    const first = babies[i][b].clone();
                    seal.multiplyPlain(first.handle, pt.handle, first.handle);
                    u.set(g, first);
                  } else {
                    seal.multiplyPlain(babies[i][b].handle, pt.handle, tmp);
                    seal.add(acc.handle, tmp, acc.handle);
                  }
                  ev.counts.mulPlain++;
                } finally {
                  pt.dispose();
                }
              }
            }
          }
        } finally {
          tmp.delete();
        }
        const G = sch.n1 * sch.stride;
        const horner = (gs: number[], step: number): Ciphertext | undefined => {
          let acc: Ciphertext | undefined;
          for (const g of gs) {
            if (acc) {
              const r = ev.rotate(acc, step);
              acc.dispose();
              acc = r;
            }
            const ug = u.get(g);
            if (ug) {
              if (acc) {
                seal.add(acc.handle, ug.handle, acc.handle);
                ev.counts.add++;
              } else acc = ug.clone();
            }
          }
          if (acc) {
            const r = ev.rotate(acc, step);
            acc.dispose();
            acc = r;
          }
          return acc;
        };
        const gmax = Math.max(0, ...sch.giants);
        const gmin = Math.min(0, ...sch.giants);
        const pos = horner(
          Array.from({ length: gmax }, (_, t) => gmax - t),
          G,
        );
        const neg = horner(
          Array.from({ length: -gmin }, (_, t) => gmin + t),
          -G,
        );
        let sum = u.get(0)?.clone();
        for (const part of [pos, neg]) {
          if (!part) continue;
          if (sum) {
            seal.add(sum.handle, part.handle, sum.handle);
            part.dispose();
          } else sum = part;
        }
        for (const ct of u.values()) ct.dispose();
        if (!sum) throw new Error("DFT level with no diagonals");
        const r = ev.rescale(sum);
        sum.dispose();
        const rel = Math.abs(r.scale / outScale - 1);
        if (rel > 1e-9) throw new Error(`internal: DFT level produced scale 2^${Math.log2(r.scale)} instead of 2^${Math.log2(outScale)}`);
        r.handle.setScale(outScale);
        outs.push(r);
      }
      return outs;
    } catch (e) {
      for (const c of outs) c.dispose();
      throw e;
    } finally {
      for (const list of babies) for (const c of list) c.dispose();
    }
  }
}
