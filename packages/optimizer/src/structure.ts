// The network as the level-aware DP sees it (@ola/dp LevelStage): a chain of linear steps and
// activation sites, with residual blocks (a fork whose two branches meet again at a two-input node,
// e.g. Add) nested inside. Built from the graph IR; sites are collapsed to one stage each (a GELU
// pattern is several nodes but one site).
import type { LevelStage } from "@ola/dp";

interface NodeLike {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
}
interface GraphShape {
  nodes: NodeLike[];
  inputs: { name: string }[];
  initializers: Map<string, unknown>;
  constants?: Map<string, unknown>;
}
interface SiteLike {
  id: string;
  inputTensor: string;
  outputTensor: string;
}

/** Levels consumed by a node in CKKS (plaintext weights: one rescale). BN/bias/scales fold into it. */
export function linearDepthOf(opType: string): number {
  return opType === "Conv" || opType === "Gemm" || opType === "MatMul" ? 1 : 0;
}

export class StructureError extends Error {}

/**
 * Parse the graph into nested stages. A site stage is named by its site id; linear stages carry
 * the node name. Throws StructureError for graphs that are not chains of (possibly nested)
 * two-branch blocks (then the caller falls back to the separable knapsack).
 */
export function networkStages(graph: GraphShape, sites: SiteLike[], siteOptions: (siteId: string) => LevelStage & { kind: "site" }): LevelStage[] {
  const constants = new Set<string>([...graph.initializers.keys(), ...(graph.constants ? graph.constants.keys() : [])]);
  const consumers = new Map<string, NodeLike[]>();
  const order = new Map<NodeLike, number>();
  graph.nodes.forEach((n, i) => {
    order.set(n, i);
    for (const t of n.inputs) {
      if (!t || constants.has(t)) continue;
      const l = consumers.get(t) ?? [];
      if (!l.includes(n)) l.push(n);
      consumers.set(t, l);
    }
  });
  const dataInputs = (n: NodeLike) => n.inputs.filter((t) => t && !constants.has(t));
  const siteByInput = new Map(sites.map((s) => [s.inputTensor, s]));
  const siteNodes = new Set<NodeLike>();
  // nodes strictly inside a site (between its input and output) are skipped by the walk
  for (const s of sites) {
    const prod = graph.nodes.find((n) => n.outputs.includes(s.outputTensor));
    if (prod) siteNodes.add(prod);
  }
  const used = new Set<string>();

  const reach = (start: NodeLike, limit: number): Set<NodeLike> => {
    const seen = new Set<NodeLike>([start]);
    const stack = [start];
    while (stack.length) {
      const n = stack.pop()!;
      for (const o of n.outputs) {
        for (const c of consumers.get(o) ?? []) {
          if ((order.get(c) ?? 0) > limit || seen.has(c)) continue;
          seen.add(c);
          stack.push(c);
        }
      }
    }
    return seen;
  };

  /** Walk from tensor t until `stop` (a node that merges this branch) or the graph's end. */
  const chain = (t0: string, stop: NodeLike | null, depthGuard: number): { stages: LevelStage[]; end: string } => {
    if (depthGuard > 64) throw new StructureError("nesting deeper than 64 blocks");
    const stages: LevelStage[] = [];
    let t = t0;
    for (let guard = 0; guard < 100_000; guard++) {
      const site = siteByInput.get(t);
      if (site) {
        if (used.has(site.id)) throw new StructureError(`site ${site.id} reached twice`);
        used.add(site.id);
        stages.push(siteOptions(site.id));
        t = site.outputTensor;
        continue;
      }
      const cons = (consumers.get(t) ?? []).filter((c) => c !== stop);
      const hitsStop = stop !== null && (consumers.get(t) ?? []).includes(stop);
      if (cons.length === 0) return { stages, end: t };
      if (cons.length === 1 && !hitsStop) {
        const n = cons[0]!;
        if (dataInputs(n).length > 1) {
          throw new StructureError(`node ${n.name} (${n.opType}) merges tensors from outside a recognised block`);
        }
        if (siteNodes.has(n)) throw new StructureError(`site node ${n.name} reached without its input tensor`);
        if (linearDepthOf(n.opType) > 0) stages.push({ kind: "linear", name: n.name, depth: linearDepthOf(n.opType) });
        if (n.outputs.length !== 1) throw new StructureError(`node ${n.name} has ${n.outputs.length} outputs`);
        t = n.outputs[0]!;
        continue;
      }
      // A fork: two branches (one may be the direct edge into the merge node).
      const branches = hitsStop ? [...cons, stop!] : cons;
      if (branches.length !== 2) throw new StructureError(`tensor ${t} forks into ${branches.length} branches (only 2 supported)`);
      const [a, b] = branches as [NodeLike, NodeLike];
      const limit = graph.nodes.length;
      const ra = reach(a, limit);
      const rb = reach(b, limit);
      let merge: NodeLike | undefined;
      for (const n of ra) if (rb.has(n) && (merge === undefined || order.get(n)! < order.get(merge)!)) merge = n;
      if (!merge) throw new StructureError(`the branches forking at ${t} never meet`);
      if (stop !== null && merge === stop && hitsStop) {
        throw new StructureError(`tensor ${t} feeds the enclosing merge ${stop.name} and another branch`);
      }
      if (dataInputs(merge).length !== 2) throw new StructureError(`merge node ${merge.name} has ${dataInputs(merge).length} data inputs`);
      const branch = (first: NodeLike): LevelStage[] => {
        if (first === merge) return [];
        const head: LevelStage[] = [];
        if (linearDepthOf(first.opType) > 0) head.push({ kind: "linear", name: first.name, depth: linearDepthOf(first.opType) });
        if (dataInputs(first).length > 1) throw new StructureError(`node ${first.name} merges inside a branch`);
        const rest = chain(first.outputs[0]!, merge!, depthGuard + 1);
        return [...head, ...rest.stages];
      };
      // a site input may itself be the fork point's consumer (branch starting with a site)
      const sa = branch(a);
      const sb = branch(b);
      const hasSite = (s: LevelStage[]): boolean => s.some((x) => x.kind === "site" || (x.kind === "residual" && (hasSite(x.main) || hasSite(x.skip))));
      const [main, skip] = hasSite(sb) && !hasSite(sa) ? [sb, sa] : [sa, sb];
      stages.push({ kind: "residual", name: merge.name, main, skip });
      if (linearDepthOf(merge.opType) > 0) stages.push({ kind: "linear", name: merge.name, depth: linearDepthOf(merge.opType) });
      if (stop !== null && merge === stop) return { stages, end: t };
      t = merge.outputs[0]!;
    }
    throw new StructureError("graph walk did not terminate");
  };

  const input = graph.inputs[0];
  if (!input) throw new StructureError("graph has no input");
  const { stages } = chain(input.name, null, 0);
  const missing = sites.filter((s) => !used.has(s.id));
  if (missing.length) throw new StructureError(`sites not on the parsed structure: ${missing.map((s) => s.id).join(", ")}`);
  return stages;
}
