// `ola approx composite` and `ola approx fit`: the polynomial approximations of @ola/poly from the
// command line. With --json, stdout is exactly one JSON document (shapes documented in
// packages/poly/README.md); progress and human text go to stderr / stdout without --json.
import { existsSync, readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import { compileChebyshev, compositeSign, wlsFit, type FitDistribution } from "@ola/poly";
import { parseChoiceArg, parseFloatArg, parseIntArg, parseIntervalArg } from "../args.js";
import { UsageError } from "../errors.js";
import { log, printJson, printText, table } from "../output.js";

interface CompositeCliOptions {
  alpha: string;
  maxDegree: string;
  json?: boolean;
}

interface FitCliOptions {
  fn: string;
  degree: string;
  interval: string;
  samples: string;
  floorWeight?: string;
  maxAbs?: string;
  json?: boolean;
}

const FNS = ["relu", "gelu", "silu"] as const;

/**
 * --samples: `gaussian:MU,SIGMA` (the normal density itself, integrated by composite Gauss–Legendre),
 * or a file: `.f32` = raw little-endian Float32 values; `.json` = an array of numbers or {"values": [...]};
 * anything else = text with numbers separated by whitespace or commas.
 */
export function parseSamplesArg(raw: string): FitDistribution {
  const g = /^gaussian:(.*)$/.exec(raw);
  if (g) {
    const parts = g[1]!.split(",");
    if (parts.length !== 2) throw new UsageError(`--samples must be FILE or gaussian:MU,SIGMA with SIGMA > 0, got '${raw}'`);
    const mean = parseFloatArg("--samples gaussian MU", parts[0]!);
    const std = parseFloatArg("--samples gaussian SIGMA", parts[1]!);
    if (!(std > 0)) throw new UsageError(`--samples gaussian SIGMA must be a number > 0, got '${parts[1]}'`);
    return { kind: "gaussian", mean, std };
  }
  if (!existsSync(raw) || !statSync(raw).isFile()) {
    throw new UsageError(`--samples must be an existing file or gaussian:MU,SIGMA, got '${raw}' (no such file)`);
  }
  return { kind: "samples", values: readSamplesFile(raw) };
}

export function readSamplesFile(path: string): Float64Array {
  const bytes = readFileSync(path);
  let values: Float64Array;
  if (path.endsWith(".f32")) {
    if (bytes.byteLength % 4 !== 0) throw new Error(`${path}: a .f32 file must hold whole little-endian float32 values (size ${bytes.byteLength} is not a multiple of 4)`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    values = new Float64Array(bytes.byteLength / 4);
    for (let i = 0; i < values.length; i++) values[i] = dv.getFloat32(4 * i, true);
  } else if (path.endsWith(".json")) {
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString("utf8"));
    } catch (e) {
      throw new Error(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    const arr = Array.isArray(doc) ? doc : (doc as { values?: unknown })?.values;
    if (!Array.isArray(arr)) throw new Error(`${path}: expected a JSON array of numbers or {"values": [...]}`);
    values = new Float64Array(arr.length);
    arr.forEach((v, i) => {
      if (typeof v !== "number") throw new Error(`${path}: element ${i} is not a number (${JSON.stringify(v)})`);
      values[i] = v;
    });
  } else {
    const tokens = bytes.toString("utf8").split(/[\s,]+/).filter((t) => t !== "");
    values = new Float64Array(tokens.length);
    tokens.forEach((t, i) => {
      const v = Number(t);
      if (!Number.isFinite(v)) throw new Error(`${path}: token ${i + 1} ('${t}') is not a finite number`);
      values[i] = v;
    });
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new Error(`${path}: value ${i} is not finite (${values[i]})`);
  }
  if (values.length === 0) throw new Error(`${path}: no samples`);
  return values;
}

const fmt = (x: number) => x.toPrecision(6);

export function register(program: Command): void {
  const approx = program.command("approx").description("polynomial approximations: composite minimax ReLU and the OLA weighted fit");

  approx
    .command("composite")
    .description(
      "composite minimax sign p = p_k∘…∘p_1 of precision alpha (Lee et al.): max over [-1,1] of |x(1+p(x))/2 - ReLU(x)| <= 2^-alpha; degrees chosen by the DP (least depth, then least non-scalar multiplications by Lee et al.'s odd baby-step giant-step count, then least eps)",
    )
    .requiredOption("--alpha <n>", "precision alpha, an integer in [4, 16]")
    .option("--max-degree <d>", "largest component degree considered (odd, 3..63)", "31")
    .option("--json", "print exactly one JSON document on stdout")
    .action((o: CompositeCliOptions) => {
      const alpha = parseIntArg("--alpha", o.alpha, 4, 16);
      const maxDegree = parseIntArg("--max-degree", o.maxDegree, 3, 63);
      if (maxDegree % 2 === 0) throw new UsageError(`--max-degree must be an odd integer in [3, 63], got '${o.maxDegree}'`);
      log(`approx composite: searching degrees for alpha=${alpha} (exact Remez checks; this can take a minute)`);
      const t0 = performance.now();
      const comp = compositeSign(alpha, { maxDegree, onProgress: (m) => log(`  ${m}`) });
      const seconds = (performance.now() - t0) / 1000;
      const components = comp.components.map((p) => Array.from(p.toPowerBasis()));
      if (o.json) {
        printJson({
          alpha,
          degrees: comp.degrees,
          depth: comp.cost.depth,
          nonScalarMultiplications: comp.cost.nonScalarMultiplications,
          maxError: comp.reluError,
          components,
        });
        return;
      }
      printText(
        table([
          ["alpha", alpha],
          ["degrees (p_1 first)", comp.degrees.join(", ")],
          ["depth (sign composite)", comp.cost.depth],
          ["non-scalar multiplications", comp.cost.nonScalarMultiplications],
          ["non-scalar multiplications, Lee et al. count (DP ranking)", comp.publishedCost.nonScalarMultiplications],
          ["epsilon", `2^${Math.log2(comp.epsilon).toFixed(3)}`],
          ["sign error bound on eps<=|x|<=1", `${fmt(comp.signError)} (2^${Math.log2(comp.signError).toFixed(3)})`],
          ["ReLU max error on [-1,1]", `${fmt(comp.reluError)} (2^${Math.log2(comp.reluError).toFixed(3)})`],
          ["seconds", seconds.toFixed(1)],
        ]),
      );
      comp.components.forEach((p, i) => printText(`p_${i + 1} (power basis, c0 first): ${components[i]!.map((c) => c.toPrecision(17)).join(" ")}`));
    });

  approx
    .command("fit")
    .description("the OLA fit: the degree-D polynomial on [A,B] minimising the distribution-weighted squared error to fn")
    .requiredOption("--fn <name>", `target function: ${FNS.join(", ")}`)
    .requiredOption("--degree <d>", "polynomial degree, an integer in [1, 63]")
    .requiredOption("--interval <a,b>", "fit interval A,B with A < B")
    .requiredOption("--samples <file|gaussian:mu,sigma>", "input distribution: a samples file (.f32 raw float32 LE, .json array, or text numbers) or gaussian:MU,SIGMA (the normal density)")
    .option("--floor-weight <w>", "mass of a uniform floor measure over the whole interval (>= 0)")
    .option("--max-abs <m>", "bound max |p| on the interval (> 0)")
    .option("--json", "print exactly one JSON document on stdout")
    .action((o: FitCliOptions) => {
      const fn = parseChoiceArg("--fn", o.fn, FNS);
      const degree = parseIntArg("--degree", o.degree, 1, 63);
      const interval = parseIntervalArg("--interval", o.interval);
      const floorWeight = o.floorWeight === undefined ? undefined : parseFloatArg("--floor-weight", o.floorWeight, 0, 1e6);
      const maxAbs = o.maxAbs === undefined ? undefined : parseFloatArg("--max-abs", o.maxAbs);
      if (maxAbs !== undefined && !(maxAbs > 0)) throw new UsageError(`--max-abs must be a number > 0, got '${o.maxAbs}'`);
      const distribution = parseSamplesArg(o.samples);
      const fit = wlsFit({ target: fn, degree, interval, distribution, floorWeight, maxAbs });
      const cost = compileChebyshev(fit.poly).cost;
      if (o.json) {
        printJson({
          fn,
          degree,
          interval,
          basis: "chebyshev",
          coefficients: Array.from(fit.poly.coeffs),
          weightedRmse: fit.weightedRmse,
          maxError: fit.maxError,
          depth: cost.depth,
          nonScalarMultiplications: cost.nonScalarMultiplications,
        });
        return;
      }
      printText(
        table([
          ["fn", fn],
          ["degree", degree],
          ["interval", `[${interval[0]}, ${interval[1]}]`],
          ["weighted RMSE", fmt(fit.weightedRmse)],
          ["max error on support", fmt(fit.maxError)],
          ["max |p| on interval", fmt(fit.maxAbsOnInterval)],
          ["mass inside interval", fmt(fit.massInInterval)],
          ["depth", cost.depth],
          ["non-scalar multiplications", cost.nonScalarMultiplications],
          ["scalar multiplications", cost.scalarMultiplications],
          ["additions", cost.additions],
        ]),
      );
      printText(`coefficients (Chebyshev on the interval, c0 first): ${Array.from(fit.poly.coeffs).map((c) => c.toPrecision(17)).join(" ")}`);
    });
}
