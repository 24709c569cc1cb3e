// Starting a worker thread on workers/worker.ts (one SEAL instance per thread): shared by the WorkerPool
// (linear layers) and the bootstrap's half worker (bootstrap/half-worker.ts).
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Starts a worker on the built .js entry, or, when this module runs from its .ts source (vitest, tsx),
 * on the .ts entry through a tiny eval bootstrap that registers tsx's ESM hooks inside the worker
 * (`execArgv: ['--import', 'tsx']` does not reach worker threads on Node 20).
 */
export function startWorker(): Worker {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith(".ts")) return new Worker(new URL("./worker.js", import.meta.url));
  let api = "tsx/esm/api";
  try {
    // the "require" condition resolves to index.cjs; its ESM sibling is the one to import
    api = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  } catch {
    // fall back to resolving from the working directory
  }
  const entry = new URL("./worker.ts", import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true });
}
