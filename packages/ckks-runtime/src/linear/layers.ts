// CNN linear layers on the multiplexed layout, each compiled to a one-level SlotProgram.
// Conv (any odd kernel, stride 1 or 2, zero padding, bias = folded BatchNorm) and the option-A shortcut are
// sparse maps input layout → output layout (output gap = input gap × stride, grid unchanged: Orion's
// single-shot multiplexed convolution, arXiv 2311.03470 §4) compiled by compileLinearTransform.
// Global average pooling + fully connected is a dedicated rotate-and-sum program (note §4).

import { MultiplexedLayout } from "./layout.js";
import { compileLinearTransform, type CompiledTransform, type LinearEntries } from "./lintrans.js";
import { analyzeProgram, normalizeStep, type SlotOp, type SlotProgram } from "./program.js";

export interface LayerPlan {
  kind: "conv" | "shortcutA" | "avgpoolFc";
  input: MultiplexedLayout;
  /** Output layout (absent for avgpoolFc, whose output is `outputSlots`). */
  output?: MultiplexedLayout;
  /** avgpoolFc: slot of logit j (first copy). */
  outputSlots?: number[];
  program: SlotProgram;
  info?: CompiledTransform["info"];
}

export interface ConvLayerSpec {
  /** [Cout, Cin, kh, kw], ONNX layout. */
  weight: ArrayLike<number>;
  weightDims: [number, number, number, number];
  bias?: ArrayLike<number>;
  stride: 1 | 2;
  /** Symmetric zero padding (ResNet: 1 for 3×3). */
  pad: number;
}

export interface CompileOptions {
  babyRows?: number;
  hornerChains?: number;
}

/** Entries collected into typed arrays of a known maximum size. */
function entriesBuilder(capacity: number) {
  const out = new Int32Array(capacity);
  const inn = new Int32Array(capacity);
  const w = new Float64Array(capacity);
  let k = 0;
  return {
    push(o: number, i: number, x: number) {
      out[k] = o;
      inn[k] = i;
      w[k++] = x;
    },
    build(): LinearEntries {
      return { out: out.subarray(0, k), in: inn.subarray(0, k), weight: w.subarray(0, k) };
    },
  };
}

/** Output layout of a stride-s layer: gap × s, same grid. */
export function stridedLayout(input: MultiplexedLayout, channels: number, stride: number): MultiplexedLayout {
  if (input.height % stride !== 0 || input.width % stride !== 0)
    throw new Error(`stridedLayout: ${input.height}×${input.width} is not divisible by stride ${stride}`);
  return new MultiplexedLayout({
    slots: input.slots,
    channels,
    height: input.height / stride,
    width: input.width / stride,
    gap: input.gap * stride,
  });
}

export function compileConv2d(input: MultiplexedLayout, spec: ConvLayerSpec, options: CompileOptions = {}): LayerPlan {
  const [Co, Ci, KH, KW] = spec.weightDims;
  if (Ci !== input.channels)
    throw new Error(`compileConv2d: weight expects ${Ci} input channels, layout has ${input.channels}`);
  if (spec.weight.length !== Co * Ci * KH * KW)
    throw new Error(`compileConv2d: weight has ${spec.weight.length} values, dims ${spec.weightDims.join("×")} need ${Co * Ci * KH * KW}`);
  if (spec.stride !== 1 && spec.stride !== 2) throw new Error(`compileConv2d: stride must be 1 or 2, got ${spec.stride}`);
  const Ho = Math.floor((input.height + 2 * spec.pad - KH) / spec.stride) + 1;
  const Wo = Math.floor((input.width + 2 * spec.pad - KW) / spec.stride) + 1;
  if (Ho * spec.stride !== input.height || Wo * spec.stride !== input.width)
    throw new Error(`compileConv2d: only "same" convolutions are supported (output ${Ho}×${Wo} from ${input.height}×${input.width}, stride ${spec.stride})`);
  const output = stridedLayout(input, Co, spec.stride);
  const eb = entriesBuilder(Co * Ho * Wo * Ci * KH * KW);
  const H = input.height;
  const W = input.width;
  for (let co = 0; co < Co; co++)
    for (let ho = 0; ho < Ho; ho++)
      for (let wo = 0; wo < Wo; wo++) {
        const o = output.slotOf(co, ho, wo);
        for (let ci = 0; ci < Ci; ci++)
          for (let kh = 0; kh < KH; kh++) {
            const hi = ho * spec.stride + kh - spec.pad;
            if (hi < 0 || hi >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const wi = wo * spec.stride + kw - spec.pad;
              if (wi < 0 || wi >= W) continue;
              eb.push(o, input.slotOf(ci, hi, wi), spec.weight[((co * Ci + ci) * KH + kh) * KW + kw]!);
            }
          }
      }
  let bias: Float64Array | undefined;
  if (spec.bias) {
    if (spec.bias.length !== Co) throw new Error(`compileConv2d: bias has ${spec.bias.length} values, expected ${Co}`);
    const t = new Float64Array(Co * Ho * Wo);
    for (let co = 0; co < Co; co++) t.fill(spec.bias[co]!, co * Ho * Wo, (co + 1) * Ho * Wo);
    bias = output.pack(t);
  }
  const compiled = compileLinearTransform(eb.build(), geometry(input, output), { ...options, bias });
  return { kind: "conv", input, output, program: compiled.program, info: compiled.info };
}

/** Option-A downsampling shortcut: out[c + pad] = in[c, ::2, ::2], `pad` zero channels before and after. */
export function compileShortcutA(input: MultiplexedLayout, pad: number, options: CompileOptions = {}): LayerPlan {
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`compileShortcutA: pad must be a non-negative integer, got ${pad}`);
  const output = stridedLayout(input, input.channels + 2 * pad, 2);
  const eb = entriesBuilder(input.channels * output.height * output.width);
  for (let c = 0; c < input.channels; c++)
    for (let h = 0; h < output.height; h++)
      for (let w = 0; w < output.width; w++) eb.push(output.slotOf(c + pad, h, w), input.slotOf(c, 2 * h, 2 * w), 1);
  const compiled = compileLinearTransform(eb.build(), geometry(input, output), options);
  return { kind: "shortcutA", input, output, program: compiled.program, info: compiled.info };
}

function geometry(input: MultiplexedLayout, output: MultiplexedLayout) {
  if (input.rowStride !== output.rowStride || input.blockStride !== output.blockStride)
    throw new Error(`layer changes the grid (${input.gridRows}×${input.gridCols} → ${output.gridRows}×${output.gridCols})`);
  return {
    slots: input.slots,
    rowStride: input.rowStride,
    blockStride: input.blockStride,
    periodIn: input.period,
    periodOut: output.period,
  };
}

/**
 * Global average pooling + fully connected (weight [outputs, C], ONNX Gemm transB=1), one level:
 * 1. spatial rotate-and-sum over w (steps k·2^x) and h (steps W_row·k·2^x): the (h=0, w=0) cell of each
 *    channel holds the channel sum;
 * 2. round r (r < ⌈outputs/copies⌉): copy u is multiplied by W[r·copies + u, c]/(H·W) at the channel cells
 *    (zero elsewhere, which also clears the partial sums); round r is shifted to cell (⌊r/W⌋, r mod W) by Horner;
 * 3. rotate-and-sum over the k×k sub-cell and the groups; logit j lands in copy u = j mod copies at the cell of
 *    round ⌊j/copies⌋ (`outputSlots`); the bias is added there after the rescale.
 */
export function compileAvgPoolFc(
  input: MultiplexedLayout,
  weight: ArrayLike<number>,
  outputs: number,
  bias?: ArrayLike<number>,
): LayerPlan {
  const { gap: k, height: H, width: W, rowStride: RS, blockStride: B, period: T, copies: P, slots: n, channels: C } = input;
  if (weight.length !== outputs * C)
    throw new Error(`compileAvgPoolFc: weight has ${weight.length} values, expected ${outputs}×${C}`);
  const rounds = Math.ceil(outputs / P);
  if (rounds > W * H)
    throw new Error(`compileAvgPoolFc: ${outputs} outputs need ${rounds} rounds but the tensor has only ${H}×${W} cells`);
  const ops: SlotOp[] = [];
  const plains: Float64Array[] = [];
  const emit = (o: SlotOp) => (ops.push(o), ops.length);
  let acc = 0;
  const rotSum = (step: number) => {
    acc = emit({ op: "add", a: acc, b: emit({ op: "rotate", a: acc, step }) });
  };
  for (let s = k; s < k * W; s *= 2) rotSum(s);
  for (let s = RS * k; s < RS * k * H; s *= 2) rotSum(s);
  const prods: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const m = new Float64Array(n);
    for (let u = 0; u < P; u++) {
      const j = r * P + u;
      if (j >= outputs) continue;
      for (let c = 0; c < C; c++) m[u * T + input.slotOf(c, 0, 0)] = weight[j * C + c]! / (H * W);
    }
    plains.push(m);
    prods.push(emit({ op: "dot", terms: [{ reg: acc, plain: plains.length - 1 }] }));
  }
  // Round r goes to cell (h, w) = (⌊r/W⌋, r mod W): Horner over w (step −k) inside each cell row, then over
  // rows (step −k·W_row): rounds − 1 rotations in total.
  const horner = (vals: number[], step: number): number => {
    let a = vals[vals.length - 1]!;
    for (let i = vals.length - 2; i >= 0; i--) a = emit({ op: "add", a: emit({ op: "rotate", a, step }), b: vals[i]! });
    return a;
  };
  const rowSums: number[] = [];
  for (let h0 = 0; h0 * W < rounds; h0++) rowSums.push(horner(prods.slice(h0 * W, Math.min(rounds, (h0 + 1) * W)), -k));
  acc = horner(rowSums, -k * RS);
  for (let s = 1; s < k; s *= 2) rotSum(s);
  for (let s = RS; s < RS * k; s *= 2) rotSum(s);
  for (let s = B; s < T; s *= 2) rotSum(s);
  acc = emit({ op: "rescale", a: acc });
  const outputSlots = Array.from({ length: outputs }, (_, j) => {
    const round = Math.floor(j / P);
    return (j % P) * T + k * RS * Math.floor(round / W) + k * (round % W);
  });
  if (bias) {
    if (bias.length !== outputs) throw new Error(`compileAvgPoolFc: bias has ${bias.length} values, expected ${outputs}`);
    const b = new Float64Array(n);
    outputSlots.forEach((s, j) => (b[s] = bias[j]!));
    plains.push(b);
    acc = emit({ op: "addPlain", a: acc, plain: plains.length - 1 });
  }
  for (const o of ops) if (o.op === "rotate") o.step = normalizeStep(o.step, n);
  const { steps, counts } = analyzeProgram(n, ops, acc);
  return { kind: "avgpoolFc", input, outputSlots, program: { slots: n, ops, output: acc, plains, steps, counts } };
}
