// Gauss–Legendre quadrature (nodes by Newton's method on P_n with the asymptotic initial guess
// cos(pi (i - 1/4)/(n + 1/2)); Golub & Welsch give the same nodes), used to integrate densities
// and histogram bins on many panels.

const cache = new Map<number, { nodes: Float64Array; weights: Float64Array }>();

/** n-point Gauss–Legendre rule on [-1, 1]. */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(n) || n < 1 || n > 512) throw new RangeError(`gaussLegendre: n must be an integer in [1, 512], got ${n}`);
  const hit = cache.get(n);
  if (hit) return hit;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pn1 = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pn1)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    // recompute derivative at the converged node
    let p0 = 1;
    let p1 = x;
    for (let k = 2; k <= n; k++) {
      const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
      p0 = p1;
      p1 = p2;
    }
    dp = n === 1 ? 1 : (n * (x * p1 - p0)) / (x * x - 1);
    const w = 2 / ((1 - x * x) * dp * dp);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  const r = { nodes, weights };
  cache.set(n, r);
  return r;
}

/** Composite Gauss–Legendre nodes/weights on [a, b] with panel breaks (sorted, inside (a,b) used). */
export function compositeGaussLegendre(a: number, b: number, panels: number, pointsPerPanel: number, breaks: number[] = []): { x: Float64Array; w: Float64Array } {
  const cuts = new Set<number>();
  for (let i = 0; i <= panels; i++) cuts.add(a + ((b - a) * i) / panels);
  for (const c of breaks) if (c > a && c < b) cuts.add(c);
  const edges = [...cuts].sort((p, q) => p - q);
  const { nodes, weights } = gaussLegendre(pointsPerPanel);
  const m = (edges.length - 1) * pointsPerPanel;
  const x = new Float64Array(m);
  const w = new Float64Array(m);
  let k = 0;
  for (let j = 0; j + 1 < edges.length; j++) {
    const lo = edges[j]!;
    const hi = edges[j + 1]!;
    const h = (hi - lo) / 2;
    for (let i = 0; i < pointsPerPanel; i++) {
      x[k] = lo + h * (nodes[i]! + 1);
      w[k] = h * weights[i]!;
      k++;
    }
  }
  return { x, w };
}
