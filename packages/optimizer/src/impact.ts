// Accuracy impact of one (site, candidate): replace that site alone and measure the damage on an
// impact set (images disjoint from the final test evaluation). To be fast it reuses work:
// - the exact network runs once per site with the site's input and the suffix's other inputs
//   exposed (cached for the whole impact set);
// - each candidate's polynomial is evaluated on the cached site input in JS (the same PolyProgram
//   arithmetic the ONNX subgraph and the CKKS runtime use);
// - only the suffix subgraph downstream of the site is re-run per candidate.
import { argmaxRows, meanKlDivergence, softmaxRows, top1ChangePercent } from "./divergence.js";
import { suffixOf, type GraphLike } from "./suffix.js";

export interface TensorValue {
  data: Float32Array;
  dims: number[];
}

export interface InferenceSession {
  run(feeds: Record<string, TensorValue>, outputs?: string[]): Promise<Record<string, TensorValue>>;
  dispose(): Promise<void> | void;
}

/** What impact measurement needs from @ola/models (injected so that this file stays testable). */
export interface InferenceBackend {
  exposeTensors(modelBytes: Uint8Array, tensors: string[]): Uint8Array;
  extractSubgraph(modelBytes: Uint8Array, inputs: string[], outputs: string[]): Uint8Array;
  createSession(modelBytes: Uint8Array): Promise<InferenceSession>;
}

/** A polynomial evaluated elementwise on a site's input (float64 in, float64 out). */
export type ElementwiseFn = (x: Float64Array) => Float64Array;

export interface Impact {
  /** Mean KL(softmax(exact) || softmax(approx)) over the impact set, nats. */
  kl: number;
  /** Percentage of impact images whose top-1 class changes. */
  top1Change: number;
}

export interface SiteRef {
  id: string;
  inputTensor: string;
  outputTensor: string;
}

/** Evaluate `fn` over `x` in chunks (bounded temporary memory), writing float32. */
export function applyElementwise(fn: ElementwiseFn, x: Float32Array, chunk = 1 << 16): Float32Array {
  const out = new Float32Array(x.length);
  const buf = new Float64Array(Math.min(chunk, x.length));
  for (let s = 0; s < x.length; s += chunk) {
    const n = Math.min(chunk, x.length - s);
    const view = n === buf.length ? buf : buf.subarray(0, n);
    for (let i = 0; i < n; i++) view[i] = x[s + i]!;
    const y = fn(view);
    for (let i = 0; i < n; i++) out[s + i] = y[i]!;
  }
  return out;
}

/** Concatenate batch results along the first dimension. */
function concatBatches(parts: TensorValue[]): TensorValue {
  const total = parts.reduce((s, p) => s + p.data.length, 0);
  const data = new Float32Array(total);
  let off = 0;
  let rows = 0;
  for (const p of parts) {
    data.set(p.data, off);
    off += p.data.length;
    rows += p.dims[0]!;
  }
  return { data, dims: [rows, ...parts[0]!.dims.slice(1)] };
}

function sliceRows(t: TensorValue, start: number, end: number): TensorValue {
  const per = t.data.length / t.dims[0]!;
  return { data: t.data.subarray(start * per, end * per), dims: [end - start, ...t.dims.slice(1)] };
}

export interface ImpactEngineOptions {
  /** Name of the model's image input and its logits output. */
  inputName: string;
  outputName: string;
  /** Normalised impact images, NCHW float32, and their count. */
  images: Float32Array;
  count: number;
  /** Rows per onnxruntime call. */
  batchSize?: number;
}

/** Cached exact tensors for one site and the session of its suffix. */
export interface PreparedSite {
  site: SiteRef;
  /** The site's exact input on the impact set. */
  input: TensorValue;
  /** Other external inputs of the suffix (e.g. the residual shortcut), exact. */
  others: Record<string, TensorValue>;
  suffix: InferenceSession;
  /** Number of suffix nodes (for reporting). */
  suffixNodes: number;
}

/**
 * Measures single-site impacts against the exact model. Create once per model and impact set,
 * then `prepare(site)` → `measure(prepared, fn)` for each candidate → `release(prepared)`.
 */
export class ImpactEngine {
  private cache = new Map<string, TensorValue>();
  private exactProbs?: Float64Array;
  private exactTop1?: Int32Array;
  readonly batchSize: number;
  classes = 0;

  constructor(
    readonly backend: InferenceBackend,
    readonly modelBytes: Uint8Array,
    readonly graph: GraphLike,
    readonly opts: ImpactEngineOptions,
  ) {
    this.batchSize = opts.batchSize ?? 128;
  }

  private imageBatch(start: number, end: number): TensorValue {
    const per = this.opts.images.length / this.opts.count;
    return { data: this.opts.images.subarray(start * per, end * per), dims: [end - start, ...inferImageDims(per)] };
  }

  /** Run a session over the impact set in batches; returns the requested outputs concatenated. */
  private async runAll(session: InferenceSession, outputs: string[]): Promise<Record<string, TensorValue>> {
    const parts: Record<string, TensorValue[]> = Object.fromEntries(outputs.map((o) => [o, []]));
    for (let s = 0; s < this.opts.count; s += this.batchSize) {
      const e = Math.min(this.opts.count, s + this.batchSize);
      const r = await session.run({ [this.opts.inputName]: this.imageBatch(s, e) }, outputs);
      for (const o of outputs) {
        const t = r[o];
        if (!t) throw new Error(`model did not return tensor '${o}'`);
        // copy: onnxruntime may reuse output buffers between runs
        parts[o]!.push({ data: Float32Array.from(t.data), dims: t.dims });
      }
    }
    return Object.fromEntries(outputs.map((o) => [o, concatBatches(parts[o]!)]));
  }

  /** Exact softmax probabilities and top-1 on the impact set (computed once). */
  async exact(): Promise<{ probs: Float64Array; top1: Int32Array; logits: TensorValue }> {
    const session = await this.backend.createSession(this.modelBytes);
    try {
      const r = await this.runAll(session, [this.opts.outputName]);
      const logits = r[this.opts.outputName]!;
      this.setExact(logits);
      return { probs: this.exactProbs!, top1: this.exactTop1!, logits };
    } finally {
      await session.dispose();
    }
  }

  /** Tensors a site's impact measurement reads: its input and the suffix's other inputs. */
  private needed(site: SiteRef): { spec: ReturnType<typeof suffixOf>; others: string[]; wanted: string[] } {
    const spec = suffixOf(this.graph, site.outputTensor);
    if (!spec.outputs.includes(this.opts.outputName)) {
      throw new Error(`site ${site.id}: its suffix does not reach the output '${this.opts.outputName}'`);
    }
    const others = spec.inputs.filter((t) => t !== site.outputTensor);
    return { spec, others, wanted: [site.inputTensor, ...others.filter((t) => t !== site.inputTensor)] };
  }

  /**
   * One exact pass over the impact set that caches every tensor the given sites need (instead of one
   * pass per site). Memory: the impact set times the sizes of those tensors.
   */
  async cacheSites(sites: SiteRef[]): Promise<void> {
    const wanted = [...new Set(sites.flatMap((s) => this.needed(s).wanted))].filter((t) => !this.cache.has(t));
    if (wanted.length === 0) return;
    const session = await this.backend.createSession(this.backend.exposeTensors(this.modelBytes, [...wanted, this.opts.outputName]));
    try {
      const r = await this.runAll(session, [...wanted, this.opts.outputName]);
      for (const t of wanted) this.cache.set(t, r[t]!);
      if (!this.exactProbs) this.setExact(r[this.opts.outputName]!);
    } finally {
      await session.dispose();
    }
  }

  private setExact(logits: TensorValue): void {
    this.classes = logits.dims[1]!;
    this.exactProbs = softmaxRows(logits.data, this.classes);
    this.exactTop1 = argmaxRows(logits.data, this.classes);
  }

  async prepare(site: SiteRef): Promise<PreparedSite> {
    const { spec, others, wanted } = this.needed(site);
    if (!wanted.every((t) => this.cache.has(t))) await this.cacheSites([site]);
    if (!this.exactProbs) await this.exact();
    const cached = Object.fromEntries(wanted.map((t) => [t, this.cache.get(t)!]));
    const suffixBytes = this.backend.extractSubgraph(this.modelBytes, spec.inputs, [this.opts.outputName]);
    const suffix = await this.backend.createSession(suffixBytes);
    return {
      site,
      input: cached[site.inputTensor]!,
      others: Object.fromEntries(others.map((t) => [t, cached[t]!])),
      suffix,
      suffixNodes: spec.nodes.length,
    };
  }

  /**
   * Impact of replacing the prepared site's activation by `fn` (applied to its exact input), on the
   * whole impact set or, with `images`, on its first `images` images (a cheaper screen).
   */
  async measure(p: PreparedSite, fn: ElementwiseFn, images?: number): Promise<Impact> {
    const n = Math.max(1, Math.min(this.opts.count, images ?? this.opts.count));
    const per = p.input.data.length / this.opts.count;
    const y = applyElementwise(fn, n === this.opts.count ? p.input.data : p.input.data.subarray(0, n * per));
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i]!)) return { kl: Infinity, top1Change: 100 };
    }
    const out: TensorValue[] = [];
    const siteOut: TensorValue = { data: y, dims: [n, ...p.input.dims.slice(1)] };
    for (let s = 0; s < n; s += this.batchSize) {
      const e = Math.min(n, s + this.batchSize);
      const feeds: Record<string, TensorValue> = { [p.site.outputTensor]: sliceRows(siteOut, s, e) };
      for (const [k, v] of Object.entries(p.others)) feeds[k] = sliceRows(v, s, e);
      const r = await p.suffix.run(feeds, [this.opts.outputName]);
      out.push({ data: Float32Array.from(r[this.opts.outputName]!.data), dims: r[this.opts.outputName]!.dims });
    }
    const logits = concatBatches(out).data;
    return this.compare(logits);
  }

  /** Damage of arbitrary logits (same impact set) relative to the exact model. */
  /** Logits of the first k impact images are compared with the exact model's first k. */
  compare(logits: Float32Array): Impact {
    if (!this.exactProbs || !this.exactTop1) throw new Error("ImpactEngine.exact() has not run");
    const k = logits.length / this.classes;
    const kl = meanKlDivergence(this.exactProbs.subarray(0, k * this.classes), logits, this.classes);
    if (!Number.isFinite(kl)) return { kl: Infinity, top1Change: 100 };
    return { kl, top1Change: top1ChangePercent(this.exactTop1.subarray(0, k), argmaxRows(logits, this.classes)) };
  }

  /** Run a whole (modified) model on the impact set and compare with the exact model. */
  async measureModel(modelBytes: Uint8Array): Promise<Impact> {
    const session = await this.backend.createSession(modelBytes);
    try {
      const r = await this.runAll(session, [this.opts.outputName]);
      return this.compare(r[this.opts.outputName]!.data);
    } finally {
      await session.dispose();
    }
  }

  /** Dispose the suffix session; with `dropCache`, also forget the cached tensors only this site used. */
  async release(p: PreparedSite, dropCache: string[] = []): Promise<void> {
    await p.suffix.dispose();
    for (const t of dropCache) this.cache.delete(t);
  }
}

/** CHW dims of a flattened image of `per` floats (CIFAR: 3x32x32). */
function inferImageDims(per: number): number[] {
  const hw = Math.round(Math.sqrt(per / 3));
  if (3 * hw * hw !== per) throw new Error(`cannot infer image dims from ${per} values per image`);
  return [3, hw, hw];
}
