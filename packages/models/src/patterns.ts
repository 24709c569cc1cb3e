// Multi-node patterns the importer recognises as single operations:
//  * GELU as PyTorch exports it (Hendrycks & Gimpel 2016, eq. for exact GELU): y = x * 0.5 * (1 + erf(x / sqrt(2))),
//    in the three association orders exporters produce: ((x*(1+erf))*0.5), ((x*0.5)*(1+erf)), (x*((1+erf)*0.5)).
//    x / sqrt(2) may also appear as x * (1/sqrt(2)). The tanh form is findTanhGeluPatterns.
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
    const match = matchGeluTail(graph, prod, cons, x, onePlus);
    if (!match) continue;
    const nodes = [scaleNode, erf, onePlus, ...match.extra, match.last].sort((p, q) => order.get(p)! - order.get(q)!);
    out.push({ input: x, output: match.last.outputs[0]!, last: match.last, nodes });
  }
  return out;
}

/** The x * 0.5 * (1 + g) tail shared by both GELU forms, given the node computing 1 + g. */
function matchGeluTail(
  graph: Graph,
  prod: Map<string, GraphNode>,
  cons: Map<string, GraphNode[]>,
  x: string,
  onePlus: GraphNode,
): { last: GraphNode; extra: GraphNode[] } | undefined {
  const a = onePlus.outputs[0]!;
  for (const m1 of cons.get(a) ?? []) {
    if (m1.opType !== "Mul") continue;
    const o = otherInput(m1, a);
    if (o === undefined) continue;
    if (o === x) {
      // ((x * (1+g)) * 0.5)
      const half = (cons.get(m1.outputs[0]!) ?? []).find((n) => n.opType === "Mul" && near(splitConst(graph, n)?.[1], 0.5));
      if (half) return { last: half, extra: [m1] };
    } else {
      const p = prod.get(o);
      const pc = p && p.opType === "Mul" ? splitConst(graph, p) : undefined;
      if (pc && pc[0] === x && near(pc[1], 0.5)) return { last: m1, extra: [p!] }; // ((x * 0.5) * (1+g))
      if (near(scalarConstant(graph, o), 0.5)) {
        // x * ((1+g) * 0.5)
        const fin = (cons.get(m1.outputs[0]!) ?? []).find((n) => n.opType === "Mul" && otherInput(n, m1.outputs[0]!) === x);
        if (fin) return { last: fin, extra: [m1] };
      }
    }
  }
  return undefined;
}

/**
 * GELU in its tanh form (Hendrycks & Gimpel 2016, section 2): x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))),
 * as exported for torch's approximate="tanh" below opset 20; x^3 as Pow(x, 3) or Mul(Mul(x, x), x).
 */
export function findTanhGeluPatterns(graph: Graph): GeluPattern[] {
  const prod = producers(graph);
  const cons = consumers(graph);
  const order = new Map(graph.nodes.map((n, i) => [n, i]));
  const out: GeluPattern[] = [];
  for (const tanh of graph.nodes) {
    if (tanh.opType !== "Tanh") continue;
    const scale = prod.get(tanh.inputs[0]!);
    const sc = scale?.opType === "Mul" ? splitConst(graph, scale) : undefined;
    if (!sc || !near(sc[1], Math.sqrt(2 / Math.PI))) continue;
    const sum = prod.get(sc[0]);
    if (sum?.opType !== "Add" || sum.inputs.length !== 2) continue;
    // One addend is x, the other 0.044715 * x^3.
    let found: { x: string; cubicNodes: GraphNode[] } | undefined;
    for (const [xi, ci] of [[0, 1], [1, 0]] as const) {
      const x = sum.inputs[xi]!;
      const mc = prod.get(sum.inputs[ci]!);
      const mcs = mc?.opType === "Mul" ? splitConst(graph, mc) : undefined;
      if (!mcs || !near(mcs[1], 0.044715)) continue;
      const cube = prod.get(mcs[0]);
      if (cube?.opType === "Pow" && cube.inputs[0] === x && near(scalarConstant(graph, cube.inputs[1]!), 3)) {
        found = { x, cubicNodes: [mc!, cube] };
      } else if (cube?.opType === "Mul") {
        const sq = prod.get(cube.inputs[0]!) ?? prod.get(cube.inputs[1]!);
        const other = otherInput(cube, sq?.outputs[0] ?? "");
        if (sq?.opType === "Mul" && sq.inputs[0] === x && sq.inputs[1] === x && other === x) found = { x, cubicNodes: [mc!, cube, sq] };
      }
      if (found) break;
    }
    if (!found) continue;
    const onePlus = (cons.get(tanh.outputs[0]!) ?? []).find((n) => n.opType === "Add" && near(splitConst(graph, n)?.[1], 1));
    if (!onePlus) continue;
    const match = matchGeluTail(graph, prod, cons, found.x, onePlus);
    if (!match) continue;
    const nodes = [...found.cubicNodes, sum, scale!, tanh, onePlus, ...match.extra, match.last].sort((p, q) => order.get(p)! - order.get(q)!);
    out.push({ input: found.x, output: match.last.outputs[0]!, last: match.last, nodes });
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
