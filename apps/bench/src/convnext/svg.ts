// A small dependency-free SVG writer for the per-site figure: each panel shows the site's profiled
// input histogram (shaded bars, scaled to the panel) under the exact activation and its polynomial
// approximations, over the profiled input range.

export interface Curve {
  label: string;
  color: string;
  dashed?: boolean;
  f: (x: number) => number;
}

export interface SitePanel {
  title: string;
  /** x range drawn (e.g. the profiled [min, max]). */
  range: [number, number];
  /** Equal-width histogram over [lo, hi]. */
  histogram: { lo: number; hi: number; counts: ArrayLike<number> };
  curves: Curve[];
}

export interface FigureOptions {
  title: string;
  columns?: number;
  panelWidth?: number;
  panelHeight?: number;
  /** Bars drawn per panel (the histogram is re-binned to this). */
  bars?: number;
  samples?: number;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (v: number) => (Math.abs(v) >= 100 || v === Math.round(v) ? v.toFixed(0) : v.toFixed(1));

/** "Nice" tick positions covering [lo, hi] (1, 2, 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  // integer multiples of the step, rounded to the step's decimals (no accumulated float error)
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k++) out.push(Number((k * step).toFixed(decimals)) + 0);
  return out;
}

/** Re-bin an equal-width histogram to `bars` cells over [a, b] (cells outside are dropped). */
export function rebin(h: SitePanel["histogram"], a: number, b: number, bars: number): Float64Array {
  const out = new Float64Array(bars);
  const n = h.counts.length;
  const w = (h.hi - h.lo) / n;
  for (let i = 0; i < n; i++) {
    const c = h.counts[i]!;
    if (c <= 0) continue;
    const x = h.lo + (i + 0.5) * w;
    if (x < a || x > b) continue;
    out[Math.min(bars - 1, Math.floor(((x - a) / (b - a)) * bars))]! += c;
  }
  return out;
}

function panel(p: SitePanel, x0: number, y0: number, W: number, H: number, bars: number, samples: number): string {
  const m = { l: 42, r: 8, t: 22, b: 28 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const [a, b] = p.range;
  const xs = Array.from({ length: samples + 1 }, (_, i) => a + ((b - a) * i) / samples);
  const ys = p.curves.map((c) => xs.map((x) => c.f(x)));
  let ylo = Infinity;
  let yhi = -Infinity;
  for (const row of ys) for (const v of row) if (Number.isFinite(v)) (ylo = Math.min(ylo, v)), (yhi = Math.max(yhi, v));
  if (!(yhi > ylo)) (ylo -= 1), (yhi += 1);
  const pad = 0.05 * (yhi - ylo);
  ylo -= pad;
  yhi += pad;
  const X = (x: number) => x0 + m.l + ((x - a) / (b - a)) * pw;
  const Y = (y: number) => y0 + m.t + (1 - (y - ylo) / (yhi - ylo)) * ph;
  const parts: string[] = [];
  parts.push(`<rect x="${x0 + m.l}" y="${y0 + m.t}" width="${pw}" height="${ph}" fill="#fff" stroke="#999"/>`);
  // histogram: tallest bar = 60% of the panel height (a density shape, not on the y axis)
  const hb = rebin(p.histogram, a, b, bars);
  const hmax = Math.max(...hb, 1e-300);
  const bw = pw / bars;
  for (let i = 0; i < bars; i++) {
    if (hb[i]! <= 0) continue;
    const h = 0.6 * ph * (hb[i]! / hmax);
    parts.push(`<rect x="${(x0 + m.l + i * bw).toFixed(2)}" y="${(y0 + m.t + ph - h).toFixed(2)}" width="${Math.max(bw - 0.3, 0.3).toFixed(2)}" height="${h.toFixed(2)}" fill="#c9d6e8"/>`);
  }
  for (const t of niceTicks(a, b)) {
    parts.push(`<line x1="${X(t).toFixed(2)}" y1="${y0 + m.t + ph}" x2="${X(t).toFixed(2)}" y2="${y0 + m.t + ph + 4}" stroke="#333"/>`);
    parts.push(`<text x="${X(t).toFixed(2)}" y="${y0 + m.t + ph + 15}" font-size="9" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(ylo, yhi, 4)) {
    parts.push(`<line x1="${x0 + m.l - 4}" y1="${Y(t).toFixed(2)}" x2="${x0 + m.l}" y2="${Y(t).toFixed(2)}" stroke="#333"/>`);
    parts.push(`<text x="${x0 + m.l - 6}" y="${(Y(t) + 3).toFixed(2)}" font-size="9" text-anchor="end">${fmt(t)}</text>`);
  }
  if (ylo < 0 && yhi > 0) parts.push(`<line x1="${x0 + m.l}" y1="${Y(0).toFixed(2)}" x2="${x0 + m.l + pw}" y2="${Y(0).toFixed(2)}" stroke="#ddd"/>`);
  p.curves.forEach((c, k) => {
    const pts = xs
      .map((x, i) => [X(x), Y(Math.min(yhi, Math.max(ylo, ys[k]![i]!)))] as const)
      .map(([u, v]) => `${u.toFixed(2)},${v.toFixed(2)}`)
      .join(" ");
    parts.push(`<polyline points="${pts}" fill="none" stroke="${c.color}" stroke-width="1.4"${c.dashed ? ' stroke-dasharray="4 3"' : ""}/>`);
  });
  parts.push(`<text x="${x0 + m.l + pw / 2}" y="${y0 + 14}" font-size="10" text-anchor="middle">${esc(p.title)}</text>`);
  return parts.join("\n");
}

/** The whole figure as an SVG document. */
export function siteFigureSvg(panels: SitePanel[], opts: FigureOptions): string {
  if (panels.length === 0) throw new Error("siteFigureSvg: no panels");
  const cols = opts.columns ?? 4;
  const W = opts.panelWidth ?? 260;
  const H = opts.panelHeight ?? 200;
  const rows = Math.ceil(panels.length / cols);
  const top = 44;
  const width = cols * W;
  const height = top + rows * H;
  const body: string[] = [];
  body.push(`<text x="${width / 2}" y="16" font-size="13" text-anchor="middle">${esc(opts.title)}</text>`);
  // legend from the first panel's curves
  let lx = 10;
  for (const c of panels[0]!.curves) {
    body.push(`<line x1="${lx}" y1="32" x2="${lx + 22}" y2="32" stroke="${c.color}" stroke-width="2"${c.dashed ? ' stroke-dasharray="4 3"' : ""}/>`);
    body.push(`<text x="${lx + 26}" y="35" font-size="10">${esc(c.label)}</text>`);
    lx += 34 + 6 * c.label.length;
  }
  body.push(`<rect x="${lx}" y="27" width="14" height="9" fill="#c9d6e8"/><text x="${lx + 18}" y="35" font-size="10">input histogram (calibration set, scaled)</text>`);
  panels.forEach((p, i) => body.push(panel(p, (i % cols) * W, top + Math.floor(i / cols) * H, W, H, opts.bars ?? 60, opts.samples ?? 240)));
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n${body.join("\n")}\n</svg>\n`
  );
}
