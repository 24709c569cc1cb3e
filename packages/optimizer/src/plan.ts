// The plan format (INTERFACES §3): which polynomial replaces each activation site. Public,
// versioned JSON, documented in this package's README. Validation is hand-written so that every
// error names the offending field by its JSON path (e.g. `sites[3].coefficients[2]`).
import { mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";

export const PLAN_VERSION = 1 as const;

/** Cost of evaluating a site's polynomial (mirrors @ola/poly's PolyCost). */
export interface PlanPolyCost {
  depth: number;
  nonScalarMultiplications: number;
  scalarMultiplications: number;
  additions: number;
}

interface PlanSiteCommon {
  id: string;
  kind: "relu" | "gelu";
  /** Multiplicative depth (levels) the site's polynomial program consumes. */
  depth: number;
  /** Optional: the full cost of the compiled program. */
  cost?: PlanPolyCost;
  /** Optional: measured single-site impact (mean KL divergence of the softmax, nats). */
  impact?: number;
  /** Optional: predicted encrypted seconds of this site's polynomial under the plan's cost model. */
  seconds?: number;
}

/** p(x) = sum_k c_k T_k((2x - a - b)/(b - a)) on [a, b]. */
export interface ChebyshevPlanSite extends PlanSiteCommon {
  interval: [number, number];
  basis: "chebyshev";
  coefficients: number[];
  degree: number;
}

/**
 * Composite ReLU: ReLU(x) ~ x(1 + p(x/B))/2 with p = p_k o ... o p_1 approximating sgn on [-1,1]
 * (Lee et al.); components in the power basis, c0 first.
 */
export interface CompositePlanSite extends PlanSiteCommon {
  composite: { alpha: number; B: number; components: number[][] };
}

export type PlanSite = ChebyshevPlanSite | CompositePlanSite;

export interface PlanPredicted {
  /** Sum of the chosen candidates' single-site impacts (additivity assumption). */
  impact: number;
  /** Predicted encrypted seconds of the activations and bootstraps (see README: cost model). */
  timeSeconds: number;
  bootstraps: number;
  /** Which cost model produced timeSeconds. */
  costModel?: string;
}

export interface PlanValidated {
  /** top-1 accuracy (percent) of the plan, per dataset name. */
  top1: Record<string, number>;
  /** top-1 accuracy (percent) of the exact model, per dataset name. */
  baselineTop1: Record<string, number>;
  /** images evaluated, per dataset name. */
  images: Record<string, number>;
  /** per dataset, per site id: number of input values outside the site's interval. */
  outOfRange?: Record<string, Record<string, number>>;
}

export interface Plan {
  version: typeof PLAN_VERSION;
  model: { name: string; sha256: string };
  sites: PlanSite[];
  predicted?: PlanPredicted;
  validated?: PlanValidated;
}

export function isChebyshevSite(s: PlanSite): s is ChebyshevPlanSite {
  return (s as ChebyshevPlanSite).basis === "chebyshev";
}

/** A plan that fails validation; `path` is the JSON path of the offending field. */
export class PlanFormatError extends Error {
  constructor(
    readonly source: string,
    readonly path: string,
    detail: string,
  ) {
    super(`invalid plan ${source}: ${path}: ${detail}`);
    this.name = "PlanFormatError";
  }
}

type Obj = Record<string, unknown>;

class Checker {
  constructor(readonly source: string) {}
  fail(path: string, detail: string): never {
    throw new PlanFormatError(this.source, path, detail);
  }
  obj(v: unknown, path: string): Obj {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, `expected an object, got ${describe(v)}`);
    return v as Obj;
  }
  num(v: unknown, path: string): number {
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(path, `expected a finite number, got ${describe(v)}`);
    return v;
  }
  int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const n = this.num(v, path);
    if (!Number.isInteger(n) || n < min || n > max) this.fail(path, `expected an integer in [${min}, ${max}], got ${n}`);
    return n;
  }
  str(v: unknown, path: string): string {
    if (typeof v !== "string" || v.length === 0) this.fail(path, `expected a non-empty string, got ${describe(v)}`);
    return v;
  }
  numArray(v: unknown, path: string, minLength = 0): number[] {
    if (!Array.isArray(v)) this.fail(path, `expected an array of numbers, got ${describe(v)}`);
    if (v.length < minLength) this.fail(path, `expected at least ${minLength} entries, got ${v.length}`);
    return v.map((x, i) => this.num(x, `${path}[${i}]`));
  }
  numRecord(v: unknown, path: string): Record<string, number> {
    const o = this.obj(v, path);
    const out: Record<string, number> = {};
    for (const [k, x] of Object.entries(o)) out[k] = this.num(x, `${path}.${k}`);
    return out;
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "number") return String(v);
  return typeof v;
}

function checkCost(c: Checker, v: unknown, path: string): PlanPolyCost {
  const o = c.obj(v, path);
  return {
    depth: c.int(o.depth, `${path}.depth`, 0),
    nonScalarMultiplications: c.int(o.nonScalarMultiplications, `${path}.nonScalarMultiplications`, 0),
    scalarMultiplications: c.int(o.scalarMultiplications, `${path}.scalarMultiplications`, 0),
    additions: c.int(o.additions, `${path}.additions`, 0),
  };
}

function checkSite(c: Checker, v: unknown, path: string): PlanSite {
  const o = c.obj(v, path);
  const id = c.str(o.id, `${path}.id`);
  if (o.kind !== "relu" && o.kind !== "gelu") c.fail(`${path}.kind`, `expected "relu" or "gelu", got ${describe(o.kind)}`);
  const common: PlanSiteCommon = { id, kind: o.kind, depth: c.int(o.depth, `${path}.depth`, 0, 1000) };
  if (o.cost !== undefined) common.cost = checkCost(c, o.cost, `${path}.cost`);
  if (o.impact !== undefined) common.impact = c.num(o.impact, `${path}.impact`);
  if (o.seconds !== undefined) common.seconds = c.num(o.seconds, `${path}.seconds`);
  if (common.cost && common.cost.depth !== common.depth) {
    c.fail(`${path}.depth`, `is ${common.depth} but ${path}.cost.depth is ${common.cost.depth}`);
  }
  const hasCheb = o.basis !== undefined || o.coefficients !== undefined || o.interval !== undefined;
  const hasComposite = o.composite !== undefined;
  if (hasCheb && hasComposite) c.fail(path, "has both chebyshev fields (basis/interval/coefficients) and composite; pick one");
  if (hasComposite) {
    if (common.kind !== "relu") c.fail(`${path}.composite`, `a composite approximates ReLU only, but kind is "${common.kind}"`);
    const co = c.obj(o.composite, `${path}.composite`);
    const alpha = c.int(co.alpha, `${path}.composite.alpha`, 1, 64);
    const B = c.num(co.B, `${path}.composite.B`);
    if (!(B > 0)) c.fail(`${path}.composite.B`, `must be > 0, got ${B}`);
    if (!Array.isArray(co.components) || co.components.length === 0) {
      c.fail(`${path}.composite.components`, `expected a non-empty array of power-basis coefficient arrays, got ${describe(co.components)}`);
    }
    const components = (co.components as unknown[]).map((comp, k) => c.numArray(comp, `${path}.composite.components[${k}]`, 2));
    return { ...common, composite: { alpha, B, components } };
  }
  if (o.basis !== "chebyshev") c.fail(`${path}.basis`, `expected "chebyshev" (or a composite site), got ${describe(o.basis)}`);
  const interval = c.numArray(o.interval, `${path}.interval`);
  if (interval.length !== 2 || !(interval[0]! < interval[1]!)) {
    c.fail(`${path}.interval`, `expected [a, b] with a < b, got ${JSON.stringify(o.interval)}`);
  }
  const coefficients = c.numArray(o.coefficients, `${path}.coefficients`, 1);
  const degree = c.int(o.degree, `${path}.degree`, 0, 4096);
  if (coefficients.length !== degree + 1) {
    c.fail(`${path}.coefficients`, `has ${coefficients.length} entries but degree is ${degree} (expected ${degree + 1})`);
  }
  return { ...common, interval: [interval[0]!, interval[1]!], basis: "chebyshev", coefficients, degree };
}

/** Validate a parsed JSON value as a Plan. `source` (a file name) appears in error messages. */
export function validatePlan(value: unknown, source = "<plan>"): Plan {
  const c = new Checker(source);
  const o = c.obj(value, "$");
  if (o.version !== PLAN_VERSION) {
    c.fail("version", `unsupported plan version ${describe(o.version)}; this build reads version ${PLAN_VERSION}`);
  }
  const m = c.obj(o.model, "model");
  const model = { name: c.str(m.name, "model.name"), sha256: c.str(m.sha256, "model.sha256") };
  if (!/^[0-9a-f]{64}$/.test(model.sha256)) c.fail("model.sha256", `expected 64 lowercase hex digits, got ${describe(model.sha256)}`);
  if (!Array.isArray(o.sites) || o.sites.length === 0) c.fail("sites", `expected a non-empty array, got ${describe(o.sites)}`);
  const sites = (o.sites as unknown[]).map((s, i) => checkSite(c, s, `sites[${i}]`));
  const seen = new Set<string>();
  sites.forEach((s, i) => {
    if (seen.has(s.id)) c.fail(`sites[${i}].id`, `duplicate site id "${s.id}"`);
    seen.add(s.id);
  });
  const plan: Plan = { version: PLAN_VERSION, model, sites };
  if (o.predicted !== undefined) {
    const p = c.obj(o.predicted, "predicted");
    plan.predicted = {
      impact: c.num(p.impact, "predicted.impact"),
      timeSeconds: c.num(p.timeSeconds, "predicted.timeSeconds"),
      bootstraps: c.int(p.bootstraps, "predicted.bootstraps", 0),
    };
    if (p.costModel !== undefined) plan.predicted.costModel = c.str(p.costModel, "predicted.costModel");
  }
  if (o.validated !== undefined) {
    const v = c.obj(o.validated, "validated");
    plan.validated = {
      top1: c.numRecord(v.top1, "validated.top1"),
      baselineTop1: c.numRecord(v.baselineTop1, "validated.baselineTop1"),
      images: c.numRecord(v.images, "validated.images"),
    };
    if (v.outOfRange !== undefined) {
      const oor = c.obj(v.outOfRange, "validated.outOfRange");
      plan.validated.outOfRange = {};
      for (const [k, x] of Object.entries(oor)) plan.validated.outOfRange[k] = c.numRecord(x, `validated.outOfRange.${k}`);
    }
  }
  return plan;
}

/** Parse and validate plan JSON text. */
export function parsePlan(text: string, source = "<plan>"): Plan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PlanFormatError(source, "$", `not valid JSON (${(e as Error).message})`);
  }
  return validatePlan(value, source);
}

/** Read and validate a plan file. */
export function readPlan(path: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read plan file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parsePlan(text, path);
}

export function serializePlan(plan: Plan): string {
  // Validate before writing so that a plan on disk always reads back.
  validatePlan(JSON.parse(JSON.stringify(plan)), "<plan being written>");
  return JSON.stringify(plan, null, 2) + "\n";
}

/** Write a plan atomically (temp file + rename). */
export function writePlan(path: string, plan: Plan): void {
  const text = serializePlan(plan);
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, abs);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
