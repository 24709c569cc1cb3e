// Activation sites: every non-polynomial activation (ReLU, GELU op, GELU erf and tanh patterns) in topological order.
// Ids `${index}:${nodeName}` are stable across runs (they depend only on the graph) and readable.
import type { Graph } from "./graph.js";
import { findGeluPatterns, findTanhGeluPatterns } from "./patterns.js";

export type ActivationKind = "relu" | "gelu";

export interface ActivationSite {
  /** `${index}:${nodeName}`, index zero-padded (at least 2 digits) in topological order. */
  id: string;
  kind: ActivationKind;
  /** Name of the Relu/Gelu node, or of the last node of the GELU erf pattern. */
  node: string;
  /** Tensor feeding the activation (what profiling observes). */
  inputTensor: string;
  /** Tensor the activation produces (what a replacement must produce). */
  outputTensor: string;
  /** Static shape of the input with batch dim -1. */
  shape: number[];
  /** Additive to INTERFACES.md: every node of the activation (one for Relu/Gelu, five or more for a pattern). */
  nodes: string[];
}

export function findActivationSites(graph: Graph): ActivationSite[] {
  const position = new Map(graph.nodes.map((n, i) => [n.name, i]));
  const raw: Omit<ActivationSite, "id">[] = [];
  for (const n of graph.nodes) {
    if (n.opType === "Relu" || n.opType === "Gelu") {
      raw.push({
        kind: n.opType === "Relu" ? "relu" : "gelu",
        node: n.name,
        inputTensor: n.inputs[0]!,
        outputTensor: n.outputs[0]!,
        shape: (graph.shapes.get(n.inputs[0]!) ?? []).slice(),
        nodes: [n.name],
      });
    }
  }
  for (const p of [...findGeluPatterns(graph), ...findTanhGeluPatterns(graph)]) {
    raw.push({
      kind: "gelu",
      node: p.last.name,
      inputTensor: p.input,
      outputTensor: p.output,
      shape: (graph.shapes.get(p.input) ?? []).slice(),
      nodes: p.nodes.map((n) => n.name),
    });
  }
  raw.sort((a, b) => position.get(a.node)! - position.get(b.node)!);
  const width = Math.max(2, String(raw.length - 1).length);
  return raw.map((s, i) => ({ id: `${String(i).padStart(width, "0")}:${s.node}`, ...s }));
}
