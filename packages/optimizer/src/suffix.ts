// The part of a network downstream of an activation site, and what it needs as inputs. Impact
// measurement replaces one site at a time; everything upstream of the site is unchanged, so it is
// computed once (the cached exact tensors) and only this suffix is re-run per candidate.

/** Structural subset of @ola/models' Graph that this analysis needs. */
export interface GraphLike {
  nodes: { name: string; inputs: string[]; outputs: string[] }[];
  inputs: { name: string }[];
  outputs: { name: string }[];
  initializers: Map<string, unknown>;
  constants?: Map<string, unknown>;
}

export interface SuffixSpec {
  /** The site's output tensor: the suffix's input that a candidate polynomial produces. */
  siteOutput: string;
  /**
   * Every tensor the suffix reads that it does not produce itself (other than constants), in a
   * stable order; includes siteOutput. E.g. in a residual block, the site after the first conv also
   * needs the block's shortcut tensor.
   */
  inputs: string[];
  /** Names of the suffix's nodes in topological order. */
  nodes: string[];
  /** The graph outputs the suffix computes. */
  outputs: string[];
}

/**
 * Nodes reachable from `siteOutput`, and the external tensors they read. Constant subgraphs
 * (Constant nodes, shape arithmetic) reachable only from constants are left out of the inputs.
 */
export function suffixOf(graph: GraphLike, siteOutput: string): SuffixSpec {
  const constants = new Set<string>([...graph.initializers.keys(), ...(graph.constants ? graph.constants.keys() : [])]);
  const produced = new Set<string>([siteOutput]);
  const nodes: string[] = [];
  const members: GraphLike["nodes"] = [];
  for (const n of graph.nodes) {
    if (n.outputs.includes(siteOutput)) continue;
    if (n.inputs.some((i) => i && produced.has(i))) {
      nodes.push(n.name);
      members.push(n);
      for (const o of n.outputs) if (o) produced.add(o);
    }
  }
  if (members.length === 0) throw new Error(`no node reads tensor '${siteOutput}': it is not an activation site's output`);
  const inputs: string[] = [siteOutput];
  const seen = new Set(inputs);
  for (const n of members) {
    for (const i of n.inputs) {
      if (!i || produced.has(i) || constants.has(i) || seen.has(i)) continue;
      seen.add(i);
      inputs.push(i);
    }
  }
  const outputs = graph.outputs.map((o) => o.name).filter((o) => produced.has(o));
  if (outputs.length === 0) throw new Error(`tensor '${siteOutput}' does not reach a graph output`);
  return { siteOutput, inputs, nodes, outputs };
}
