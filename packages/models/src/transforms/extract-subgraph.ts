// extractSubgraph: the part of the network that computes `outputs` from `inputs` (like onnx.utils.extract_model),
// e.g. the suffix after an activation site, so impact measurement re-runs only what follows the site.
import { TransformError } from "../errors.js";
import { graphFromModel } from "../import.js";
import { decodeModel, encodeModel, floatValueInfo } from "../onnx-io.js";

export function extractSubgraph(modelBytes: Uint8Array, inputs: readonly string[], outputs: readonly string[]): Uint8Array {
  const model = decodeModel(modelBytes);
  const graph = graphFromModel(model);
  const g = model.graph!;
  const inputSet = new Set(inputs);
  for (const t of [...inputs, ...outputs]) {
    if (!graph.shapes.has(t)) throw new TransformError(`extractSubgraph: tensor '${t}' does not exist in the model`);
  }
  for (const t of inputs) {
    if (graph.initializers.has(t)) throw new TransformError(`extractSubgraph: '${t}' is an initializer, not a computed tensor; it cannot be an input`);
  }
  const producerIndex = new Map<string, number>();
  (g.node ?? []).forEach((n, i) => (n.output ?? []).forEach((o) => producerIndex.set(o, i)));
  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  const neededNodes = new Set<number>();
  const neededInits = new Set<string>();
  const stack = [...outputs];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t) || t === "") continue;
    seen.add(t);
    if (inputSet.has(t)) continue;
    if (graph.initializers.has(t)) {
      neededInits.add(t);
      continue;
    }
    const p = producerIndex.get(t);
    if (p === undefined) {
      if (graphInputs.has(t)) {
        throw new TransformError(
          `extractSubgraph: the outputs depend on graph input '${t}', which is not among the given inputs (${inputs.join(", ")})`,
        );
      }
      throw new TransformError(`extractSubgraph: no node produces '${t}'`);
    }
    if (neededNodes.has(p)) continue;
    neededNodes.add(p);
    for (const i of g.node![p]!.input ?? []) stack.push(i);
  }
  g.node = (g.node ?? []).filter((_, i) => neededNodes.has(i));
  g.initializer = (g.initializer ?? []).filter((t) => neededInits.has(t.name ?? ""));
  g.input = inputs.map((t) => floatValueInfo(t, graph.shapes.get(t)));
  g.output = outputs.map((t) => floatValueInfo(t, graph.shapes.get(t)));
  g.valueInfo = [];
  return encodeModel(model);
}
