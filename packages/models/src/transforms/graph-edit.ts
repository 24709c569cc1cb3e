// Helpers shared by the proto-level rewrites.
import type { ModelProto, NodeProto } from "../onnx-io.js";

/**
 * Removes nodes whose outputs nobody reads (not graph outputs), repeatedly, then initializers nobody reads.
 * Used after rewrites that orphan the rest of a pattern (e.g. the Erf/Div/Add of a replaced GELU).
 */
export function removeDeadNodes(model: ModelProto): void {
  const g = model.graph!;
  const graphOutputs = new Set((g.output ?? []).map((o) => o.name));
  let changed = true;
  while (changed) {
    changed = false;
    const used = new Set<string>();
    for (const n of g.node ?? []) for (const i of n.input ?? []) used.add(i);
    const keep = (g.node ?? []).filter((n) => (n.output ?? []).some((o) => o && (used.has(o) || graphOutputs.has(o))));
    if (keep.length !== g.node!.length) {
      g.node = keep;
      changed = true;
    }
  }
  const used = new Set<string>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) used.add(i);
  for (const o of g.output ?? []) used.add(o.name ?? "");
  g.initializer = (g.initializer ?? []).filter((t) => used.has(t.name ?? ""));
  // value_info of tensors that no longer exist would describe nothing (and confuse checkers): drop it.
  const produced = new Set<string>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) produced.add(o);
  g.valueInfo = (g.valueInfo ?? []).filter((v) => produced.has(v.name ?? ""));
}

export function nodeIndexProducing(model: ModelProto, tensor: string): number {
  return (model.graph!.node ?? []).findIndex((n) => (n.output ?? []).includes(tensor));
}

export type { NodeProto };
