// Markdown and SVG renderings of a ConvNeXt reproduction (results JSON is the ReproduceResult).
import { mdTable } from "../results.js";
import type { LayerNormEstimate } from "./layernorm-estimate.js";
import type { ReproduceResult } from "./reproduce.js";
import { siteFigureSvg } from "./svg.js";

const pct = (v: number | undefined) => (v === undefined ? "–" : `${v.toFixed(2)}%`);

export function reproduceMarkdown(r: ReproduceResult, ln: LayerNormEstimate | null, svgName: string): string {
  const sets = Object.keys(r.configs[0]!.top1);
  const base = r.configs[0]!;
  const out: string[] = [];
  out.push(`# ${r.model.name}: every activation replaced by a polynomial, backbone unchanged\n`);
  out.push(
    `Calibration (profile and fits): ${r.calibration.images} images of \`${r.calibration.dataset}\`; impact set for the DP: ` +
      `${r.impactSet.images} images of \`${r.impactSet.dataset}\` (both training data, disjoint from the test files). ` +
      `OLA fits: weighted least squares under each site's profiled input histogram on the profiled range widened by ` +
      `${(100 * r.margin).toFixed(0)}% on each side. Uniform fits: one polynomial for all sites on [-${r.uniformRange}, ${r.uniformRange}] ` +
      `(the smallest integer range covering every profiled input), least squares with uniform weight or minimax (Remez), ` +
      `without the distributions. Cost model: ${r.costModel}; "predicted s" is the encrypted time of the activation ` +
      `part (polynomials + the bootstraps their depth forces, one ciphertext per layer; linear layers and LayerNorm excluded).\n`,
  );
  out.push(`## Top-1 on the test files\n`);
  out.push(
    mdTable(
      ["configuration", "degrees (per site)", "max depth", "non-scalar mults", "predicted s", "bootstraps", ...sets.map((s) => `${s} top-1`), ...sets.map((s) => `drop ${s}`)],
      r.configs.map((c) => [
        c.label,
        c.degrees ? c.degrees.join(",") : "exact",
        c.predicted ? c.maxDepth : "–",
        c.predicted ? c.nonScalarMultiplications : "–",
        c.predicted ? c.predicted.seconds.toFixed(1) : "–",
        c.predicted ? c.predicted.bootstraps : "–",
        ...sets.map((s) => pct(c.top1[s])),
        ...sets.map((s) => (c.kind === "original" ? "–" : (base.top1[s]! - c.top1[s]!).toFixed(2))),
      ]),
    ),
  );
  out.push(`\nImages: ${sets.map((s) => `${s} ${base.images[s]}`).join(", ")}.\n`);
  out.push(`![per-site input histograms and fits](${svgName})\n`);

  out.push(`## Profiled GELU inputs (calibration set)\n`);
  out.push(
    mdTable(
      ["site", "shape", "values", "min", "p0.1", "p1", "median", "p99", "p99.9", "max", "mean", "std"],
      r.sites.map((s) => [
        s.id,
        `[${s.shape.join(",")}]`,
        s.count,
        s.min.toFixed(2),
        s.quantiles["p0.1"]!.toFixed(2),
        s.quantiles["p1"]!.toFixed(2),
        s.quantiles["p50"]!.toFixed(2),
        s.quantiles["p99"]!.toFixed(2),
        s.quantiles["p99.9"]!.toFixed(2),
        s.max.toFixed(2),
        s.mean.toFixed(3),
        s.std.toFixed(3),
      ]),
    ),
  );
  out.push(`\n## Fit error under each site's distribution (RMSE weighted by the calibration histogram)\n`);
  const fitKeys = [...new Set(r.fits.map((f) => `${f.fit} d${f.degree}`))];
  out.push(
    mdTable(
      ["site", ...fitKeys],
      r.sites.map((s) => [s.id, ...fitKeys.map((k) => r.fits.find((f) => f.site === s.id && `${f.fit} d${f.degree}` === k)?.weightedRmse.toExponential(2) ?? "–")]),
    ),
  );
  if (r.marginSweep.length) {
    out.push(`\n## Interval sensitivity of degree 3 (impact set, training data)\n`);
    out.push(
      `Every site replaced at once by its degree-3 WLS fit on the profiled range widened by the margin on each side; ` +
        `measured on the ${r.impactSet.images}-image impact set (\`${r.impactSet.dataset}\`), not on the test files. ` +
        `A wide margin spends the cubic's few degrees of freedom on inputs that never occur.\n`,
    );
    out.push(
      mdTable(
        ["margin (fraction of range per side)", "mean KL vs exact (nats)", "top-1 changed vs exact"],
        r.marginSweep.map((m) => [m.margin, m.kl.toExponential(2), `${m.top1Change.toFixed(2)}%`]),
      ),
    );
  }
  out.push(`\n## Single-site impact (mean KL divergence from the exact model on the impact set, nats)\n`);
  const degs = [...new Set(r.impacts.map((i) => i.degree))];
  out.push(
    mdTable(
      ["site", ...degs.map((d) => `WLS d${d}`)],
      r.sites.map((s) => [s.id, ...degs.map((d) => r.impacts.find((i) => i.site === s.id && i.degree === d)!.kl.toExponential(2))]),
    ),
  );
  out.push(
    `\nDP (${r.dp.form}, discretisation slack ${r.dp.budgetSlack.toExponential(2)} nats): ${r.dp.frontier.length} Pareto points; ` +
      `cheapest ${r.dp.frontier.length ? r.dp.frontier[r.dp.frontier.length - 1]!.seconds.toFixed(1) : "–"} s, most accurate ` +
      `${r.dp.frontier.length ? r.dp.frontier[0]!.seconds.toFixed(1) : "–"} s (predicted KL ${r.dp.frontier[0]?.kl.toExponential(2) ?? "–"}).\n`,
  );
  const ola3 = r.configs.find((c) => c.kind === "ola");
  if (ola3?.predicted) {
    out.push(`## Encrypted cost\n`);
    out.push(
      `GELU part, all sites degree 3 (OLA): ${ola3.nonScalarMultiplications} non-scalar multiplications, depth ${ola3.maxDepth} per site, ` +
        `${ola3.predicted.bootstraps} bootstraps forced by the activations, predicted ${ola3.predicted.seconds.toFixed(1)} s ` +
        `(${ola3.predicted.polySeconds.toFixed(1)} s polynomials + ${ola3.predicted.bootstrapSeconds.toFixed(1)} s bootstrapping) under ${r.costModel}.\n`,
    );
  }
  if (ln) out.push(layerNormMarkdown(ln));
  return out.join("\n");
}

export function layerNormMarkdown(ln: LayerNormEstimate): string {
  const out: string[] = [];
  out.push(`## What encrypted LayerNorm would need (estimate, not run encrypted)\n`);
  out.push(
    `LayerNorm(x) = gamma (x - mean) / sqrt(var + eps) + beta. The mean and variance are slot sums (rotations) and one ` +
      `square; gamma/beta fold into the next linear layer; 1/sqrt(var + eps) is not a polynomial and is what the paper ` +
      `does not address. Route sized here: a Chebyshev interpolant y0 of 1/sqrt on the profiled range of var + eps, then ` +
      `Newton steps y <- y (3 - v y^2)/2 (depth 2, 3 non-scalar multiplications each) until max |1 - v y^2| <= ` +
      `${ln.target.toExponential(1)} over the whole range (checked numerically on a log grid). Variance profiled on ` +
      `${ln.images} calibration images.\n`,
  );
  out.push(
    mdTable(
      ["LayerNorm", "normalised size", "rows", "var+eps min", "p1", "p99", "max", "max/min", "best y0 degree", "Newton steps", "depth", "non-scalar mults", "predicted s", "rotations (sums)"],
      ln.sites.map((s) => [
        s.node,
        s.size,
        s.rows,
        s.min.toExponential(2),
        s.p1.toExponential(2),
        s.p99.toExponential(2),
        s.max.toExponential(2),
        (s.max / s.min).toExponential(1),
        s.best ? s.best.degree : "none ≤ 63",
        s.best?.steps ?? "–",
        s.best?.cost?.depth ?? "–",
        s.best?.cost?.nonScalarMultiplications ?? "–",
        s.best ? s.best.seconds.toFixed(1) : "–",
        s.rotations,
      ]),
    ),
  );
  out.push(
    `\nTotal over ${ln.sites.length} LayerNorms: inverse square roots predicted ${ln.totalSeconds.toFixed(1)} s ` +
      `(${ln.totalBootstraps} bootstraps), ${ln.totalRotations} rotations for the mean/variance sums` +
      `${ln.rotationSeconds !== null ? ` (~${ln.rotationSeconds.toFixed(1)} s at the top level)` : ""}, plus one square and ` +
      `one product per LayerNorm. Each LayerNorm's "predicted s" costs its inverse square root as a stand-alone segment ` +
      `starting from a fresh bootstrap (the optimiser's level schedule): a depth above the levels left after a bootstrap ` +
      `forces extra bootstraps, which dominate. ${ln.note}\n`,
  );
  return out.join("\n");
}

export function reproduceSvg(r: ReproduceResult, gelu: (x: number) => number): string {
  return siteFigureSvg(
    r.figure.map((f) => ({
      title: f.site.length > 40 ? f.site.slice(0, 40) + "…" : f.site,
      range: f.range,
      histogram: f.histogram,
      curves: [
        { label: "GELU", color: "#000", f: gelu },
        { label: "OLA WLS degree 3", color: "#1f5fbf", f: (x) => f.ola3.evaluate(x) },
        { label: `uniform LS degree 3 on [-${r.uniformRange}, ${r.uniformRange}]`, color: "#d0342c", dashed: true, f: (x) => f.uniformLs3.evaluate(x) },
        { label: "uniform minimax degree 3", color: "#e69b00", dashed: true, f: (x) => f.uniformMinimax3.evaluate(x) },
      ],
    })),
    { title: `${r.model.name}: GELU inputs (calibration histogram) and degree-3 approximations per site` },
  );
}
