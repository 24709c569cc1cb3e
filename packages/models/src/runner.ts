// Plaintext execution with onnxruntime-node (CPU). One InferenceSession per model; intra-op threads configurable;
// the batch dimension is dynamic, so any batch size runs through the same session.
import ort from "onnxruntime-node";

export interface RunnerOptions {
  /** Intra-op threads (default 1). */
  threads?: number;
  /** ORT graph optimisation level (default "all"). */
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
}

export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

export type Feeds = Record<string, { data: Float32Array; dims: number[] }>;

export class OnnxRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly threads: number;
  private session: ort.InferenceSession | undefined;

  private constructor(session: ort.InferenceSession, threads: number) {
    this.session = session;
    this.threads = threads;
    this.inputNames = session.inputNames.slice();
    this.outputNames = session.outputNames.slice();
  }

  static async create(bytes: Uint8Array, opts: RunnerOptions = {}): Promise<OnnxRunner> {
    const threads = opts.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: opts.graphOptimizationLevel ?? "all",
      });
    } catch (e) {
      throw new Error(`onnxruntime could not load the model: ${(e as Error).message}`);
    }
    return new OnnxRunner(session, threads);
  }

  private get live(): ort.InferenceSession {
    if (!this.session) throw new Error("OnnxRunner used after release()");
    return this.session;
  }

  /** Runs the model; returns the requested outputs (default: all) as float32 arrays with dims. */
  async run(feeds: Feeds, outputs?: readonly string[]): Promise<Record<string, OutputTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor("float32", t.data, t.dims);
    const res = outputs ? await this.live.run(ortFeeds, outputs as string[]) : await this.live.run(ortFeeds);
    const out: Record<string, OutputTensor> = {};
    for (const [name, t] of Object.entries(res)) {
      if (t.type !== "float32") throw new Error(`output '${name}' has type ${t.type}; only float32 outputs are supported`);
      out[name] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
      t.dispose?.();
    }
    return out;
  }

  /** Runs a single-input model on a [n, ...] batch and returns its first (or named) output. */
  async runBatch(input: Float32Array, dims: number[], output?: string): Promise<OutputTensor> {
    const name = output ?? this.outputNames[0]!;
    const res = await this.run({ [this.inputNames[0]!]: { data: input, dims } }, [name]);
    return res[name]!;
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.release();
  }
}

/** Index of the largest logit of each row of a [n, classes] matrix (first index on ties, like torch.argmax). */
export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  if (!Number.isInteger(n)) throw new RangeError(`argmaxRows: ${logits.length} values is not a multiple of ${classes} classes`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = logits[i * classes]!;
    for (let k = 1; k < classes; k++) {
      const v = logits[i * classes + k]!;
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Number of rows whose argmax equals the label. */
export function top1(logits: Float32Array, labels: ArrayLike<number>, classes = 10): number {
  const pred = argmaxRows(logits, classes);
  if (pred.length !== labels.length) throw new RangeError(`top1: ${pred.length} rows of logits but ${labels.length} labels`);
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) correct++;
  return correct;
}
