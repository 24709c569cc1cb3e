// `ola he ...`: the encrypted side (@ola/ckks-runtime). Subcommands here: params, poly, calibrate, security.
// Other modules add subcommands (he layer, he bootstrap) from their own files: in their register(program),
// call heCommand(program) to get this `he` command and add to it; list their module after this one in
// commands/index.ts.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { Command } from "commander";
import {
  calibrate,
  choosePrimeChain,
  estimateLweSecurity,
  maxLogQForSecurity,
  CkksSession,
  cpuSeconds,
  estimateProgramSeconds,
  evaluateProgram,
  getPreset,
  insecureAllowed,
  parameterSizes,
  parseCostTable,
  planProgram,
  precisionBits,
  presetNames,
  validateParameters,
  wasmHeapBytes,
  type CostTable,
  type LweSecret,
  type ParameterSet,
  type ValidatedParameters,
} from "@ola/ckks-runtime";
import { ChebyshevPoly, chebyshevInterpolant, compileChebyshev, gelu, relu, runProgram } from "@ola/poly";
import { parseChoiceArg, parseFloatArg, parseIntArg, parseIntervalArg } from "../args.js";
import { UsageError } from "../errors.js";
import { log, printJson, printText, table, writeFileAtomic } from "../output.js";
import { progressBar } from "../progress.js";

/** The `he` command (created on first use), for modules that add subcommands to it. */
export function heCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === "he");
  if (existing) return existing;
  return program.command("he").description("CKKS (node-seal) parameters, encrypted polynomial evaluation and cost calibration");
}

function presetArg(name: string): ValidatedParameters {
  let p: ParameterSet;
  try {
    p = getPreset(name);
  } catch {
    throw new UsageError(`--preset must be one of ${presetNames().join(", ")}, got '${name}'`);
  }
  return validateParameters(p);
}

/** Refuses insecure parameter sets unless --allow-insecure or OLA_ALLOW_INSECURE=1. */
function requireUsable(p: ValidatedParameters, allow: boolean | undefined): void {
  if (p.insecure && !(allow || insecureAllowed(false) || process.env.OLA_ALLOW_INSECURE === "1")) {
    throw new UsageError(
      `preset '${p.name}' is insecure (about ${p.securityBits} bits of security: log QP = ${p.logQP} for N = ${p.N}); ` +
        `it exists for tests. Pass --allow-insecure (or set OLA_ALLOW_INSECURE=1) to use it anyway`,
    );
  }
}

const MiB = 2 ** 20;

/** "60 + 19x40 + 60": bit sizes with runs collapsed. */
function bitsText(bits: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < bits.length; ) {
    let j = i;
    while (j < bits.length && bits[j] === bits[i]) j++;
    parts.push(j - i > 1 ? `${j - i}x${bits[i]}` : String(bits[i]));
    i = j;
  }
  return parts.join(" + ");
}

function paramsDoc(p: ValidatedParameters) {
  const chain = choosePrimeChain(p.coeffModulusBits, p.N, p.logScale);
  const sizes = parameterSizes(p.N, p.coeffModulusBits.length);
  // Working set for a polynomial evaluation: relinearisation key + one Galois key + ~16 live ciphertexts.
  const workingBytes = 2 * sizes.keySwitchingKeyBytes + 16 * sizes.ciphertextTopBytes;
  return {
    preset: p.name,
    N: p.N,
    slots: p.slots,
    logQP: p.logQP,
    securityBits: p.securityBits,
    secure128: p.secure128,
    insecure: Boolean(p.insecure),
    levels: p.levels,
    logScale: p.logScale,
    coeffModulusBits: p.coeffModulusBits,
    primes: chain.primes.map(String),
    topScale: chain.canonicalScales[p.levels],
    secret: p.secret,
    keySwitchingKeyBytes: sizes.keySwitchingKeyBytes,
    ciphertextTopBytes: sizes.ciphertextTopBytes,
    plaintextTopBytes: sizes.plaintextTopBytes,
    expectedWorkingSetBytes: workingBytes,
    description: p.description ?? "",
  };
}

interface ParamsOpts {
  preset?: string;
  json?: boolean;
  measure?: boolean;
  allowInsecure?: boolean;
}

interface PolyOpts {
  clock: string;
  preset: string;
  fn: string;
  degree: string;
  interval: string;
  odd?: boolean;
  seed: string;
  costs?: string;
  repeats: string;
  json?: boolean;
  allowInsecure?: boolean;
}

interface SecurityOpts {
  n: string;
  logq: string;
  hamming?: string;
  sigma: string;
  samples?: string;
  target?: string;
  json?: boolean;
}

interface CalibrateOpts {
  clock: string;
  preset: string;
  repeats: string;
  out?: string;
  json?: boolean;
  allowInsecure?: boolean;
  progress: boolean;
}


function uniformInputs(n: number, a: number, b: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = a + (b - a) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

async function openSession(p: ValidatedParameters, rotations: number[]): Promise<CkksSession> {
  const t0 = performance.now();
  log(`building the SEAL context for '${p.name}' (N = ${p.N}, ${p.coeffModulusBits.length} primes)${p.N >= 32768 ? "; this takes ~16 s at N = 2^15" : ""} ...`);
  const s = await CkksSession.create(p, { allowInsecure: true, rotations });
  log(`context and keys ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (wasm heap ${((wasmHeapBytes() ?? 0) / MiB).toFixed(0)} MiB)`);
  return s;
}

export function register(program: Command): void {
  const he = heCommand(program);

  he.command("params")
    .description("show a CKKS parameter set: N, primes, log QP, security estimate, levels, scale, key sizes, memory")
    .option("--preset <name>", `parameter set (${presetNames().join(", ")})`, "n15")
    .option("--measure", "build the SEAL context and keys and report the measured wasm heap")
    .option("--allow-insecure", "allow --measure on an insecure (test) preset")
    .option("--json", "print one JSON document on stdout")
    .action(async (o: ParamsOpts) => {
      const p = presetArg(o.preset ?? "n15");
      const doc: Record<string, unknown> = paramsDoc(p);
      if (p.insecure) log(`warning: preset '${p.name}' is insecure (about ${p.securityBits} bits); for tests only`);
      if (o.measure) {
        requireUsable(p, o.allowInsecure);
        const s = await openSession(p, [1]);
        try {
          doc.measuredHeapBytes = wasmHeapBytes();
          doc.measuredRssBytes = process.memoryUsage().rss;
        } finally {
          s.dispose();
        }
      }
      if (o.json) {
        printJson(doc);
        return;
      }
      const d = doc as ReturnType<typeof paramsDoc> & { measuredHeapBytes?: number; measuredRssBytes?: number };
      const rows: (string | number)[][] = [
        ["preset", d.preset],
        ["N", `${d.N} (${d.slots} slots)`],
        ["coefficient modulus", `${bitsText(d.coeffModulusBits)} bits (q0 first, special prime last)`],
        ["log QP", d.logQP],
        ["security", `${d.securityBits} bits estimated (HE standard, uniform ternary secret)${d.secure128 ? ", 128-bit bound met" : ", BELOW 128 bits: insecure"}`],
        ["levels", d.levels],
        ["scale", `2^${d.logScale} (exactly ${d.topScale})`],
        ["key-switching key", `${(d.keySwitchingKeyBytes / MiB).toFixed(1)} MiB each (relinearisation, every Galois key)`],
        ["ciphertext (top)", `${(d.ciphertextTopBytes / MiB).toFixed(2)} MiB`],
        ["expected working set", `${(d.expectedWorkingSetBytes / MiB).toFixed(0)} MiB + context (relin + 1 Galois key + 16 ciphertexts)`],
      ];
      if (d.measuredHeapBytes !== undefined) rows.push(["measured wasm heap", `${(d.measuredHeapBytes / MiB).toFixed(0)} MiB (context + relin key + 1 Galois key)`]);
      printText(table(rows));
    });

  he.command("poly")
    .description("encrypt random inputs, evaluate a Chebyshev fit of relu/gelu homomorphically, report precision, levels, time and the cost model's prediction")
    .requiredOption("--preset <name>", `parameter set (${presetNames().join(", ")})`)
    .requiredOption("--fn <name>", "relu or gelu")
    .requiredOption("--degree <d>", "polynomial degree (1..255)")
    .requiredOption("--interval <a,b>", "fit and input interval, e.g. -8,8")
    .option("--odd", "evaluate as an odd polynomial (needs a symmetric interval and an odd degree)")
    .option("--seed <n>", "seed of the random inputs", "1")
    .option("--costs <file>", "cost table from `ola he calibrate --out` (default: calibrate the levels used now)")
    .option("--repeats <n>", "repeats per primitive when calibrating on the fly", "3")
    .option("--clock <kind>", "wall (elapsed) or cpu (process CPU time: stable on a busy machine)", "wall")
    .option("--allow-insecure", "allow an insecure (test) preset")
    .option("--json", "print one JSON document on stdout")
    .action(async (o: PolyOpts) => {
      const p = presetArg(o.preset);
      const fnName = parseChoiceArg("--fn", o.fn, ["relu", "gelu"] as const);
      const degree = parseIntArg("--degree", o.degree, 1, 255);
      const [a, b] = parseIntervalArg("--interval", o.interval);
      const seed = parseIntArg("--seed", o.seed, 0, 2 ** 31 - 1);
      const repeats = parseIntArg("--repeats", o.repeats, 1, 100);
      const clock = parseChoiceArg("--clock", o.clock, ["wall", "cpu"] as const);
      requireUsable(p, o.allowInsecure);
      let table0: CostTable | undefined;
      if (o.costs) {
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(o.costs, "utf8"));
        } catch (e) {
          throw new UsageError(`--costs: cannot read '${o.costs}': ${e instanceof Error ? e.message : String(e)}`);
        }
        table0 = parseCostTable(raw, o.costs);
        if (table0.preset !== p.name || table0.N !== p.N) {
          throw new UsageError(`--costs: '${o.costs}' was measured for preset '${table0.preset}' (N = ${table0.N}), not '${p.name}'`);
        }
        const tableClock = table0.measured?.clock ?? "wall";
        if (tableClock !== clock) log(`warning: '${o.costs}' holds ${tableClock} times but --clock is ${clock}`);
      }
      const f = fnName === "relu" ? relu : gelu;
      let series = chebyshevInterpolant(f, degree, a, b);
      if (o.odd) {
        if (degree % 2 === 0) throw new UsageError(`--odd needs an odd --degree, got ${degree}`);
        if (a !== -b) throw new UsageError(`--odd needs a symmetric --interval (-B,B), got ${a},${b}`);
        // Odd part of the fit: relu/gelu are not odd, so this evaluates (f(x) - f(-x))/2 = x/2 (relu, gelu).
        series = new ChebyshevPoly(
          Array.from(series.coeffs, (c, k) => (k % 2 === 1 ? c : 0)),
          a,
          b,
        );
      }
      const prog = compileChebyshev(series, { odd: Boolean(o.odd) });
      if (prog.cost.depth > p.levels) {
        throw new UsageError(`degree ${degree} needs ${prog.cost.depth} levels; preset '${p.name}' has ${p.levels}`);
      }
      const s = await openSession(p, [1]);
      try {
        const ctx = s.ctx;
        const xs = uniformInputs(ctx.slots, a, b, seed);
        const ct = s.client.encrypt(xs);
        const startLevel = ct.level;
        let res;
        const c0 = cpuSeconds();
        try {
          res = evaluateProgram(s.evaluator, prog, ct);
        } finally {
          ct.dispose();
        }
        const cpu = cpuSeconds() - c0;
        const got = s.client.decrypt(res.result);
        res.result.dispose();
        const want = runProgram(prog, xs);
        const bits = precisionBits(got, want);
        // The fit's error against what it approximates: f, or f's odd part (f(x) - f(-x))/2 with --odd.
        const target = o.odd ? (x: number) => (f(x) - f(-x)) / 2 : f;
        let fitErr = 0;
        for (let i = 0; i < xs.length; i++) fitErr = Math.max(fitErr, Math.abs(want[i]! - target(xs[i]!)));
        const plan = planProgram(prog, startLevel, { canonicalScales: ctx.levels.map((l) => l.canonicalScale) });
        if (!table0) {
          const levels = [...plan.keys()];
          log(`calibrating ${levels.length} level(s) for the prediction (${repeats} repeats; pass --costs to reuse a table) ...`);
          table0 = calibrate(s.evaluator, s.client, { repeats, levels, clock });
        }
        const predicted = estimateProgramSeconds(prog, startLevel, table0, { canonicalScales: ctx.levels.map((l) => l.canonicalScale) });
        const doc = {
          preset: p.name,
          fn: fnName,
          degree,
          interval: [a, b],
          odd: Boolean(o.odd),
          slots: ctx.slots,
          precisionBits: bits,
          maxAbsError: 2 ** -bits,
          levelsUsed: res.report.levelsUsed,
          programDepth: prog.cost.depth,
          nonScalarMultiplications: res.report.nonScalarMultiplications,
          scalarMultiplications: res.report.scalarMultiplications,
          seconds: clock === "cpu" ? cpu : res.report.seconds,
          clock,
          wallSeconds: res.report.seconds,
          cpuSeconds: cpu,
          predictedSeconds: predicted,
          fitMaxAbsError: fitErr,
          costsSource: o.costs ?? "calibrated now",
        };
        if (o.json) printJson(doc);
        else
          printText(
            table([
              ["polynomial", `${fnName} degree ${degree} on [${a}, ${b}]${o.odd ? " (odd part)" : ""}, Chebyshev interpolant`],
              ["precision", `${bits.toFixed(2)} bits (max |encrypted - plaintext polynomial| = ${doc.maxAbsError.toExponential(3)} over ${ctx.slots} slots)`],
              ["levels used", `${doc.levelsUsed} (program depth ${prog.cost.depth})`],
              ["multiplications", `${doc.nonScalarMultiplications} ct x ct, ${doc.scalarMultiplications} scalar`],
              ["time", `${doc.seconds.toFixed(3)} s measured (${clock}), ${predicted.toFixed(3)} s predicted by the cost model`],
              ["fit error", `${fitErr.toExponential(3)} (plaintext polynomial vs ${o.odd ? `the odd part of ${fnName}` : fnName})`],
            ]),
          );
      } finally {
        s.dispose();
      }
    });

  he.command("calibrate")
    .description("measure every CKKS primitive at every level (median of repeats) into a cost table")
    .requiredOption("--preset <name>", `parameter set (${presetNames().join(", ")})`)
    .option("--repeats <n>", "timed repeats per primitive and level (median)", "5")
    .option("--clock <kind>", "wall (elapsed) or cpu (process CPU time: stable on a busy machine)", "wall")
    .option("--out <file>", "write the cost table (costs.json) atomically")
    .option("--allow-insecure", "allow an insecure (test) preset")
    .option("--json", "print the cost table as one JSON document on stdout")
    .option("--no-progress", "no progress bar on stderr")
    .action(async (o: CalibrateOpts) => {
      const p = presetArg(o.preset);
      const repeats = parseIntArg("--repeats", o.repeats, 1, 1000);
      const clock = parseChoiceArg("--clock", o.clock, ["wall", "cpu"] as const);
      requireUsable(p, o.allowInsecure);
      const s = await openSession(p, [1]);
      let costTable: CostTable;
      const bar = progressBar(`calibrate ${p.name}`, p.levels + 1, o.progress);
      try {
        costTable = calibrate(s.evaluator, s.client, { repeats, clock, onProgress: (done, total, level) => bar.update(done, total, `level ${level}`) });
      } finally {
        bar.stop();
        s.dispose();
      }
      if (o.out) {
        writeFileAtomic(o.out, JSON.stringify(costTable, null, 2) + "\n");
        log(`wrote ${o.out}`);
      }
      if (o.json) {
        printJson(costTable);
        return;
      }
      const ms = (x: number | undefined) => (x === undefined ? "-" : (x * 1000).toFixed(3));
      printText(
        table([
          ["level", "primes", "mulRelin ms", "rescale ms", "mulPlain ms", "mulConst ms", "add ms", "rotate ms", "modSwitch ms"],
          ...costTable.levels.map((r) => [r.level, r.primes, ms(r.seconds.mulRelin), ms(r.seconds.rescale), ms(r.seconds.mulPlain), ms(r.seconds.mulConst), ms(r.seconds.add), ms(r.seconds.rotate), ms(r.seconds.modSwitch)]),
        ]),
      );
    });

  he.command("security")
    .description(
      "estimate the classical security (log2 cost) of RLWE with a uniform or sparse ternary secret: primal uSVP and dual " +
        "with secret scaling, guess-and-drop for sparse secrets, MitM key search, HE-standard BKZ.sieve cost model (not modelled: hybrid MitM, MATZOV dual)",
    )
    .requiredOption("--n <n>", "secret dimension = ring degree N (e.g. 32768)")
    .requiredOption("--logq <bits>", "log2 of the modulus the samples live under (for a key-switching key: log2(q·P))")
    .option("--hamming <h>", "Hamming weight of a sparse ternary secret (default: uniform ternary secret)")
    .option("--sigma <s>", "error standard deviation", "3.19")
    .option("--samples <m>", "LWE samples available to the attacker (default n: one RLWE sample)")
    .option("--target <bits>", "also report the largest log2 q that still estimates at >= this many bits")
    .option("--json", "print one JSON document on stdout")
    .action((o: SecurityOpts) => {
      const n = parseIntArg("--n", o.n, 80, 1 << 20);
      const logQ = parseFloatArg("--logq", o.logq, 2, 10_000);
      const sigma = parseFloatArg("--sigma", o.sigma, 1e-3, 1e6);
      if (Math.log2(sigma) >= logQ - 1) throw new UsageError(`--sigma ${sigma} must be below q/2 = 2^${logQ - 1}`);
      const secret: LweSecret =
        o.hamming === undefined ? { kind: "uniform-ternary" } : { kind: "sparse-ternary", hammingWeight: parseIntArg("--hamming", o.hamming, 1, n) };
      const samples = o.samples === undefined ? undefined : parseIntArg("--samples", o.samples, 1, 1 << 22);
      const target = o.target === undefined ? undefined : parseFloatArg("--target", o.target, 1, 1000);
      const base = { n, sigma, secret, ...(samples === undefined ? {} : { samples }) };
      const e = estimateLweSecurity({ ...base, logQ });
      const maxLogQ = target === undefined ? undefined : maxLogQForSecurity(base, target, 0.1);
      if (o.json) {
        printJson({
          ...e,
          ...(target === undefined ? {} : { target, maxLogQ: Number.isNaN(maxLogQ) ? null : maxLogQ }),
          costModel: "0.292*beta + 16.4 + log2(8*d) (HE standard BKZ.sieve); coreSvpBits = 0.292*beta",
        });
        return;
      }
      const secretText = secret.kind === "uniform-ternary" ? "uniform ternary" : `sparse ternary, h = ${secret.hammingWeight}`;
      printText(
        table([
          ["instance", `n = ${n}, log2 q = ${logQ}, sigma = ${sigma}, secret ${secretText} (std ${e.secretStddev.toPrecision(4)}), samples <= ${samples ?? n}`],
          ["security", `${e.bits.toFixed(1)} bits (HE standard BKZ.sieve model), ${e.coreSvpBits.toFixed(1)} bits core-SVP`],
          ["best attack", `${e.attack}: beta = ${e.beta}, d = ${e.dimension}, m = ${e.samples}${e.dropped ? `, dropped k = ${e.dropped} (log2 p = ${e.log2SuccessProbability.toFixed(1)})` : ""}`],
          ...(target === undefined
            ? []
            : [["max log2 q", maxLogQ === undefined || Number.isNaN(maxLogQ) ? `none reaches ${target} bits` : `${maxLogQ.toFixed(1)} for >= ${target} bits (same n, sigma, secret)`]]),
        ]) +
          "\n\n" +
          table([
            ["attack", "bits", "core-SVP", "beta", "d", "m", "dropped", "log2 p"],
            ...e.attacks.map((a) => [a.attack, a.bits.toFixed(1), a.coreSvpBits.toFixed(1), a.beta, a.dimension, a.samples, a.dropped, a.log2SuccessProbability.toFixed(1)]),
          ]) +
          "\nnot modelled: hybrid lattice + meet-in-the-middle, MATZOV/Guo-Johansson dual, quantum sieving (sparse secrets may be weaker than shown)",
      );
    });
}
