// Compiler: Graph IR (@ola/models, BatchNorm folded) + one PolyProgram per activation site -> HeProgram.
//
// Supported graphs: CNNs built from Conv (odd kernel, "same" padding, stride 1 or 2, group 1; the bias is the
// folded BatchNorm), Relu/GELU activation sites (replaced by the plan's programs), residual Add, the option-A
// shortcut (Slice ::2 on H and W, then Pad of the channels, akamaster ResNet) and GlobalAveragePool ->
// Flatten -> Gemm. Linear layers are compiled by src/linear (multiplexed layout, one level each); the
// compiler chooses the layouts (input at gap 1; stride-2 layers double the gap, MPCNN / Orion), assigns
// levels, places bootstraps and counts operations.
import type { Graph, GraphNode, Tensor } from "@ola/models";
import { compileAvgPoolFc, compileConv2d, compileShortcutA, stridedLayout, type CompileOptions, type LayerPlan } from "../linear/layers.js";
import { MultiplexedLayout } from "../linear/layout.js";
import type { PolyProgram } from "../program.js";
import {
  CompileError,
  summarizeLayout,
  zeroStepOps,
  type ActivationStep,
  type BootstrapStep,
  type HeProgram,
  type HeStep,
  type LinearStep,
  type OpsByLevel,
  type StepOps,
} from "./he-program.js";
import { simulatePolyLevels } from "./level-sim.js";
import { priceSteps, type CostTableLike } from "./cost.js";

/** What the compiler needs to know about an activation site (structural copy of @ola/models ActivationSite). */
export interface SiteRef {
  id: string;
  node: string;
  inputTensor: string;
  outputTensor: string;
}

export interface CompileHeOptions {
  /** CKKS slots (N/2). */
  slots: number;
  /** Levels after a bootstrap (and of a fresh ciphertext unless inputLevel is given). */
  levelsAfterBootstrap: number;
  /** Level the client encrypts at (default levelsAfterBootstrap). */
  inputLevel?: number;
  /** Per-primitive costs by level; gives predictedSeconds. */
  costTable?: CostTableLike;
  /** Options for the linear-transform compiler (baby rows, Horner chains). */
  linear?: CompileOptions;
  /** Model name for the program header. */
  model?: string;
  /**
   * Where refreshes go (default "lazy"). "lazy": a value is refreshed right before the first step that lacks
   * levels, which for conv → activation chains whose activation takes all remaining levels means before the
   * convolution: it then runs at the top level (levelsAfterBootstrap), the most expensive one.
   * "before-activation" (MPCNN's phase): an activation that fits in one refresh also reserves the level of
   * the linear layer after it, so the refresh lands before the activation and the convolution runs on the
   * level the activation left (level 1 for a polynomial one level short of a refresh). Deeper activations
   * (refreshed inside) are placed as with "lazy". With inputLevel = levelsAfterBootstrap + 1 the first
   * convolution + activation also fit without a refresh, so the bootstrap count does not grow.
   */
  placement?: BootstrapPlacement;
}

export type BootstrapPlacement = "lazy" | "before-activation";

interface Value {
  id: number;
  level: number;
  layout?: MultiplexedLayout;
  /** avgpoolFc output: logits at these slots. */
  outputSlots?: number[];
}

/** A tensor that is not (yet) a ciphertext: a lazily-resolved view of one (Slice, GAP, Flatten). */
type Alias = { kind: "slice"; of: string; depth: number } | { kind: "gap"; of: string } | { kind: "flatten"; of: string };

function constNumbers(graph: Graph, name: string, where: string): number[] {
  const t: Tensor | undefined = graph.constants.get(name) ?? graph.initializers.get(name);
  if (!t) throw new CompileError(`${where}: input '${name}' is not a constant (the compiler needs constant weights/parameters)`);
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

function constTensor(graph: Graph, name: string, where: string): Tensor {
  const t = graph.constants.get(name) ?? graph.initializers.get(name);
  if (!t) throw new CompileError(`${where}: input '${name}' is not a constant`);
  return t;
}

/**
 * Compiled linear layers per graph: they do not depend on the plan (only on weights, layout and options),
 * and compiling them is the slow part of compilation (seconds per ResNet layer), so a second plan for the
 * same graph reuses them.
 */
const layerCache = new WeakMap<Graph, Map<string, LayerPlan>>();

function cachedLayer(graph: Graph, key: string, build: () => LayerPlan): LayerPlan {
  let m = layerCache.get(graph);
  if (!m) layerCache.set(graph, (m = new Map()));
  let p = m.get(key);
  if (!p) m.set(key, (p = build()));
  return p;
}

function attrNums(n: GraphNode, key: string, dflt: number[]): number[] {
  const v = n.attributes[key];
  if (v === undefined) return dflt;
  if (typeof v === "number") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return v as number[];
  throw new CompileError(`node ${n.name} (${n.opType}): attribute ${key} is not numeric`);
}

export function compileHeProgram(graph: Graph, sites: readonly SiteRef[], programs: ReadonlyMap<string, PolyProgram>, opts: CompileHeOptions): HeProgram {
  const L = opts.levelsAfterBootstrap;
  if (!Number.isInteger(L) || L < 1) throw new CompileError(`levelsAfterBootstrap must be an integer >= 1, got ${L}`);
  const inputLevel = opts.inputLevel ?? L;
  if (!Number.isInteger(inputLevel) || inputLevel < 0) throw new CompileError(`inputLevel must be a non-negative integer, got ${inputLevel}`);
  const placement = opts.placement ?? "lazy";
  if (placement !== "lazy" && placement !== "before-activation") throw new CompileError(`placement must be "lazy" or "before-activation", got '${String(placement)}'`);
  if (graph.inputs.length !== 1) throw new CompileError(`the graph has ${graph.inputs.length} inputs; the compiler supports exactly one image input`);
  if (graph.outputs.length !== 1) throw new CompileError(`the graph has ${graph.outputs.length} outputs; the compiler supports exactly one (the logits)`);
  const input = graph.inputs[0]!;
  const shape = input.shape.slice(-3);
  if (input.shape.length !== 4 || shape.some((d) => !(d > 0))) {
    throw new CompileError(`graph input '${input.name}' has shape [${input.shape.join(", ")}]; expected [N, C, H, W] with static C, H, W`);
  }
  const [C0, H0, W0] = shape as [number, number, number];
  const siteByOutput = new Map(sites.map((s) => [s.outputTensor, s]));
  for (const s of sites) {
    if (!programs.has(s.id)) throw new CompileError(`activation site ${s.id} has no polynomial program in the plan`);
  }

  const steps: HeStep[] = [];
  const values: Value[] = [];
  const tensorValue = new Map<string, number>();
  const aliases = new Map<string, Alias>();
  const newValue = (v: Omit<Value, "id">): Value => {
    const val = { ...v, id: values.length };
    values.push(val);
    return val;
  };
  const push = <S extends HeStep>(s: Omit<S, "index" | "predictedSeconds">): S => {
    const full = { ...s, index: steps.length, predictedSeconds: 0 } as unknown as S;
    steps.push(full);
    return full;
  };
  const opsByStep = new Map<number, OpsByLevel>();

  // The input: encrypted at gap 1; its channel count may be padded (zero channels) by the first conv.
  let inputLayout: MultiplexedLayout;
  try {
    inputLayout = new MultiplexedLayout({ slots: opts.slots, channels: C0, height: H0, width: W0, gap: 1 });
  } catch (e) {
    throw new CompileError(`input '${input.name}' (${C0}x${H0}x${W0}) does not fit ${opts.slots} slots: ${(e as Error).message}`);
  }
  const inVal = newValue({ level: inputLevel, layout: inputLayout });
  const encrypt = push<HeStep & { kind: "encrypt" }>({ kind: "encrypt", tensor: input.name, output: inVal.id, level: inputLevel, layout: inputLayout, inputChannels: C0 });
  tensorValue.set(input.name, inVal.id);
  let inputConsumed = false;

  const valueOf = (tensor: string, where: string): Value => {
    const id = tensorValue.get(tensor);
    if (id === undefined) {
      const a = aliases.get(tensor);
      throw new CompileError(
        `${where}: tensor '${tensor}' ${a ? `is a ${a.kind} view that this node cannot consume` : "is not produced by a supported node"}`,
      );
    }
    return values[id]!;
  };

  /** Makes sure the value behind `tensor` has at least `need` levels, bootstrapping it if not. */
  const ensureLevels = (tensor: string, need: number, reason: string): Value => {
    const v = valueOf(tensor, reason);
    if (need > L) throw new CompileError(`${reason} needs ${need} levels but a bootstrap provides only ${L}`);
    if (v.level >= need) return v;
    const nv = newValue({ level: L, layout: v.layout, outputSlots: v.outputSlots });
    push<BootstrapStep>({ kind: "bootstrap", input: v.id, output: nv.id, fromLevel: v.level, toLevel: L, reason });
    // every later reader of any tensor bound to v (both residual branches) sees the refreshed value
    for (const [t, id] of tensorValue) if (id === v.id) tensorValue.set(t, nv.id);
    return nv;
  };

  const linearOps = (p: LinearStep["program"]): StepOps => ({
    ...zeroStepOps(),
    rotate: p.counts.rotations,
    mulPlain: p.counts.mulPlain,
    add: p.counts.additions,
    rescale: p.counts.rescales,
  });

  const emitLinear = (s: Omit<LinearStep, "index" | "predictedSeconds" | "ops">, tensor: string): void => {
    const ops = linearOps(s.program);
    const step = push<LinearStep>({ ...s, ops });
    opsByStep.set(step.index, new Map([[s.inLevel, ops]]));
    tensorValue.set(tensor, s.output);
  };

  for (const node of graph.nodes) {
    const where = `node ${node.name} (${node.opType})`;
    const site = siteByOutput.get(node.outputs[0] ?? "");
    if (site) {
      const program = programs.get(site.id)!;
      const depth = program.cost.depth;
      // a polynomial that fits in one refresh runs in one piece (the optimiser's model); a deeper one is
      // started at full level and refreshed inside (lazily)
      // before-activation: keep one level for the linear layer that consumes the activation (see CompileHeOptions)
      const need = placement === "before-activation" && depth + 1 <= L ? depth + 1 : Math.min(depth, L);
      const v = ensureLevels(site.inputTensor, need, `activation ${site.id} (depth ${depth})`);
      const sim = simulatePolyLevels(program, v.level, L);
      const out = newValue({ level: sim.outLevel, layout: v.layout });
      const step = push<ActivationStep>({
        kind: "activation",
        site: site.id,
        node: node.name,
        input: v.id,
        output: out.id,
        inLevel: v.level,
        outLevel: sim.outLevel,
        layout: v.layout!,
        program,
        innerBootstraps: sim.innerBootstraps,
        ops: sim.ops,
      });
      opsByStep.set(step.index, sim.opsByLevel);
      tensorValue.set(site.outputTensor, out.id);
      continue;
    }
    switch (node.opType) {
      case "Conv": {
        const x = node.inputs[0]!;
        const wName = node.inputs[1]!;
        const wT = constTensor(graph, wName, where);
        if (wT.dims.length !== 4) throw new CompileError(`${where}: weight '${wName}' has dims [${wT.dims.join(", ")}], expected [Cout, Cin, kh, kw]`);
        const [Co, Ci, KH, KW] = wT.dims as [number, number, number, number];
        const group = attrNums(node, "group", [1])[0];
        const dil = attrNums(node, "dilations", [1, 1]);
        const strides = attrNums(node, "strides", [1, 1]);
        const pads = attrNums(node, "pads", [0, 0, 0, 0]);
        if (group !== 1) throw new CompileError(`${where}: grouped convolution (group ${group}) is not supported`);
        if (dil.some((d) => d !== 1)) throw new CompileError(`${where}: dilations [${dil.join(", ")}] are not supported`);
        if (strides[0] !== strides[1] || (strides[0] !== 1 && strides[0] !== 2)) throw new CompileError(`${where}: strides [${strides.join(", ")}] (supported: 1 or 2 on both axes)`);
        if (new Set(pads).size !== 1) throw new CompileError(`${where}: asymmetric pads [${pads.join(", ")}]`);
        if (KH !== KW || KH % 2 !== 1 || pads[0] !== (KH - 1) / 2) throw new CompileError(`${where}: only odd square kernels with "same" padding are supported (kernel ${KH}x${KW}, pad ${pads[0]})`);
        let v = ensureLevels(x, 1, `${where}`);
        let layout = v.layout;
        if (!layout) throw new CompileError(`${where}: its input holds logits, not a feature map`);
        const stride = strides[0] as 1 | 2;
        // The first conv may widen the tensor beyond the input's period: pad the input with zero channels
        // (before anything read it) so that every later layout keeps the same period.
        const outPeriod = stridedLayout(layout, Co, stride).period;
        if (outPeriod > layout.period) {
          if (v.id !== inVal.id || inputConsumed) {
            throw new CompileError(`${where}: output period ${outPeriod} exceeds the input period ${layout.period} (replication is only supported for the network input)`);
          }
          let c = layout.channels;
          while (new MultiplexedLayout({ slots: opts.slots, channels: c, height: layout.height, width: layout.width, gap: layout.gap }).period < outPeriod) c++;
          layout = new MultiplexedLayout({ slots: opts.slots, channels: c, height: layout.height, width: layout.width, gap: layout.gap });
          inVal.layout = layout;
          encrypt.layout = layout;
          v = inVal;
        }
        if (v.id === inVal.id) inputConsumed = true;
        const wData = Array.from(wT.data as ArrayLike<number>);
        let weight = wData;
        let dims: [number, number, number, number] = [Co, Ci, KH, KW];
        if (layout.channels !== Ci) {
          if (layout.channels < Ci) throw new CompileError(`${where}: weight has ${Ci} input channels, the input tensor ${layout.channels}`);
          const Cp = layout.channels;
          weight = new Array<number>(Co * Cp * KH * KW).fill(0);
          for (let co = 0; co < Co; co++)
            for (let ci = 0; ci < Ci; ci++)
              for (let k = 0; k < KH * KW; k++) weight[(co * Cp + ci) * KH * KW + k] = wData[(co * Ci + ci) * KH * KW + k]!;
          dims = [Co, Cp, KH, KW];
        }
        const bias = node.inputs[2] ? constNumbers(graph, node.inputs[2], where) : undefined;
        let plan;
        try {
          const key = `conv|${node.name}|${layout.describe()}|${JSON.stringify(opts.linear ?? {})}`;
          plan = cachedLayer(graph, key, () => compileConv2d(layout!, { weight, weightDims: dims, bias, stride, pad: pads[0]! }, opts.linear));
        } catch (e) {
          throw new CompileError(`${where}: ${(e as Error).message}`);
        }
        const out = newValue({ level: v.level - 1, layout: plan.output });
        emitLinear({ kind: "linear", layer: "conv", node: node.name, input: v.id, output: out.id, inLevel: v.level, outLevel: out.level, inLayout: layout, outLayout: plan.output, program: plan.program }, node.outputs[0]!);
        break;
      }
      case "Add": {
        const [ta, tb] = node.inputs as [string, string];
        if (graph.constants.has(ta) || graph.constants.has(tb)) throw new CompileError(`${where}: adding a constant is not supported (fold it into the previous layer's bias)`);
        const a = valueOf(ta, where);
        const b = valueOf(tb, where);
        if (!a.layout || !b.layout) throw new CompileError(`${where}: residual add of logits is not supported`);
        const la = a.layout;
        const lb = b.layout;
        if (la.channels !== lb.channels || la.gap !== lb.gap || la.height !== lb.height || la.period !== lb.period) {
          throw new CompileError(`${where}: branches have different layouts (${la.describe()} vs ${lb.describe()})`);
        }
        if (a.id === inVal.id || b.id === inVal.id) inputConsumed = true;
        const level = Math.min(a.level, b.level);
        const out = newValue({ level, layout: la });
        const ops = { ...zeroStepOps(), add: 1 };
        const step = push<HeStep & { kind: "add" }>({ kind: "add", node: node.name, a: a.id, b: b.id, output: out.id, levelA: a.level, levelB: b.level, level, ops });
        opsByStep.set(step.index, new Map([[level, ops]]));
        tensorValue.set(node.outputs[0]!, out.id);
        break;
      }
      case "Slice": {
        const x = node.inputs[0]!;
        const prev = aliases.get(x);
        const depth = prev?.kind === "slice" ? prev.depth + 1 : 1;
        const of = prev?.kind === "slice" ? prev.of : x;
        if (!tensorValue.has(of)) throw new CompileError(`${where}: slices only of a feature map are supported`);
        const starts = constNumbers(graph, node.inputs[1]!, where);
        const stepsIn = node.inputs[4] ? constNumbers(graph, node.inputs[4], where) : [1];
        if (starts.some((s) => s !== 0) || stepsIn.some((s) => s !== 2)) {
          throw new CompileError(`${where}: only the option-A shortcut's x[..., ::2, ::2] slices are supported (starts ${starts}, steps ${stepsIn})`);
        }
        aliases.set(node.outputs[0]!, { kind: "slice", of, depth });
        break;
      }
      case "Pad": {
        const a = aliases.get(node.inputs[0]!);
        if (a?.kind !== "slice" || a.depth !== 2) throw new CompileError(`${where}: Pad is supported only as the channel padding of an option-A shortcut (after Slice ::2 on H and W)`);
        const inShape = graph.shapes.get(a.of);
        const outShape = graph.shapes.get(node.outputs[0]!);
        if (!inShape || !outShape) throw new CompileError(`${where}: static shapes are needed for the shortcut`);
        const pad = (outShape[1]! - inShape[1]!) / 2;
        if (!Number.isInteger(pad) || pad < 0 || outShape[2]! * 2 !== inShape[2] || outShape[3]! * 2 !== inShape[3]) {
          throw new CompileError(`${where}: shortcut shapes [${inShape}] -> [${outShape}] are not option A (x[:, :, ::2, ::2] + symmetric zero channels)`);
        }
        const v = ensureLevels(a.of, 1, where);
        if (v.id === inVal.id) inputConsumed = true;
        let plan;
        try {
          plan = cachedLayer(graph, `shortcut|${node.name}|${v.layout!.describe()}|${JSON.stringify(opts.linear ?? {})}`, () => compileShortcutA(v.layout!, pad, opts.linear));
        } catch (e) {
          throw new CompileError(`${where}: ${(e as Error).message}`);
        }
        const out = newValue({ level: v.level - 1, layout: plan.output });
        emitLinear({ kind: "linear", layer: "shortcutA", node: node.name, input: v.id, output: out.id, inLevel: v.level, outLevel: out.level, inLayout: v.layout!, outLayout: plan.output, program: plan.program }, node.outputs[0]!);
        break;
      }
      case "GlobalAveragePool":
        valueOf(node.inputs[0]!, where);
        aliases.set(node.outputs[0]!, { kind: "gap", of: node.inputs[0]! });
        break;
      case "Flatten": {
        const a = aliases.get(node.inputs[0]!);
        if (a?.kind !== "gap") throw new CompileError(`${where}: Flatten is supported only after GlobalAveragePool`);
        aliases.set(node.outputs[0]!, { kind: "flatten", of: a.of });
        break;
      }
      case "Gemm": {
        const a = aliases.get(node.inputs[0]!);
        if (a?.kind !== "flatten") throw new CompileError(`${where}: Gemm is supported only as the classifier after GlobalAveragePool -> Flatten`);
        const alpha = attrNums(node, "alpha", [1])[0];
        const beta = attrNums(node, "beta", [1])[0];
        const transB = attrNums(node, "transB", [0])[0];
        const transA = attrNums(node, "transA", [0])[0];
        if (alpha !== 1 || beta !== 1 || transA !== 0) throw new CompileError(`${where}: only alpha = beta = 1, transA = 0 is supported`);
        const wT = constTensor(graph, node.inputs[1]!, where);
        let [rows, cols] = wT.dims as [number, number];
        let w = Array.from(wT.data as ArrayLike<number>);
        if (transB !== 1) {
          // W is [in, out]: transpose to [out, in]
          const t = new Array<number>(rows * cols);
          for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = w[i * cols + j]!;
          w = t;
          [rows, cols] = [cols, rows];
        }
        const bias = node.inputs[2] ? constNumbers(graph, node.inputs[2], where) : undefined;
        const v = ensureLevels(a.of, 1, where);
        if (v.layout!.channels !== cols) throw new CompileError(`${where}: weight has ${cols} inputs, the pooled tensor ${v.layout!.channels} channels`);
        let plan;
        try {
          plan = cachedLayer(graph, `fc|${node.name}|${v.layout!.describe()}`, () => compileAvgPoolFc(v.layout!, w, rows, bias));
        } catch (e) {
          throw new CompileError(`${where}: ${(e as Error).message}`);
        }
        const out = newValue({ level: v.level - 1, outputSlots: plan.outputSlots });
        emitLinear({ kind: "linear", layer: "avgpoolFc", node: node.name, input: v.id, output: out.id, inLevel: v.level, outLevel: out.level, inLayout: v.layout!, outputSlots: plan.outputSlots, program: plan.program }, node.outputs[0]!);
        break;
      }
      case "Identity":
      case "Dropout":
        if (tensorValue.has(node.inputs[0]!)) tensorValue.set(node.outputs[0]!, tensorValue.get(node.inputs[0]!)!);
        else throw new CompileError(`${where}: input is not a ciphertext value`);
        break;
      default:
        throw new CompileError(
          `${where} is not supported by the CKKS compiler (supported: Conv, activation sites, Add, option-A Slice/Pad, GlobalAveragePool, Flatten, Gemm; fold BatchNormalization first)`,
        );
    }
  }
  const outName = graph.outputs[0]!.name;
  const outId = tensorValue.get(outName);
  if (outId === undefined) throw new CompileError(`graph output '${outName}' is not produced by a supported node`);
  const outVal = values[outId]!;
  if (!outVal.outputSlots) throw new CompileError(`graph output '${outName}' is a feature map; the compiler expects logits from the classifier (Gemm)`);
  const priced = priceSteps(steps, opsByStep, opts.costTable);
  return {
    version: 1,
    model: opts.model ?? graph.name,
    slots: opts.slots,
    levelsAfterBootstrap: L,
    inputLevel,
    // only when not the default: the default programs keep their hash (checkpoints and results refer to it)
    ...(placement !== "lazy" ? { placement } : {}),
    inputTensor: input.name,
    inputShape: [C0, H0, W0],
    outputTensor: outName,
    outputs: outVal.outputSlots.length,
    steps,
    outputValue: outId,
    summary: summarize(steps, priced),
    costModel: opts.costTable ? `${opts.costTable.preset} (N=${opts.costTable.N})` : undefined,
  };
}

function summarize(steps: HeStep[], predicted: number): HeProgram["summary"] {
  const rot = new Set<number>();
  let rotations = 0;
  let boots = 0;
  let inner = 0;
  let minLevel = Infinity;
  const by = { linear: 0, activation: 0, bootstrap: 0, add: 0 };
  for (const s of steps) {
    if (s.kind === "linear") {
      rotations += s.program.counts.rotations;
      for (const k of s.program.steps) rot.add(k);
      minLevel = Math.min(minLevel, s.outLevel);
      by.linear += s.predictedSeconds;
    } else if (s.kind === "activation") {
      inner += s.innerBootstraps.length;
      minLevel = Math.min(minLevel, s.outLevel);
      // refreshes inside a polynomial are bootstrap time
      by.activation += s.predictedSeconds - (s.predictedBootstrapSeconds ?? 0);
      by.bootstrap += s.predictedBootstrapSeconds ?? 0;
    } else if (s.kind === "bootstrap") {
      boots++;
      by.bootstrap += s.predictedSeconds;
    } else if (s.kind === "add") {
      minLevel = Math.min(minLevel, s.level);
      by.add += s.predictedSeconds;
    }
  }
  return {
    bootstraps: boots + inner,
    innerBootstraps: inner,
    rotations,
    rotationSteps: [...rot].sort((a, b) => a - b),
    linearLayers: steps.filter((s) => s.kind === "linear").length,
    activations: steps.filter((s) => s.kind === "activation").length,
    minLevel,
    predictedSeconds: predicted,
    predictedByKind: by,
  };
}

/** Plain-JSON view of a program for `ola compile --json` (no weights, no plaintext vectors). */
export function describeHeProgram(p: HeProgram): unknown {
  return {
    version: p.version,
    model: p.model,
    slots: p.slots,
    levelsAfterBootstrap: p.levelsAfterBootstrap,
    inputLevel: p.inputLevel,
    placement: p.placement ?? "lazy",
    costModel: p.costModel ?? null,
    summary: p.summary,
    steps: p.steps.map((s) => {
      const base = { index: s.index, kind: s.kind, predictedSeconds: s.predictedSeconds };
      switch (s.kind) {
        case "encrypt":
          return { ...base, tensor: s.tensor, level: s.level, layout: summarizeLayout(s.layout), inputChannels: s.inputChannels };
        case "linear":
          return {
            ...base,
            layer: s.layer,
            node: s.node,
            inLevel: s.inLevel,
            outLevel: s.outLevel,
            inLayout: summarizeLayout(s.inLayout),
            outLayout: s.outLayout ? summarizeLayout(s.outLayout) : null,
            rotations: s.program.counts.rotations,
            rotationSteps: s.program.steps,
            mulPlain: s.program.counts.mulPlain,
          };
        case "activation":
          return {
            ...base,
            site: s.site,
            inLevel: s.inLevel,
            outLevel: s.outLevel,
            depth: s.program.cost.depth,
            nonScalarMultiplications: s.program.cost.nonScalarMultiplications,
            innerBootstraps: s.innerBootstraps.length,
          };
        case "bootstrap":
          return { ...base, fromLevel: s.fromLevel, toLevel: s.toLevel, reason: s.reason };
        case "add":
          return { ...base, node: s.node, levelA: s.levelA, levelB: s.levelB, level: s.level };
      }
    }),
  };
}
