// exposeTensors: adds internal tensors as extra graph outputs (for profiling), typed and shaped from the IR.
import { TransformError } from "../errors.js";
import { graphFromModel } from "../import.js";
import { decodeModel, encodeModel, floatValueInfo } from "../onnx-io.js";

export function exposeTensors(modelBytes: Uint8Array, tensorNames: readonly string[]): Uint8Array {
  const model = decodeModel(modelBytes);
  const graph = graphFromModel(model);
  const g = model.graph!;
  const existing = new Set((g.output ?? []).map((o) => o.name));
  for (const name of tensorNames) {
    if (existing.has(name)) continue;
    const shape = graph.shapes.get(name);
    if (!shape || graph.initializers.has(name)) {
      throw new TransformError(`exposeTensors: '${name}' is not a tensor computed by the graph (no node produces it)`);
    }
    g.output!.push(floatValueInfo(name, shape));
    existing.add(name);
  }
  return encodeModel(model);
}
