// replaceActivations: each chosen activation site (ReLU, GELU op or GELU erf pattern) is replaced by the ONNX
// nodes of a PolyProgram: one Mul/Add/Sub node per arithmetic step with float32 scalar initializers, in exactly
// the program's order, so plaintext simulation performs the arithmetic the CKKS evaluator performs.
import { findActivationSites, type ActivationSite } from "../activation-sites.js";
import { TransformError } from "../errors.js";
import { graphFromModel } from "../import.js";
import { decodeModel, encodeModel, floatTensorProto, onnx, type NodeProto } from "../onnx-io.js";
import { validatePolyProgram, type PolyProgram } from "../poly-program.js";
import { nodeIndexProducing, removeDeadNodes } from "./graph-edit.js";

export interface ActivationReplacement {
  /** Site id from findActivationSites (or give outputTensor). */
  siteId?: string;
  outputTensor?: string;
  /** Program whose input register 0 is the site's input tensor. */
  program: PolyProgram;
}

function siteFor(sites: ActivationSite[], r: ActivationReplacement, k: number): ActivationSite {
  const s = r.siteId !== undefined ? sites.find((x) => x.id === r.siteId) : sites.find((x) => x.outputTensor === r.outputTensor);
  if (!s) {
    const key = r.siteId !== undefined ? `site id '${r.siteId}'` : `output tensor '${r.outputTensor}'`;
    throw new TransformError(
      `replaceActivations: replacement ${k}: no activation site with ${key}; the model's sites are ${sites.map((x) => x.id).join(", ") || "(none)"}`,
    );
  }
  return s;
}

/** ONNX nodes computing `program` from `input` into `output`; constants are pushed to `inits`. */
export function programNodes(
  program: PolyProgram,
  input: string,
  output: string,
  prefix: string,
  inits: ReturnType<typeof floatTensorProto>[],
): NodeProto[] {
  const nodes: NodeProto[] = [];
  const regName = (r: number) => (r === program.output ? output : r === 0 ? input : `${prefix}/r${r}`);
  // Only ops the output depends on are emitted (dead ops cannot change the result).
  const live = new Set<number>([program.output]);
  for (let i = program.ops.length - 1; i >= 0; i--) {
    if (!live.has(i + 1)) continue;
    const o = program.ops[i]!;
    if (o.op === "linear") o.terms.forEach(([r]) => live.add(r));
    else {
      live.add(o.a);
      if (o.op === "mul" || o.op === "add" || o.op === "sub") live.add(o.b);
    }
  }
  let constCount = 0;
  const constant = (v: number) => {
    const name = `${prefix}/c${constCount++}`;
    inits.push(floatTensorProto(name, [], [v]));
    return name;
  };
  let tmpCount = 0;
  const node = (opType: string, inputs: string[], out: string) => {
    nodes.push(onnx.NodeProto.create({ name: `${prefix}/${opType}_${nodes.length}`, opType, input: inputs, output: [out] }));
    return out;
  };
  if (program.output === 0) {
    node("Identity", [input], output);
    return nodes;
  }
  program.ops.forEach((o, i) => {
    const r = i + 1;
    if (!live.has(r)) return;
    const out = regName(r);
    switch (o.op) {
      case "mul":
        node("Mul", [regName(o.a), regName(o.b)], out);
        break;
      case "add":
        node("Add", [regName(o.a), regName(o.b)], out);
        break;
      case "sub":
        node("Sub", [regName(o.a), regName(o.b)], out);
        break;
      case "mulConst":
        node("Mul", [regName(o.a), constant(o.c)], out);
        break;
      case "mulInt":
        node("Mul", [regName(o.a), constant(o.k)], out);
        break;
      case "addConst":
        node("Add", [regName(o.a), constant(o.c)], out);
        break;
      case "linear": {
        // sum_j c_j * r_j + c, accumulated left to right. A coefficient of 1 needs no multiplication and -1 becomes
        // a subtraction: both are exact in IEEE arithmetic, so the value is the same as with the multiplications.
        const steps = o.terms.length - 1 + (o.c !== 0 ? 1 : 0);
        let done = 0;
        const dest = () => (++done === steps ? out : `${prefix}/t${tmpCount++}`);
        const [r0, c0] = o.terms[0]!;
        let acc = c0 === 1 ? regName(r0) : node("Mul", [regName(r0), constant(c0)], steps === 0 ? out : `${prefix}/t${tmpCount++}`);
        if (steps === 0) {
          if (c0 === 1) node("Identity", [acc], out);
          break;
        }
        for (let j = 1; j < o.terms.length; j++) {
          const [r, c] = o.terms[j]!;
          if (c === 1) acc = node("Add", [acc, regName(r)], dest());
          else if (c === -1) acc = node("Sub", [acc, regName(r)], dest());
          else acc = node("Add", [acc, node("Mul", [regName(r), constant(c)], `${prefix}/t${tmpCount++}`)], dest());
        }
        if (o.c !== 0) node("Add", [acc, constant(o.c)], dest());
        break;
      }
    }
  });
  return nodes;
}

export function replaceActivations(modelBytes: Uint8Array, replacements: readonly ActivationReplacement[]): Uint8Array {
  const model = decodeModel(modelBytes);
  const graph = graphFromModel(model);
  const sites = findActivationSites(graph);
  const chosen = new Map<string, { site: ActivationSite; program: PolyProgram }>();
  replacements.forEach((r, k) => {
    const site = siteFor(sites, r, k);
    validatePolyProgram(r.program, `replaceActivations: program for site ${site.id}`);
    if (chosen.has(site.id)) throw new TransformError(`replaceActivations: site ${site.id} is replaced twice`);
    chosen.set(site.id, { site, program: r.program });
  });
  const g = model.graph!;
  for (const { site, program } of chosen.values()) {
    const idx = nodeIndexProducing(model, site.outputTensor);
    if (idx < 0) throw new TransformError(`replaceActivations: no node produces ${site.outputTensor} (site ${site.id})`);
    const inits: ReturnType<typeof floatTensorProto>[] = [];
    const nodes = programNodes(program, site.inputTensor, site.outputTensor, `ola_poly/${site.id}`, inits);
    g.node!.splice(idx, 1, ...nodes);
    g.initializer!.push(...inits);
  }
  // The rest of an erf pattern (Div, Erf, Add, ...) is now unread: drop it.
  removeDeadNodes(model);
  return encodeModel(model);
}
