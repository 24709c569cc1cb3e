// Markdown rendering of an optimisation report (the JSON form is the OptimizeReport itself).
import type { OptimizeReport } from "./optimize.js";

const fx = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const ex = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : Number.isNaN(x) ? "skipped" : String(x));

function table(header: string[], rows: (string | number)[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

export function reportMarkdown(r: OptimizeReport, command?: string): string {
  const out: string[] = [];
  out.push(`# OLA plan for ${r.model.name}`);
  if (command) out.push("", "```sh", command, "```");
  out.push(
    "",
    `Model sha256 \`${r.model.sha256}\`. Calibration: ${r.calibImages} images; impact set: ${r.impactSet.images} images of ${r.impactSet.dataset} (disjoint from the test files).`,
    `Cost model: ${r.costModel}; ${r.levelsAfterBootstrap} levels after a bootstrap, ${fx(r.bootstrapSeconds, 1)} s per bootstrap.`,
    "",
    "## Result",
    "",
    table(
      ["", "top-1 (%)", "exact top-1 (%)", "drop (points)", "images"],
      r.validation.map((v) => [v.dataset, fx(v.top1), fx(v.baselineTop1), fx(v.drop), v.images]),
    ),
    "",
    `Within --max-drop ${r.maxDrop}: **${r.meetsMaxDrop ? "yes" : "no"}**. Predicted encrypted time (activations + bootstraps): **${fx(r.predicted.timeSeconds, 1)} s** ` +
      `(${fx(r.predicted.polySeconds, 1)} s polynomials, ${r.predicted.bootstraps} bootstraps = ${fx(r.predicted.bootstrapSeconds, 1)} s).`,
  );
  if (r.baseline) {
    out.push(
      `Uniform alpha=${r.baseline.alpha} composite ReLU (B=${r.baseline.B}) under the same cost model: ${fx(r.baseline.timeSeconds, 1)} s, ${r.baseline.bootstraps} bootstraps → predicted speed-up **${fx(r.baseline.speedup, 2)}x**.`,
    );
  }
  out.push(
    "",
    "## Per layer",
    "",
    table(
      ["site", "choice", "interval", "depth", "non-scalar mults", "impact KL (nats)", "top-1 change (%)", "seconds", "bootstraps before", "inputs out of interval"],
      r.sites.map((s) => [
        s.id,
        s.chosen.label,
        `[${fx(s.chosen.interval[0], 3)}, ${fx(s.chosen.interval[1], 3)}]`,
        s.chosen.depth,
        s.chosen.nonScalarMultiplications,
        ex(s.chosen.kl),
        fx(s.chosen.top1Change),
        fx(s.chosen.seconds, 2),
        s.bootstrapsBefore,
        Object.entries(s.outOfRange)
          .map(([d, o]) => `${d}: ${o.values} values / ${o.images} images`)
          .join("; "),
      ]),
    ),
    "",
    "Per-site seconds in the table are each candidate's stand-alone cost (polynomial + its share of bootstrapping); the plan total comes from the level schedule.",
    "",
    "## Additivity check",
    "",
    `Predicted impact (sum of single-site KL): ${ex(r.additivity.predictedKl)} nats; measured with every site replaced at once: ${ex(r.additivity.measuredKl)} nats ` +
      `(ratio ${fx(r.additivity.ratio, 2)}); top-1 changes vs the exact model on the impact set: ${fx(r.additivity.measuredTop1Change)}%.`,
    "",
    "## Pareto frontier (DP)",
    "",
    table(
      ["#", "predicted KL (nats)", "DP objective (s)", "scheduled time (s)", "bootstraps", "validated"],
      r.frontier.map((p) => {
        const step = r.bisection.find((b) => b.index === p.index);
        return [p.index === r.chosenFrontierIndex ? `**${p.index}**` : p.index, ex(p.predictedKl), fx(p.dpSeconds, 1), fx(p.timeSeconds, 1), p.bootstraps, step ? (step.passed ? "pass" : "fail") : ""];
      }),
    ),
    "",
    "## Budget bisection",
    "",
    ...r.bisection.map((b) => `- point ${b.index}: ${b.passed ? "pass" : "fail"} (${b.detail})`),
    "",
    ...(r.marginFallback?.length
      ? [
          "## Margin fallback",
          "",
          ...r.marginFallback.map(
            (m, j) =>
              `- round ${j + 1}: no frontier point passed (${m.bisection.map((b) => `point ${b.index} ${b.passed ? "pass" : "fail"}`).join(", ")}); ` +
              `widest margin only at ${m.sites.length} site(s): ${m.sites.join(", ")}`,
          ),
          "",
        ]
      : []),
    "## Stage times (s)",
    "",
    table(Object.keys(r.timings), [Object.values(r.timings).map((v) => fx(v, 1))]),
    "",
  );
  return out.join("\n");
}
