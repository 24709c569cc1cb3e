// `pnpm bench reproduce-convnext`: the paper's second headline (issue 8) — a ConvNeXt whose GELUs are
// all replaced by degree-3 polynomials, backbone unchanged. Table of top-1 on both test files for the
// original model, per-site degree-3 OLA fits, uniform degree-3 and high-degree fits on a fixed range
// (least squares, minimax) and DP plans at a few budgets, with depth and predicted encrypted cost;
// an SVG with each site's input histogram and its fits; an estimate of encrypted LayerNorm.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { loadModel } from "@ola/models";
import { analyticCostModel } from "@ola/optimizer";
import { gelu, relu } from "@ola/poly";
import { histogramWlsFitter } from "../convnext/fitter.js";
import { estimateLayerNorm, type LayerNormEstimate } from "../convnext/layernorm-estimate.js";
import { reproduceMarkdown, reproduceSvg } from "../convnext/report.js";
import { reproduceConvnext, type TestSet } from "../convnext/reproduce.js";
import { resultsDir, writeResults } from "../results.js";

interface Opts {
  model: string;
  calib: string;
  impact: string;
  limit?: string;
  lossless: string;
  degrees: string;
  dpDegrees: string;
  high: string;
  margin: string;
  budgets: string;
  margins: string;
  threads: string;
  layernorm: boolean;
  lnImages: string;
  name?: string;
}

function intArg(name: string, v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${name}: expected an integer in [${lo}, ${hi}], got '${v}'`);
  return n;
}
function numArg(name: string, v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new Error(`${name}: expected a number in [${lo}, ${hi}], got '${v}'`);
  return n;
}
function listArg(name: string, v: string, parse: (s: string) => number): number[] {
  const xs = v.split(",").map((s) => s.trim()).filter(Boolean).map(parse);
  if (xs.length === 0) throw new Error(`${name}: empty list`);
  return xs;
}

function atomicWrite(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function register(program: Command): void {
  program
    .command("reproduce-convnext")
    .description("ConvNeXt with every GELU replaced by a polynomial: OLA per-site fits vs uniform fits vs DP plans (top-1, depth, predicted cost)")
    .option("--model <name|file>", "model (any ONNX with GELU/ReLU sites)", "convnext-cifar10")
    .option("--calib <n>", "calibration images (cifar10-train) for the profile and fits", "1000")
    .option("--impact <n>", "impact-set images (cifar10-train-lossless) for the DP", "256")
    .option("--lossless <n>", "images of the lossless test file (max 1000)", "1000")
    .option("--limit <n>", "images of the JPEG test file (default all 10,000)")
    .option("--degrees <list>", "degrees fitted per site for the fit table", "2,3,4,5,7,15")
    .option("--dp-degrees <list>", "candidate degrees for the DP", "2,3,4,6,7,8,12,14,15")
    .option("--high <d>", "uniform high degree", "15")
    .option("--margin <f>", "fit interval margin (fraction of the profiled range per side)", "0.05")
    .option("--margins <list>", "fit-interval margins of the degree-3 sensitivity sweep (impact set only)", "0,0.05,0.1,0.25,0.5")
    .option("--budgets <list>", "DP KL budgets as multiples of the all-degree-3 OLA plan's predicted KL", "0.25,1,4")
    .option("--threads <n>", "onnxruntime intra-op threads", "2")
    .option("--no-layernorm", "skip the LayerNorm (inverse square root) estimate")
    .option("--ln-images <n>", "calibration images for the LayerNorm variance profile", "200")
    .option("--name <name>", "results file name (default reproduce-<model>)")
    .action(async (o: Opts) => {
      const log = (m: string) => process.stderr.write(`[reproduce-convnext] ${m}\n`);
      const testSets: TestSet[] = [
        { name: "cifar10-test-lossless", limit: intArg("--lossless", o.lossless, 1, 1000) },
        o.limit !== undefined ? { name: "cifar10-test", limit: intArg("--limit", o.limit, 1, 10000) } : { name: "cifar10-test" },
      ];
      const costModel = analyticCostModel();
      const threads = intArg("--threads", o.threads, 1, 64);
      const result = await reproduceConvnext({
        model: o.model,
        calibImages: intArg("--calib", o.calib, 10, 100000),
        calibDataset: "cifar10-train",
        impactImages: intArg("--impact", o.impact, 8, 4000),
        impactDataset: "cifar10-train-lossless",
        testSets,
        fitDegrees: listArg("--degrees", o.degrees, (s) => intArg("--degrees", s, 1, 63)),
        dpDegrees: listArg("--dp-degrees", o.dpDegrees, (s) => intArg("--dp-degrees", s, 1, 63)),
        highDegree: intArg("--high", o.high, 1, 63),
        margin: numArg("--margin", o.margin, 0, 10),
        marginSweep: listArg("--margins", o.margins, (s) => numArg("--margins", s, 0, 10)),
        budgetFactors: listArg("--budgets", o.budgets, (s) => numArg("--budgets", s, 0, 1e6)),
        threads,
        costModel,
        fitter: histogramWlsFitter,
        exact: { gelu, relu },
        log,
      });
      let ln: LayerNormEstimate | null = null;
      if (o.layernorm) {
        const model = await loadModel(o.model);
        ln = await estimateLayerNorm(model, costModel, { images: intArg("--ln-images", o.lnImages, 1, 100000), dataset: "cifar10-train", threads });
        log(`LayerNorm: ${ln.sites.length} sites, inverse sqrt predicted ${ln.totalSeconds.toFixed(1)} s`);
      }
      const name = o.name ?? `reproduce-${result.model.name}`;
      const svgName = `${name}.svg`;
      atomicWrite(join(resultsDir, svgName), reproduceSvg(result, gelu));
      const body = reproduceMarkdown(result, ln, svgName);
      const { profile: _profile, figure, ...rest } = result;
      const data = {
        ...rest,
        figure: figure.map((f) => ({ site: f.site, range: f.range, ola3: seriesJson(f.ola3), uniformLs3: seriesJson(f.uniformLs3), uniformMinimax3: seriesJson(f.uniformMinimax3) })),
        layerNorm: ln,
      };
      const [json, md] = writeResults(name, data, body);
      process.stderr.write(body + `\nwrote ${json}, ${md} and ${join(resultsDir, svgName)}\n`);
    });
}

function seriesJson(p: { a: number; b: number; coeffs: ArrayLike<number> }) {
  return { interval: [p.a, p.b], coefficients: Array.from(p.coeffs) };
}
