// Compile a sparse linear map between two periodic slot vectors into a diagonal-method transform with a
// structured baby-step/giant-step plan (one level).
//
// Diagonal method: y = Σ_δ diag_δ ⊙ rot(x, δ) (Halevi–Shoup, eprint 2014/106 and 2018/244).
// Every offset of a multiplexed-layout layer decomposes as δ = B·G + W·r + c (B block stride, W row stride,
// |c| < W/2, |r| < B/(2W)), so we split r = R·j + r_lo and use
//   baby steps  β = W·r_lo + c     (a box around 0: every element is one ±1 or ±W rotation from another),
//   giant steps γ = B·G + W·R·j    (accumulated by nested Horner with steps ±W·R and p·B, then B),
//   y = Σ_γ rot( Σ_β rot(diag_{β+γ}, −γ) ⊙ rot(x, β), γ ).
// This is the structured split of shared/notes/packed-convolution.md §5.2; the key set stays
// {±1, ±W, ±W·R, B, p·B, folds} instead of one key per distinct baby/giant step (Lattigo's generic split).
// SEAL has no public hoisting API (microsoft/SEAL#24), so every rotation is a full key switch and the number
// of rotations is the cost that matters; chaining baby steps costs no more rotations than hoisting would.
//
// Periods: the input is T_in-periodic, the output T_out-periodic (one divides the other). If T_out ≤ T_in, an entry (o, i, w)
// with o ∈ [0, T_out), i ∈ [0, T_in) is realised by any δ ≡ i − o (mod T_out): its weight is placed at slot
// s = (i − δ) mod T_in (repeated with period T_in), which lands in copy t = (s − o)/T_out of the output;
// log2(T_in/T_out) fold rotations x += rot(x, T/2) then sum the copies (Gazelle's hybrid method,
// eprint 2018/073 §5, using the input's periodicity). If T_out > T_in (conv0 on a 4-periodic image), the input
// is also T_out-periodic: δ ≡ i − o (mod T_in) and the weight sits at s = o, no fold.

import { analyzeProgram, normalizeStep, type SlotOp, type SlotProgram } from "./program.js";

export interface LinearEntries {
  /** Output slot in [0, periodOut). */
  out: Int32Array;
  /** Input slot in [0, periodIn). */
  in: Int32Array;
  weight: Float64Array;
}

export interface TransformGeometry {
  slots: number;
  rowStride: number;
  blockStride: number;
  periodIn: number;
  periodOut: number;
}

export interface TransformOptions {
  /** Baby rows R (rows per giant step); default: the R with the fewest rotations. */
  babyRows?: number;
  /** Number of interleaved outer Horner chains p (independent work for p workers); default 1. */
  hornerChains?: number;
  /** Plaintext added after the rescale (bias), length slots. */
  bias?: Float64Array;
}

export interface TransformPlanInfo {
  diagonals: number;
  babyRows: number;
  babySteps: number;
  giantSteps: number;
  folds: number;
  hornerChains: number;
}

export interface CompiledTransform {
  program: SlotProgram;
  info: TransformPlanInfo;
}

const mod = (a: number, m: number): number => ((a % m) + m) % m;
const centred = (a: number, m: number): number => {
  const r = mod(a, m);
  return r >= m / 2 ? r - m : r;
};

/** One diagonal before the baby/giant split: offset δ = B·G + W·r + c and its weights (period T_in, length n). */
interface Diagonal {
  G: number;
  r: number;
  c: number;
  values: Float64Array;
}

export function decomposeEntries(entries: LinearEntries, g: TransformGeometry): Diagonal[] {
  const { rowStride: W, blockStride: B, periodIn: Tin, periodOut: Tout, slots: n } = g;
  const Tmin = Math.min(Tin, Tout);
  const Tmax = Math.max(Tin, Tout);
  if (Tmax % Tmin !== 0 || Tmin % B !== 0 || B % W !== 0 || n % Tmax !== 0)
    throw new Error(
      `compileLinearTransform: inconsistent geometry (slots ${n}, periodIn ${Tin}, periodOut ${Tout}, block ${B}, row ${W}); need W | B | min(T) | max(T) | n`,
    );
  const rowsPerBlock = B / W;
  const nG = Tmin / B;
  const diags = new Map<number, Diagonal>();
  // The decomposition depends only on i − o ∈ (−T_out, T_in): memoise it per difference.
  const memoDiag: (Diagonal | undefined)[] = new Array(Tin + Tout);
  const memoDelta = new Int32Array(Tin + Tout);
  for (let e = 0; e < entries.out.length; e++) {
    const o = entries.out[e]!;
    const i = entries.in[e]!;
    const w = entries.weight[e]!;
    if (o < 0 || o >= Tout) throw new Error(`compileLinearTransform: entry ${e} output slot ${o} outside [0, ${Tout})`);
    if (i < 0 || i >= Tin) throw new Error(`compileLinearTransform: entry ${e} input slot ${i} outside [0, ${Tin})`);
    if (w === 0) continue;
    const diff = i - o + Tout;
    let dg = memoDiag[diff];
    let delta: number;
    if (dg === undefined) {
      // δ ≡ i − o (mod min(T_in, T_out)). T_in ≥ T_out: the weight sits at s = (i − δ) mod T_in, in output copy
      // (s − o)/T_out (folded later). T_in < T_out (e.g. a 4-periodic input image feeding a full-width layer):
      // the input is also T_out-periodic, so any input copy may be read and s = o.
      const d = mod(i - o, Tmin);
      const c = centred(d, W);
      const r = centred((d - c) / W, rowsPerBlock);
      const G = mod((d - c - W * r) / B, nG);
      delta = B * G + W * r + c;
      // numeric key: G, r, c with |r| < rowsPerBlock/2 and |c| < W/2
      const key = (G * rowsPerBlock + (r + rowsPerBlock / 2)) * W + (c + W / 2);
      dg = diags.get(key);
      if (!dg) {
        dg = { G, r, c, values: new Float64Array(n) };
        diags.set(key, dg);
      }
      memoDiag[diff] = dg;
      memoDelta[diff] = delta;
    } else {
      delta = memoDelta[diff]!;
    }
    const s = Tin >= Tout ? mod(i - delta, Tin) : o;
    if (s % Tout !== o) throw new Error(`compileLinearTransform: internal error decomposing entry ${e}`);
    dg.values[s]! += w; // first period only; replicated below
  }
  for (const dg of diags.values()) for (let base = Tmax; base < n; base += Tmax) dg.values.copyWithin(base, 0, Tmax);
  return [...diags.values()];
}

interface Split {
  R: number;
  rlo: (r: number) => number;
}

function splitFor(R: number): Split {
  const h = Math.floor(R / 2);
  return { R, rlo: (r) => mod(r + h, R) - h };
}

interface Structure {
  /** baby key "rlo,c" → index */
  babies: Map<string, { rlo: number; c: number }>;
  giants: Map<string, { G: number; j: number }>;
  rotations: number;
}

function structureFor(ds: Diagonal[], split: Split, chains: number, folds: number): Structure {
  const babies = new Map<string, { rlo: number; c: number }>();
  const giants = new Map<string, { G: number; j: number }>();
  for (const d of ds) {
    const rlo = split.rlo(d.r);
    const j = (d.r - rlo) / split.R;
    babies.set(`${rlo},${d.c}`, { rlo, c: d.c });
    giants.set(`${d.G},${j}`, { G: d.G, j });
  }
  // Baby chains: row 0 over columns, then each column over rows.
  let cmin = 0;
  let cmax = 0;
  const colRows = new Map<number, { lo: number; hi: number }>();
  for (const { rlo, c } of babies.values()) {
    cmin = Math.min(cmin, c);
    cmax = Math.max(cmax, c);
    const e = colRows.get(c) ?? { lo: 0, hi: 0 };
    e.lo = Math.min(e.lo, rlo);
    e.hi = Math.max(e.hi, rlo);
    colRows.set(c, e);
  }
  let rot = cmax - cmin;
  for (const e of colRows.values()) rot += e.hi - e.lo;
  // Giant Horner: per G, jmax positive + |jmin| negative rotations; outer chains.
  const perG = new Map<number, { lo: number; hi: number }>();
  for (const { G, j } of giants.values()) {
    const e = perG.get(G) ?? { lo: 0, hi: 0 };
    e.lo = Math.min(e.lo, j);
    e.hi = Math.max(e.hi, j);
    perG.set(G, e);
  }
  for (const e of perG.values()) rot += e.hi - e.lo;
  rot += outerRotations([...perG.keys()], chains);
  rot += folds;
  return { babies, giants, rotations: rot };
}

function outerRotations(Gs: number[], p: number): number {
  let rot = 0;
  let chainsUsed = 0;
  for (let u = 0; u < p; u++) {
    const top = Math.max(-1, ...Gs.filter((G) => G % p === u));
    if (top >= 0) {
      rot += (top - u) / p;
      chainsUsed = u + 1;
    }
  }
  return rot + Math.max(0, chainsUsed - 1);
}

/** Compile entries into a one-level SlotProgram (dot products, Horner, folds, rescale, bias). */
export function compileLinearTransform(
  entries: LinearEntries,
  geometry: TransformGeometry,
  options: TransformOptions = {},
): CompiledTransform {
  const { slots: n, rowStride: W, blockStride: B, periodIn: Tin, periodOut: Tout } = geometry;
  const ds = decomposeEntries(entries, geometry);
  if (ds.length === 0) throw new Error("compileLinearTransform: the linear map has no non-zero entry");
  const chains = options.hornerChains ?? 1;
  if (!Number.isInteger(chains) || chains < 1) throw new Error(`compileLinearTransform: hornerChains must be ≥ 1, got ${chains}`);
  let folds = 0;
  for (let T = Tin; T > Tout; T /= 2) folds++;

  let rmin = 0;
  let rmax = 0;
  for (const d of ds) {
    rmin = Math.min(rmin, d.r);
    rmax = Math.max(rmax, d.r);
  }
  let best: { split: Split; st: Structure } | undefined;
  const candidates = options.babyRows !== undefined ? [options.babyRows] : range(1, rmax - rmin + 2);
  for (const R of candidates) {
    if (!Number.isInteger(R) || R < 1) throw new Error(`compileLinearTransform: babyRows must be ≥ 1, got ${R}`);
    const split = splitFor(R);
    const st = structureFor(ds, split, chains, folds);
    if (!best || st.rotations < best.st.rotations) best = { split, st };
  }
  const { split } = best!;

  // Diagonals per (G, j, rlo, c), pre-rotated so that rot(pre, γ) = diag: pre[s + γ] = diag[s].
  const ops: SlotOp[] = [];
  const plains: Float64Array[] = [];
  const emit = (o: SlotOp): number => {
    ops.push(o);
    return ops.length;
  };
  const diagKey = (G: number, j: number, rlo: number, c: number) => `${G},${j},${rlo},${c}`;
  const diagIndex = new Map<string, number>();
  for (const d of ds) {
    const rlo = split.rlo(d.r);
    const j = (d.r - rlo) / split.R;
    const key = diagKey(d.G, j, rlo, d.c);
    if (diagIndex.has(key)) throw new Error(`compileLinearTransform: internal error, duplicate diagonal ${key}`);
    const gamma = mod(B * d.G + W * split.R * j, n);
    const v = new Float64Array(n);
    v.set(d.values.subarray(n - gamma), 0);
    v.set(d.values.subarray(0, n - gamma), gamma);
    diagIndex.set(key, plains.length);
    plains.push(v);
  }

  // Baby chains from register 0.
  const babyReg = new Map<string, number>();
  babyReg.set("0,0", 0);
  const neededBabies = new Map<number, { lo: number; hi: number }>();
  let cmin = 0;
  let cmax = 0;
  for (const key of diagIndex.keys()) {
    const [, , rloS, cS] = key.split(",");
    const rlo = Number(rloS);
    const c = Number(cS);
    cmin = Math.min(cmin, c);
    cmax = Math.max(cmax, c);
    const e = neededBabies.get(c) ?? { lo: 0, hi: 0 };
    e.lo = Math.min(e.lo, rlo);
    e.hi = Math.max(e.hi, rlo);
    neededBabies.set(c, e);
  }
  for (let c = 1; c <= cmax; c++) babyReg.set(`0,${c}`, emit({ op: "rotate", a: babyReg.get(`0,${c - 1}`)!, step: 1 }));
  for (let c = -1; c >= cmin; c--) babyReg.set(`0,${c}`, emit({ op: "rotate", a: babyReg.get(`0,${c + 1}`)!, step: -1 }));
  for (const [c, e] of [...neededBabies.entries()].sort((a, b) => a[0] - b[0])) {
    for (let r = 1; r <= e.hi; r++)
      babyReg.set(`${r},${c}`, emit({ op: "rotate", a: babyReg.get(`${r - 1},${c}`)!, step: W }));
    for (let r = -1; r >= e.lo; r--)
      babyReg.set(`${r},${c}`, emit({ op: "rotate", a: babyReg.get(`${r + 1},${c}`)!, step: -W }));
  }

  // Giant dot products P_{G,j}.
  const giantTerms = new Map<string, { reg: number; plain: number }[]>();
  for (const [key, p] of [...diagIndex.entries()].sort()) {
    const [G, j, rlo, c] = key.split(",").map(Number) as [number, number, number, number];
    const gk = `${G},${j}`;
    const list = giantTerms.get(gk) ?? [];
    list.push({ reg: babyReg.get(`${rlo},${c}`)!, plain: p });
    giantTerms.set(gk, list);
  }
  const P = new Map<string, number>();
  const Gset = new Set<number>();
  for (const [gk, terms] of giantTerms) {
    P.set(gk, emit({ op: "dot", terms }));
    Gset.add(Number(gk.split(",")[0]));
  }

  // Horner: Σ_i rot(v_i, i·step) with `top` rotations.
  const horner = (values: (number | undefined)[], step: number): number | undefined => {
    let acc: number | undefined;
    for (let i = values.length - 1; i >= 0; i--) {
      if (acc !== undefined) acc = emit({ op: "rotate", a: acc, step });
      const v = values[i];
      if (v !== undefined) acc = acc === undefined ? v : emit({ op: "add", a: acc, b: v });
    }
    return acc;
  };
  const WR = W * split.R;
  const Q = new Map<number, number>();
  for (const G of [...Gset].sort((a, b) => a - b)) {
    let jlo = 0;
    let jhi = 0;
    for (const gk of P.keys()) {
      const [g2, j] = gk.split(",").map(Number) as [number, number];
      if (g2 !== G) continue;
      jlo = Math.min(jlo, j);
      jhi = Math.max(jhi, j);
    }
    const pos = horner(range(0, jhi + 1).map((j) => P.get(`${G},${j}`)), WR);
    let neg = horner(range(1, -jlo + 1).map((m) => P.get(`${G},${-m}`)), -WR);
    if (neg !== undefined) neg = emit({ op: "rotate", a: neg, step: -WR });
    Q.set(G, pos === undefined ? neg! : neg === undefined ? pos : emit({ op: "add", a: pos, b: neg }));
  }
  const chainVals: (number | undefined)[] = [];
  for (let u = 0; u < chains; u++) {
    const Gs = [...Q.keys()].filter((G) => G % chains === u);
    if (Gs.length === 0) {
      chainVals.push(undefined);
      continue;
    }
    const top = Math.max(...Gs);
    chainVals.push(horner(range(0, (top - u) / chains + 1).map((m) => Q.get(u + m * chains)), chains * B));
  }
  let acc = horner(chainVals, B)!;
  for (let T = Tin / 2; T >= Tout; T /= 2) acc = emit({ op: "add", a: acc, b: emit({ op: "rotate", a: acc, step: T }) });
  acc = emit({ op: "rescale", a: acc });
  if (options.bias) {
    if (options.bias.length !== n) throw new Error(`compileLinearTransform: bias has ${options.bias.length} slots, expected ${n}`);
    plains.push(options.bias);
    acc = emit({ op: "addPlain", a: acc, plain: plains.length - 1 });
  }
  // normalise rotation steps
  for (const o of ops) if (o.op === "rotate") o.step = normalizeStep(o.step, n);
  const { steps, counts } = analyzeProgram(n, ops, acc);
  const firstDot = ops.findIndex((x) => x.op === "dot");
  const babyCount = ops.filter((o, i) => o.op === "rotate" && i < firstDot).length;
  return {
    program: { slots: n, ops, output: acc, plains, steps, counts },
    info: {
      diagonals: diagIndex.size,
      babyRows: split.R,
      babySteps: babyCount,
      giantSteps: counts.rotations - babyCount - folds,
      folds,
      hornerChains: chains,
    },
  };
}

function range(a: number, b: number): number[] {
  const r: number[] = [];
  for (let i = a; i < b; i++) r.push(i);
  return r;
}
