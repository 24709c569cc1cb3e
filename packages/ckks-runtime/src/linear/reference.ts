// Direct (unpacked) float64 references for the CNN layers, used to check the packed transforms.
// Tensors are CHW row-major (batch of one).

export interface Conv2dSpec {
  /** [Cout, Cin, kh, kw] row-major (ONNX Conv layout). */
  weight: ArrayLike<number>;
  weightDims: [number, number, number, number];
  bias?: ArrayLike<number>;
  stride: number;
  /** Symmetric zero padding. */
  pad: number;
}

export function conv2dDirect(
  x: ArrayLike<number>,
  shape: { channels: number; height: number; width: number },
  spec: Conv2dSpec,
): { data: Float64Array; channels: number; height: number; width: number } {
  const [Co, Ci, KH, KW] = spec.weightDims;
  if (Ci !== shape.channels) throw new Error(`conv2dDirect: weight has ${Ci} input channels, tensor has ${shape.channels}`);
  const { height: H, width: W } = shape;
  const Ho = Math.floor((H + 2 * spec.pad - KH) / spec.stride) + 1;
  const Wo = Math.floor((W + 2 * spec.pad - KW) / spec.stride) + 1;
  const out = new Float64Array(Co * Ho * Wo);
  for (let co = 0; co < Co; co++)
    for (let ho = 0; ho < Ho; ho++)
      for (let wo = 0; wo < Wo; wo++) {
        let acc = spec.bias ? spec.bias[co]! : 0;
        for (let ci = 0; ci < Ci; ci++)
          for (let kh = 0; kh < KH; kh++) {
            const hi = ho * spec.stride + kh - spec.pad;
            if (hi < 0 || hi >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const wi = wo * spec.stride + kw - spec.pad;
              if (wi < 0 || wi >= W) continue;
              acc += spec.weight[((co * Ci + ci) * KH + kh) * KW + kw]! * x[(ci * H + hi) * W + wi]!;
            }
          }
        out[(co * Ho + ho) * Wo + wo] = acc;
      }
  return { data: out, channels: Co, height: Ho, width: Wo };
}

/** Option-A shortcut (He et al. 2015; akamaster resnet.py): x[:, ::2, ::2] padded with `pad` zero channels on both sides. */
export function shortcutADirect(
  x: ArrayLike<number>,
  shape: { channels: number; height: number; width: number },
  pad: number,
): Float64Array {
  const { channels: C, height: H, width: W } = shape;
  const Ho = H / 2;
  const Wo = W / 2;
  const out = new Float64Array((C + 2 * pad) * Ho * Wo);
  for (let c = 0; c < C; c++)
    for (let h = 0; h < Ho; h++)
      for (let w = 0; w < Wo; w++) out[((c + pad) * Ho + h) * Wo + w] = x[(c * H + 2 * h) * W + 2 * w]!;
  return out;
}

/** Global average pooling followed by a fully connected layer (ONNX Gemm with transB = 1: W is [out, in]). */
export function avgPoolFcDirect(
  x: ArrayLike<number>,
  shape: { channels: number; height: number; width: number },
  weight: ArrayLike<number>,
  outputs: number,
  bias?: ArrayLike<number>,
): Float64Array {
  const { channels: C, height: H, width: W } = shape;
  const mean = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let j = 0; j < H * W; j++) s += x[c * H * W + j]!;
    mean[c] = s / (H * W);
  }
  const y = new Float64Array(outputs);
  for (let o = 0; o < outputs; o++) {
    let s = bias ? bias[o]! : 0;
    for (let c = 0; c < C; c++) s += weight[o * C + c]! * mean[c]!;
    y[o] = s;
  }
  return y;
}
