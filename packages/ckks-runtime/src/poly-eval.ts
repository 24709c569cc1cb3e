// Executes a PolyProgram (@ola/poly: Chebyshev BSGS, odd series, composites) on a ciphertext, with the
// level and scale rules of the Evaluator, and checks that it consumes exactly the levels and performs
// exactly the multiplications the program publishes.
//
// Scale management: every register at level l carries the canonical scale of l (see primes.ts), so
// additions of registers never need a scale fix-up; constants are encoded at the compensating scale so
// that every scalar multiplication lands exactly on the next canonical scale (the idea of Bossuat et al.,
// "Efficient Bootstrapping for Approximate HE with Non-Sparse Keys", EUROCRYPT 2021, §5: choose the
// plaintext scales backwards so that sums meet exactly; here the target is fixed per level).
import { performance } from "node:perf_hooks";
import type { Ciphertext } from "./ciphertext.js";
import { LevelError, type Evaluator } from "./evaluator.js";
import { isSmallInteger, registerDepths, type PolyOp, type PolyProgram } from "./program.js";

export interface PolyEvalReport {
  /** Levels consumed (input level - output level). */
  levelsUsed: number;
  /** ct x ct multiplications performed (must equal program.cost.nonScalarMultiplications). */
  nonScalarMultiplications: number;
  /** mulConst ops + non-integer linear coefficients (must equal program.cost.scalarMultiplications). */
  scalarMultiplications: number;
  /**
   * Multiplications by integer constants that were needed only to bring a term to the common scale of a
   * level-consuming `linear` (not counted by the program's cost rules).
   */
  integerScaleMultiplications: number;
  /** Level alignments by multiplication by 1 (operands of different depth meeting). */
  scaleAdjustments: number;
  seconds: number;
}

export interface PolyEvalOptions {
  /** Verify level and counts against program.cost (default true); throws on mismatch. */
  verify?: boolean;
}

/** Evaluates `program` on `x`. The input is not consumed; the caller owns the result. */
export function evaluateProgram(ev: Evaluator, program: PolyProgram, x: Ciphertext, opts: PolyEvalOptions = {}): { result: Ciphertext; report: PolyEvalReport } {
  const verify = opts.verify ?? true;
  const depths = registerDepths(program);
  const need = depths[program.output]!;
  if (need > x.level) {
    throw new LevelError(
      `polynomial program needs ${need} levels but the ciphertext is at level ${x.level} ` +
        `(parameter set '${ev.ctx.params.name}' has ${ev.ctx.topLevel}); bootstrap first or use a shallower polynomial`,
    );
  }
  const t0 = performance.now();
  const startLevel = x.level;
  // Last use of every register, so intermediate ciphertexts are freed as soon as possible.
  const lastUse = new Int32Array(program.ops.length + 1).fill(-1);
  program.ops.forEach((o, i) => {
    const uses = o.op === "linear" ? o.terms.map(([r]) => r) : "b" in o ? [o.a, o.b] : [o.a];
    for (const r of uses) lastUse[r] = i;
  });
  const regs: (Ciphertext | undefined)[] = [x];
  const before = { ...ev.counts };
  let scalar = 0;
  let integerScale = 0;
  const get = (r: number): Ciphertext => {
    const c = regs[r];
    if (!c) throw new Error(`internal: register ${r} already freed`);
    return c;
  };
  try {
    program.ops.forEach((o, i) => {
      const step = applyPolyOp(ev, o, get);
      scalar += step.scalar;
      integerScale += step.integerScale;
      const out = step.out;
      regs.push(out);
      const expected = startLevel - depths[i + 1]!;
      if (verify && out.level !== expected) {
        throw new Error(`internal: op ${i} (${o.op}) left its result at level ${out.level}, the program says ${expected}`);
      }
      // Free registers whose last use was this op (never the input, never the output).
      const uses = o.op === "linear" ? o.terms.map(([r]) => r) : "b" in o ? [o.a, o.b] : [o.a];
      for (const r of uses) {
        if (r !== 0 && r !== program.output && lastUse[r] === i && regs[r]) {
          regs[r]!.dispose();
          regs[r] = undefined;
        }
      }
    });
    const result = program.output === 0 ? x.clone() : get(program.output);
    regs[program.output] = undefined;
    const report: PolyEvalReport = {
      levelsUsed: startLevel - result.level,
      nonScalarMultiplications: ev.counts.mulRelin - before.mulRelin + ev.counts.square - before.square,
      scalarMultiplications: scalar,
      integerScaleMultiplications: integerScale,
      scaleAdjustments: ev.counts.scaleAdjust - before.scaleAdjust,
      seconds: (performance.now() - t0) / 1000,
    };
    if (verify) {
      const c = program.cost;
      if (report.levelsUsed !== c.depth || report.nonScalarMultiplications !== c.nonScalarMultiplications || report.scalarMultiplications !== c.scalarMultiplications) {
        result.dispose();
        throw new Error(
          `polynomial evaluation diverged from the program's published cost: levels ${report.levelsUsed} vs depth ${c.depth}, ` +
            `ct x ct ${report.nonScalarMultiplications} vs ${c.nonScalarMultiplications}, scalar ${report.scalarMultiplications} vs ${c.scalarMultiplications}`,
        );
      }
    }
    return { result, report };
  } finally {
    for (let r = 1; r < regs.length; r++) regs[r]?.dispose();
  }
}

/**
 * sum_j c_j·x_j + c. All small-integer coefficients: repeated additions, no level. Otherwise every term is
 * brought to the deepest term's level (mod switch keeps its scale), multiplied by c_j encoded at the scale
 * that makes every product's scale exactly Δ_{l-1}·q_l, summed, the constant added at that scale, and
 * rescaled once to the canonical Δ_{l-1}.
 */
function linear(ev: Evaluator, terms: [Ciphertext, number][], c: number): { result: Ciphertext; scalar: number; integerScale: number } {
  if (terms.every(([, k]) => isSmallInteger(k))) {
    let acc: Ciphertext | undefined;
    for (const [x, k] of terms) {
      if (k === 0) continue;
      const t = k === 1 ? x.clone() : ev.mulInt(x, k);
      if (!acc) acc = t;
      else {
        const s = ev.add(acc, t);
        acc.dispose();
        t.dispose();
        acc = s;
      }
    }
    if (!acc) throw new Error("linear op with all-zero coefficients would be a transparent ciphertext");
    if (c !== 0) {
      const s = ev.addConst(acc, c);
      acc.dispose();
      acc = s;
    }
    return { result: acc, scalar: 0, integerScale: 0 };
  }
  const level = Math.min(...terms.map(([x]) => x.level));
  if (level < 1) throw new LevelError(`linear combination needs 1 level but a term is at level 0`);
  const target = ev.canonicalScale(level - 1);
  const q = Number(ev.ctx.primeAt(level));
  const productScale = target * q;
  let acc: Ciphertext | undefined;
  let scalar = 0;
  let integerScale = 0;
  for (const [x, k] of terms) {
    if (k === 0) continue;
    // INTERFACES §1 counts non-integer coefficients of a leveled linear as scalar multiplications.
    if (Number.isInteger(k)) integerScale++;
    else scalar++;
    const xl = x.level === level ? x : ev.modSwitchTo(x, level);
    try {
      const t = ev.mulConst(xl, k, { rescale: false, targetScale: target });
      // SEAL's add requires scales equal to ~1 ulp: snap every product to the planned scale.
      if (t.scale !== productScale) {
        if (Math.abs(t.scale / productScale - 1) > 1e-9) throw new Error(`internal: product scale 2^${t.logScale} vs planned 2^${Math.log2(productScale)}`);
        t.handle.setScale(productScale);
      }
      if (!acc) acc = t;
      else {
        const s = ev.add(acc, t);
        acc.dispose();
        t.dispose();
        acc = s;
      }
    } finally {
      if (xl !== x) xl.dispose();
    }
  }
  if (!acc) throw new Error("linear op with all-zero coefficients would be a transparent ciphertext");
  try {
    if (c !== 0) {
      const s = ev.addConst(acc, c);
      acc.dispose();
      acc = s;
    }
    const r = ev.rescale(acc);
    if (r.scale !== target) r.handle.setScale(target);
    return { result: r, scalar, integerScale };
  } finally {
    acc.dispose();
  }
}

/** Bits of precision: -log2(max |got - expected|) over the first n values. */
export function precisionBits(got: ArrayLike<number>, expected: ArrayLike<number>, n = Math.min(got.length, expected.length)): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(got[i]! - expected[i]!));
  return m === 0 ? Infinity : -Math.log2(m);
}


/**
 * One PolyProgram op on ciphertexts (INTERFACES.md §1), with the scalar multiplications it performed:
 * the single interpreter shared by `evaluateProgram` and the compiler's executor.
 */
export function applyPolyOp(
  ev: Evaluator,
  o: PolyOp,
  get: (register: number) => Ciphertext,
): { out: Ciphertext; scalar: number; integerScale: number } {
  switch (o.op) {
    case "mul":
      return { out: ev.mul(get(o.a), get(o.b)), scalar: 0, integerScale: 0 };
    case "mulConst":
      // every mulConst is a scalar multiplication (INTERFACES §1), integer or not
      return { out: ev.mulConst(get(o.a), o.c), scalar: 1, integerScale: 0 };
    case "mulInt":
      return { out: ev.mulInt(get(o.a), o.k), scalar: 0, integerScale: 0 };
    case "add":
      return { out: ev.add(get(o.a), get(o.b)), scalar: 0, integerScale: 0 };
    case "sub":
      return { out: ev.sub(get(o.a), get(o.b)), scalar: 0, integerScale: 0 };
    case "addConst":
      return { out: ev.addConst(get(o.a), o.c), scalar: 0, integerScale: 0 };
    case "linear": {
      const r = linear(ev, o.terms.map(([reg, c]) => [get(reg), c] as [Ciphertext, number]), o.c);
      return { out: r.result, scalar: r.scalar, integerScale: r.integerScale };
    }
  }
}
