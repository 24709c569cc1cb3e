// Complex vectors as two Float64Arrays (structure of arrays): the DFT factors, diagonals and
// reference evaluations of the bootstrapping pipeline all work on these.

export interface ComplexVector {
  re: Float64Array;
  im: Float64Array;
}

export function complexZeros(n: number): ComplexVector {
  return { re: new Float64Array(n), im: new Float64Array(n) };
}

export function complexFromReal(re: ArrayLike<number>): ComplexVector {
  return { re: Float64Array.from(re), im: new Float64Array(re.length) };
}

export function complexClone(v: ComplexVector): ComplexVector {
  return { re: v.re.slice(), im: v.im.slice() };
}

/** Cyclic left rotation: out[j] = v[(j + k) mod n] (SEAL's rotateVector(ct, k) on slots). */
export function complexRotate(v: ComplexVector, k: number): ComplexVector {
  const n = v.re.length;
  const out = complexZeros(n);
  const s = ((k % n) + n) % n;
  for (let j = 0; j < n; j++) {
    const src = j + s < n ? j + s : j + s - n;
    out.re[j] = v.re[src];
    out.im[j] = v.im[src];
  }
  return out;
}

export function maxAbsDiff(a: ComplexVector, b: ComplexVector): number {
  let m = 0;
  for (let j = 0; j < a.re.length; j++) {
    m = Math.max(m, Math.hypot(a.re[j] - b.re[j], a.im[j] - b.im[j]));
  }
  return m;
}
