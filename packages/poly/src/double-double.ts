// Double-double arithmetic (an unevaluated sum hi + lo of two doubles, ~106 bits):
// Dekker, "A floating-point technique for extending the available precision" (1971);
// Hida, Li, Bailey, "Library for double-double and quad-double arithmetic" (QD, 2000).
//
// Why: the Remez exchange must resolve levelled errors far below double's 2^-53 relative
// precision (e.g. the best degree-63 approximation of x^64 on [-1,1] has error 2^-63), and its
// linear system loses digits to conditioning. Double-double is ~50x faster than decimal.js for the
// millions of basis evaluations a Remez run does, and 106 bits cover every case we target.

export interface DD {
  hi: number;
  lo: number;
}

const SPLITTER = 134217729; // 2^27 + 1

export function dd(hi: number, lo = 0): DD {
  return { hi, lo };
}

export function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  const err = a - (s - bb) + (b - bb);
  return { hi: s, lo: err };
}

export function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLITTER * a;
  const ahi = t - (t - a);
  const alo = a - ahi;
  t = SPLITTER * b;
  const bhi = t - (t - b);
  const blo = b - bhi;
  const err = ahi * bhi - p + ahi * blo + alo * bhi + alo * blo;
  return { hi: p, lo: err };
}

function renorm(hi: number, lo: number): DD {
  const s = hi + lo;
  return { hi: s, lo: lo - (s - hi) };
}

export function ddAdd(a: DD, b: DD): DD {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  let lo = s.lo + t.hi;
  const u = renorm(s.hi, lo);
  lo = t.lo + u.lo;
  return renorm(u.hi, lo);
}

export function ddNeg(a: DD): DD {
  return { hi: -a.hi, lo: -a.lo };
}

export function ddSub(a: DD, b: DD): DD {
  return ddAdd(a, ddNeg(b));
}

export function ddMul(a: DD, b: DD): DD {
  const p = twoProd(a.hi, b.hi);
  return renorm(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

export function ddMulNum(a: DD, b: number): DD {
  const p = twoProd(a.hi, b);
  return renorm(p.hi, p.lo + a.lo * b);
}

export function ddDiv(a: DD, b: DD): DD {
  const q1 = a.hi / b.hi;
  let r = ddSub(a, ddMulNum(b, q1));
  const q2 = r.hi / b.hi;
  r = ddSub(r, ddMulNum(b, q2));
  const q3 = r.hi / b.hi;
  return ddAdd(renorm(q1, q2), dd(q3));
}

export function ddAbs(a: DD): DD {
  return a.hi < 0 || (a.hi === 0 && a.lo < 0) ? ddNeg(a) : a;
}

export function ddToNumber(a: DD): number {
  return a.hi + a.lo;
}

/** sum_k c_k T_k(t) by Clenshaw in double-double; t given as a double-double. */
export function ddClenshaw(chi: Float64Array, clo: Float64Array, t: DD): DD {
  const n = chi.length;
  const t2 = { hi: 2 * t.hi, lo: 2 * t.lo };
  let b1 = dd(0);
  let b2 = dd(0);
  for (let k = n - 1; k >= 1; k--) {
    const b0 = ddSub(ddAdd({ hi: chi[k]!, lo: clo[k]! }, ddMul(t2, b1)), b2);
    b2 = b1;
    b1 = b0;
  }
  return ddSub(ddAdd({ hi: chi[0]!, lo: clo[0]! }, ddMul(t, b1)), b2);
}
