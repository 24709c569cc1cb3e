// Multi-node patterns the importer recognises as single operations:
//  * GELU as PyTorch exports it (Hendrycks & Gimpel 2016, eq. for exact GELU): y = x * 0.5 * (1 + erf(x / sqrt(2))),
//    in the three association orders exporters produce: ((x*(1+erf))*0.5), ((x*0.5)*(1+erf)), (x*((1+erf)*0.5)).
//    x / sqrt(2) may also appear as x * (1/sqrt(2)).
//  * LayerNormalization decomposed (pre-opset-17 exports, Ba et al. 2016):
//    m = ReduceMean(x); d = x - m; v = ReduceMean(d^2); y = d / sqrt(v + eps)  (affine Mul/Add after it are ordinary ops).
import type { Graph, GraphNode } from "./graph.js";
import { consumers, elementCount, producers, tensorNumbers } from "./graph.js";

export interface GeluPattern {
  /** Input tensor x. */
  input: string;
  /** Output tensor y. */
  output: string;
  /** The node producing y (the site's node). */
  last: GraphNode;
  /** All compute nodes of the pattern (Div/Mul, Erf, Add, Mul, Mul), in graph order. */
  nodes: GraphNode[];
}

export interface LayerNormPattern {
  input: string;
  output: string;
  last: GraphNode;
  nodes: GraphNode[];
}

function scalarConstant(graph: Graph, name: string): number | undefined {
  const t = graph.constants.get(name);
  if (!t || elementCount(t.dims) !== 1) return undefined;
  return tensorNumbers(t)[0];
}

const near = (v: number | undefined, target: number, rel = 1e-3) => v !== undefined && Math.abs(v - target) <= rel * Math.abs(target);

/** For a binary node with one scalar-constant operand: [other input, constant value], else undefined. */
function splitConst(graph: Graph, n: GraphNode): [string, number] | undefined {
  const c1 = scalarConstant(graph, n.inputs[1]!);
  if (c1 !== undefined) return [n.inputs[0]!, c1];
  const c0 = scalarConstant(graph, n.inputs[0]!);
  if (c0 !== undefined && n.opType !== "Div" && n.opType !== "Sub") return [n.inputs[1]!, c0];
  return undefined;
}

function otherInput(n: GraphNode, t: string): string | undefined {
  if (n.inputs.length !== 2) return undefined;
  if (n.inputs[0] === t) return n.inputs[1];
  if (n.inputs[1] === t) return n.inputs[0];
  return undefined;
}

export function findGeluPatterns(graph: Graph): GeluPattern[] {
  const prod = producers(graph);
  const cons = consumers(graph);
  const order = new Map(graph.nodes.map((n, i) => [n, i]));
  const out: GeluPattern[] = [];
  for (const erf of graph.nodes) {
    if (erf.opType !== "Erf") continue;
    const scaleNode = prod.get(erf.inputs[0]!);
    if (!scaleNode) continue;
    let x: string | undefined;
    const sc = splitConst(graph, scaleNode);
    if (scaleNode.opType === "Div" && sc && near(sc[1], Math.SQRT2)) x = sc[0];
    else if (scaleNode.opType === "Mul" && sc && near(sc[1], Math.SQRT1_2)) x = sc[0];
    if (!x) continue;
    const onePlus = (cons.get(erf.outputs[0]!) ?? []).find((n) => n.opType === "Add" && near(splitConst(graph, n)?.[1], 1));
    if (!onePlus) continue;
    const a = onePlus.outputs[0]!;
    let match: { last: GraphNode; extra: GraphNode[] } | undefined;
    for (const m1 of cons.get(a) ?? []) {
      if (m1.opType !== "Mul") continue;
      const o = otherInput(m1, a);
      if (o === undefined) continue;
      if (o === x) {
        // ((x * (1+erf)) * 0.5)
        const half = (cons.get(m1.outputs[0]!) ?? []).find((n) => n.opType === "Mul" && near(splitConst(graph, n)?.[1], 0.5));
        if (half) match = { last: half, extra: [m1] };
      } else {
        const p = prod.get(o);
        const pc = p && p.opType === "Mul" ? splitConst(graph, p) : undefined;
        if (pc && pc[0] === x && near(pc[1], 0.5)) {
          // ((x * 0.5) * (1+erf))
          match = { last: m1, extra: [p!] };
        } else if (near(scalarConstant(graph, o), 0.5)) {
          // x * ((1+erf) * 0.5)
          const fin = (cons.get(m1.outputs[0]!) ?? []).find((n) => n.opType === "Mul" && otherInput(n, m1.outputs[0]!) === x);
          if (fin) match = { last: fin, extra: [m1] };
        }
      }
      if (match) break;
    }
    if (!match) continue;
    const nodes = [scaleNode, erf, onePlus, ...match.extra, match.last].sort((p, q) => order.get(p)! - order.get(q)!);
    out.push({ input: x, output: match.last.outputs[0]!, last: match.last, nodes });
  }
  return out;
}

export function findLayerNormPatterns(graph: Graph): LayerNormPattern[] {
  const prod = producers(graph);
  const cons = consumers(graph);
  const order = new Map(graph.nodes.map((n, i) => [n, i]));
  const out: LayerNormPattern[] = [];
  for (const sqrt of graph.nodes) {
    if (sqrt.opType !== "Sqrt") continue;
    let addEps = prod.get(sqrt.inputs[0]!);
    let variance: GraphNode | undefined;
    if (addEps?.opType === "Add" && splitConst(graph, addEps)) variance = prod.get(splitConst(graph, addEps)![0]);
    else {
      variance = addEps;
      addEps = undefined;
    }
    if (variance?.opType !== "ReduceMean") continue;
    const pow = prod.get(variance.inputs[0]!);
    if (!pow) continue;
    let centred: string | undefined;
    if (pow.opType === "Pow" && near(scalarConstant(graph, pow.inputs[1]!), 2)) centred = pow.inputs[0];
    else if (pow.opType === "Mul" && pow.inputs[0] === pow.inputs[1]) centred = pow.inputs[0];
    if (!centred) continue;
    const sub = prod.get(centred);
    if (sub?.opType !== "Sub") continue;
    const mean = prod.get(sub.inputs[1]!);
    if (mean?.opType !== "ReduceMean" || mean.inputs[0] !== sub.inputs[0]) continue;
    const div = (cons.get(sqrt.outputs[0]!) ?? []).find((n) => n.opType === "Div" && n.inputs[0] === centred && n.inputs[1] === sqrt.outputs[0]);
    if (!div) continue;
    const nodes = [mean, sub, pow, variance, ...(addEps ? [addEps] : []), sqrt, div].sort((p, q) => order.get(p)! - order.get(q)!);
    out.push({ input: sub.inputs[0]!, output: div.outputs[0]!, last: div, nodes });
  }
  return out;
}
