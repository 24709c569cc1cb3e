// Worker entry: one SEAL instance per worker thread. The context is built once from the parameter set, the
// evaluation keys arrive as bytes (Galois keys go to this worker's KeyStore and load into its wasm heap on
// demand), programs are registered once, then ops run on ciphertexts cached here by value id.
import { parentPort } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { Ciphertext } from "../ciphertext.js";
import { CkksContext } from "../context.js";
import { Evaluator } from "../evaluator.js";
import { sealSlotOps, type SealSlotOps } from "../linear/encrypted.js";
import type { SlotOp } from "../linear/program.js";
import { sealErrorMessage, wasmHeapBytes } from "../seal.js";
import { evalModHalf } from "../bootstrap/eval-mod-half.js";
import { dftBabyRange, dftBabySteps, evaluateDftNegativeChain, evaluateDftOutput, type DftOutputJob } from "../bootstrap/hom-dft.js";
import { RawPlaintextFactory } from "../bootstrap/seal-bytes.js";
import { type BabyRangeMessage, type DftChainMessage, type EvalModHalfMessage, type FromWorker, type ToWorker, packCiphertexts } from "./protocol.js";

if (!parentPort) throw new Error("workers/worker.ts must run inside a worker thread");
const port = parentPort;

let ctx: CkksContext | undefined;
let ev: Evaluator | undefined;
let ops: SealSlotOps | undefined;
const programs = new Map<number, { ops: SlotOp[]; plains: Float64Array[] }>();
const values = new Map<number, Ciphertext>();
/** Registered DFT outputs (bootstrap half worker) and the plaintext loader they need. */
const dftOutputs = new Map<number, DftOutputJob>();
let raw: RawPlaintextFactory | undefined;

const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

function value(id: number): Ciphertext {
  const v = values.get(id);
  if (!v) throw new Error(`value ${id} is not held by this worker`);
  return v;
}

function describeOp(o: SlotOp): string {
  switch (o.op) {
    case "rotate":
      return `rotate(r${o.a}, ${o.step})`;
    case "dot":
      return `dot(${o.terms.length} terms)`;
    case "add":
      return `add(r${o.a}, r${o.b})`;
    case "rescale":
      return `rescale(r${o.a})`;
    case "addPlain":
      return `addPlain(r${o.a})`;
  }
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case "init": {
      const t0 = performance.now();
      ctx = await CkksContext.create(m.params, { allowInsecure: m.allowInsecure });
      ev = new Evaluator(ctx, { relinKeys: m.relinKeys, galoisKeys: new Map(m.galoisKeys) }, { budgetBytes: m.keyBudgetBytes });
      ops = sealSlotOps(ev, { plainCacheBytes: m.plainCacheBytes });
      post({ type: "ready", seconds: (performance.now() - t0) / 1000 });
      return;
    }
    case "program":
      programs.set(m.id, { ops: m.ops, plains: m.plains });
      return;
    case "exec": {
      const t0 = performance.now();
      const loaded: number[] = [];
      try {
        if (!ctx || !ops) throw new Error("worker not initialised");
        for (const [id, bytes] of m.load)
          if (!values.has(id)) {
            values.set(id, Ciphertext.fromBytes(ctx, bytes));
            loaded.push(id);
          }
        const prog = programs.get(m.program);
        if (!prog) throw new Error(`program ${m.program} not registered`);
        const o = prog.ops[m.op]!;
        const regs = new Map(m.regs);
        const r = (reg: number) => value(regs.get(reg)!);
        let out: Ciphertext;
        try {
          switch (o.op) {
            case "rotate":
              out = ops.rotate(r(o.a), o.step);
              break;
            case "dot":
              out = ops.dot(o.terms.map((t) => ({ x: r(t.reg), plain: prog.plains[t.plain]! })));
              break;
            case "add":
              out = ops.add(r(o.a), r(o.b));
              break;
            case "rescale":
              out = ops.rescale(r(o.a));
              break;
            case "addPlain":
              out = ops.addPlain(r(o.a), prog.plains[o.plain]!);
              break;
          }
        } catch (e) {
          throw new Error(`op ${m.op} ${describeOp(o)}: ${ctx ? sealErrorMessage(ctx.seal, e) : String(e)}`);
        }
        values.set(m.out, out);
        post({ type: "done", task: m.task, seconds: (performance.now() - t0) / 1000, level: out.level });
      } catch (e) {
        // the main thread does not know this worker holds the operands it just loaded: free them
        for (const id of loaded) {
          values.get(id)?.dispose();
          values.delete(id);
        }
        post({ type: "error", task: m.task, message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
      }
      return;
    }
    case "export": {
      try {
        const bytes = value(m.value).toBytes();
        post({ type: "bytes", task: m.task, bytes }, [bytes.buffer as ArrayBuffer]);
      } catch (e) {
        post({ type: "error", task: m.task, message: e instanceof Error ? e.message : String(e) });
      }
      return;
    }
    case "stats":
      post({
        type: "stats",
        task: m.task,
        values: values.size,
        wasmHeapBytes: wasmHeapBytes() ?? null,
        residentKeySteps: ev ? [...ev.keyStore.stats().resident].sort((a, b) => a - b) : [],
      });
      return;
    case "drop":
      for (const id of m.values) {
        values.get(id)?.dispose();
        values.delete(id);
      }
      return;
    case "evalModHalf":
      runEvalModHalf(m);
      return;
    case "dftChain":
      runDftChain(m);
      return;
    case "babyRange":
      runBabyRange(m);
      return;
    case "registerDft":
      dftOutputs.set(m.id, m.job);
      return;
    case "unregisterDft":
      for (const id of m.ids) dftOutputs.delete(id);
      return;
    case "shutdown":
      for (const v of values.values()) v.dispose();
      values.clear();
      ops?.dispose();
      raw?.dispose();
      ev?.dispose();
      ctx?.dispose();
      port.close();
      return;
  }
}

/** Writes an answer into a shared reply buffer and wakes the caller blocked in Atomics.wait. */
function answerer(reply: SharedArrayBuffer): { ok(list: Uint8Array[]): void; fail(e: unknown): void } {
  const state = new Int32Array(reply, 0, 4);
  const data = new Uint8Array(reply, 16);
  const write = (code: 1 | 2, bytes: Uint8Array) => {
    const n = Math.min(bytes.byteLength, data.byteLength);
    data.set(bytes.subarray(0, n));
    Atomics.store(state, 1, n);
    Atomics.store(state, 0, code);
    Atomics.notify(state, 0);
  };
  return {
    ok(list) {
      const bytes = packCiphertexts(list);
      if (bytes.byteLength > data.byteLength) throw new Error(`result of ${bytes.byteLength} bytes exceeds the reply buffer (${data.byteLength})`);
      write(1, bytes);
    },
    fail(e) {
      write(2, new TextEncoder().encode(e instanceof Error ? e.message : String(e)));
    },
  };
}

function loadBabies(c: CkksContext, lists: Uint8Array[][]): Ciphertext[][] {
  const babies: Ciphertext[][] = [];
  try {
    for (const list of lists) {
      const row: Ciphertext[] = [];
      babies.push(row);
      for (const b of list) row.push(Ciphertext.fromBytes(c, b));
    }
    return babies;
  } catch (e) {
    for (const row of babies) for (const ct of row) ct.dispose();
    throw e;
  }
}

/** Serialises and frees each ciphertext. */
function toBytesAll(list: Ciphertext[]): Uint8Array[] {
  try {
    return list.map((c) => c.toBytes());
  } finally {
    for (const c of list) c.dispose();
  }
}

/** Runs a bootstrap half and answers through the shared reply buffer (the caller is blocked in Atomics.wait). */
function runEvalModHalf(m: EvalModHalfMessage): void {
  const answer = answerer(m.reply);
  try {
    if (!ctx || !ev) throw new Error("worker not initialised");
    let y: Ciphertext;
    if (m.dft) {
      const job = dftOutputs.get(m.dft.id);
      if (!job) throw new Error(`DFT output ${m.dft.id} is not registered`);
      raw ??= new RawPlaintextFactory(ctx);
      const babies = loadBabies(ctx, m.dft.babies);
      try {
        y = evaluateDftOutput(ev, raw, job, (i, g, b) => job.plaintexts.get(`${i}|${g}|${b}`), babies, m.dft.outScale);
      } catch (e) {
        throw new Error(`CoeffToSlot output ${job.output}: ${sealErrorMessage(ctx.seal, e)}`);
      } finally {
        for (const row of babies) for (const c of row) c.dispose();
      }
    } else if (m.bytes) y = Ciphertext.fromBytes(ctx, m.bytes);
    else throw new Error("evalModHalf: no input");
    let out: Ciphertext;
    try {
      out = evalModHalf(ev, y, m.job);
    } catch (e) {
      throw new Error(sealErrorMessage(ctx.seal, e));
    } finally {
      y.dispose();
    }
    let list: Ciphertext[] = [out];
    if (m.babiesAfter) {
      try {
        list = dftBabySteps(ev, out, m.babiesAfter.stride, m.babiesAfter.maxBaby);
      } catch (e) {
        throw new Error(`SlotToCoeff baby steps: ${sealErrorMessage(ctx.seal, e)}`);
      } finally {
        out.dispose();
      }
    }
    answer.ok(toBytesAll(list));
  } catch (e) {
    answer.fail(e);
  }
}

/** The negative-giant chain of a registered DFT output (the caller runs the rest of the output meanwhile). */
function runDftChain(m: DftChainMessage): void {
  const answer = answerer(m.reply);
  try {
    if (!ctx || !ev) throw new Error("worker not initialised");
    const job = dftOutputs.get(m.id);
    if (!job) throw new Error(`DFT output ${m.id} is not registered`);
    raw ??= new RawPlaintextFactory(ctx);
    const babies = loadBabies(ctx, m.babies);
    let out: Ciphertext | undefined;
    try {
      out = evaluateDftNegativeChain(ev, raw, job, (i, g, b) => job.plaintexts.get(`${i}|${g}|${b}`), babies);
    } catch (e) {
      throw new Error(`DFT level ${job.level} negative giant chain: ${sealErrorMessage(ctx.seal, e)}`);
    } finally {
      for (const row of babies) for (const c of row) c.dispose();
    }
    answer.ok(out ? toBytesAll([out]) : []);
  } catch (e) {
    answer.fail(e);
  }
}

/** Baby steps x_from..x_to of a DFT level's input (the caller computes x_0..x_{from−1} meanwhile). */
function runBabyRange(m: BabyRangeMessage): void {
  const answer = answerer(m.reply);
  try {
    if (!ctx || !ev) throw new Error("worker not initialised");
    const x = Ciphertext.fromBytes(ctx, m.bytes);
    let list: Ciphertext[];
    try {
      list = dftBabyRange(ev, x, m.stride, m.from, m.to, m.fromStep);
    } catch (e) {
      throw new Error(`baby steps ${m.from}..${m.to}: ${sealErrorMessage(ctx.seal, e)}`);
    } finally {
      x.dispose();
    }
    answer.ok(toBytesAll(list));
  } catch (e) {
    answer.fail(e);
  }
}

// Messages are handled strictly in order (init is the only asynchronous step).
let chain: Promise<void> = Promise.resolve();
port.on("message", (m: ToWorker) => {
  chain = chain.then(() =>
    handle(m).catch((e: unknown) => {
      post({ type: "error", task: -1, message: `${m.type}: ${e instanceof Error ? e.message : String(e)}` });
    }),
  );
});
