// foldBatchNorm: BatchNormalization (inference form) after a Conv is folded into the Conv's weights:
//   W'[m] = W[m] * g[m] / sqrt(var[m] + eps),  b'[m] = (b[m] - mean[m]) * g[m] / sqrt(var[m] + eps) + beta[m]
// (the standard fold, e.g. Jacob et al. 2018, section 3.2). Computed in float64, stored as float32.
import { TransformError } from "../errors.js";
import { graphFromModel } from "../import.js";
import { decodeModel, encodeModel, floatTensorProto } from "../onnx-io.js";
import { removeDeadNodes } from "./graph-edit.js";

export function foldBatchNorm(modelBytes: Uint8Array): Uint8Array {
  const model = decodeModel(modelBytes);
  const graph = graphFromModel(model);
  const g = model.graph!;
  const graphOutputs = new Set((g.output ?? []).map((o) => o.name));
  const readers = new Map<string, number>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
  const f32 = (name: string, where: string): Float32Array => {
    const t = graph.initializers.get(name);
    if (!t || t.dataType !== "float32") throw new TransformError(`foldBatchNorm: ${where} '${name}' is not a float32 initializer`);
    return t.data as Float32Array;
  };
  const removed = new Set<number>();
  (g.node ?? []).forEach((bn, bi) => {
    if (bn.opType !== "BatchNormalization") return;
    if ((bn.output ?? []).filter(Boolean).length > 1) return; // training-mode outputs: not an inference BN
    const x = bn.input![0]!;
    const ci = (g.node ?? []).findIndex((n) => n.opType === "Conv" && (n.output ?? [])[0] === x);
    if (ci < 0 || readers.get(x) !== 1 || graphOutputs.has(x)) return;
    const conv = g.node![ci]!;
    const wName = conv.input![0 + 1]!;
    if (!graph.initializers.has(wName) || [bn.input![1], bn.input![2], bn.input![3], bn.input![4]].some((n) => !graph.initializers.has(n!))) return;
    const wT = graph.initializers.get(wName)!;
    const w = f32(wName, "Conv weight");
    const M = wT.dims[0]!;
    const per = w.length / M;
    const gamma = f32(bn.input![1]!, "BN scale");
    const beta = f32(bn.input![2]!, "BN bias");
    const mean = f32(bn.input![3]!, "BN mean");
    const variance = f32(bn.input![4]!, "BN var");
    const epsAttr = (bn.attribute ?? []).find((a) => a.name === "epsilon");
    const eps = epsAttr ? epsAttr.f! : 1e-5;
    const b = conv.input![2] ? f32(conv.input![2]!, "Conv bias") : new Float32Array(M);
    const w2 = new Float32Array(w.length);
    const b2 = new Float32Array(M);
    for (let m = 0; m < M; m++) {
      const s = gamma[m]! / Math.sqrt(variance[m]! + eps);
      for (let k = 0; k < per; k++) w2[m * per + k] = w[m * per + k]! * s;
      b2[m] = (b[m]! - mean[m]!) * s + beta[m]!;
    }
    const wNew = `${conv.name}/weight_bnfolded`;
    const bNew = `${conv.name}/bias_bnfolded`;
    g.initializer!.push(floatTensorProto(wNew, wT.dims, w2), floatTensorProto(bNew, [M], b2));
    conv.input = [conv.input![0]!, wNew, bNew];
    conv.output = [bn.output![0]!];
    removed.add(bi);
  });
  g.node = (g.node ?? []).filter((_, i) => !removed.has(i));
  removeDeadNodes(model);
  return encodeModel(model);
}
