/**
 * Solving: a Model or LP/MPS text in, a SolveResult value out. By default the solve runs in a
 * worker thread so the caller can show progress and cancel (AbortSignal) while HiGHS works;
 * cancelling returns the best solution found so far with status `interrupted`. Many small solves
 * in a row (`reuseWorker`) share one long-lived solver thread, so they stay cancellable without
 * paying a thread start (and HiGHS's load) per solve.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { InputError, MisuseError, SolverError } from "../errors/index.js";
import {
  type AdapterOptions,
  type AdapterResult,
  HeapExhausted,
  ModelReadError,
  ModelRejected,
  solveWithHighs,
} from "./highs.js";
import type { Model } from "./model.js";
import { type SolverInput, toPayload } from "./payload.js";
import { type SolveOptions, SolveOptionsSchema, type SolveResult, type WarmStart } from "./result.js";
import type { WorkerMessage, WorkerRequest } from "./solve-worker.js";

/**
 * Solves a model built with the modeling layer. Values are indexed like the model's variables.
 * Infeasible, unbounded and stopped-at-a-limit are statuses of the result, not errors.
 */
export async function solveModel(model: Model, options: SolveOptions = {}): Promise<SolveResult> {
  if (model.numVars === 0)
    throw new MisuseError({
      where: model.name,
      what: "the model has no variables",
      hint: "add variables before solving",
    });
  return run(toPayload(model), options, model.name);
}

/** Solves CPLEX LP text or MPS (text or bytes). `source` names the input in errors. */
export async function solveText(
  data: string | Uint8Array,
  format: "lp" | "mps",
  options: SolveOptions = {},
  source = `<${format} text>`,
): Promise<SolveResult> {
  return run({ kind: "text", format, data }, options, source);
}

async function run(input: SolverInput, options: SolveOptions, source: string): Promise<SolveResult> {
  const { warmStart, signal, onProgress, ...rest } = options;
  const base = SolveOptionsSchema.parse(rest);
  const adapterOpts: Omit<AdapterOptions, "shouldStop" | "onProgress" | "onLog"> = {
    timeLimit: base.timeLimit,
    nodeLimit: base.nodeLimit,
    gap: base.gap,
    seed: base.seed,
    log: base.log,
    ...(warmStart ? adapterStart(warmStart) : {}),
  };
  const extraNotes: string[] = [];
  if (base.threads !== undefined && base.threads !== 1)
    extraNotes.push(`threads=${base.threads} ignored: the WebAssembly build of HiGHS is single-threaded`);
  let result: AdapterResult;
  try {
    result = base.inline
      ? await solveWithHighs(input, { ...adapterOpts, shouldStop: () => !!signal?.aborted, onProgress })
      : await inWorker(input, adapterOpts, signal, onProgress, !!base.reuseWorker);
  } catch (e) {
    throw solveError(e, input, source);
  }
  const { isMip: _isMip, ...out } = result;
  return { ...out, notes: [...extraNotes, ...out.notes] };
}

/** A MIP start in the adapter's form: by name, or sparse index/value arrays (NaN in a dense start = no value). */
function adapterStart(w: WarmStart): Pick<AdapterOptions, "warmByName" | "warmIndices" | "warmValues"> {
  if ("byName" in w) return { warmByName: { ...w.byName } };
  const idx: number[] = [];
  const val: number[] = [];
  const src = w.byIndex;
  if (src instanceof Map)
    for (const [i, v] of src) {
      idx.push(i);
      val.push(v);
    }
  else
    for (const [i, v] of Array.from(src as ArrayLike<number>).entries()) {
      if (Number.isNaN(v)) continue;
      idx.push(i);
      val.push(v);
    }
  return { warmIndices: Int32Array.from(idx), warmValues: Float64Array.from(val) };
}

/** A solver failure as a typed error: heap exhaustion, unreadable input, or anything else. */
function solveError(e: unknown, input: SolverInput, source: string): Error {
  if (e instanceof HeapExhausted || (e instanceof SolverError && /heap/.test(e.what)))
    return new SolverError({
      where: source,
      what: "the model is too large for the solver's 2 GiB WebAssembly heap",
      hint: "make the model smaller (fewer variables/constraints: coarsen, shorten the horizon, fix more variables)",
      cause: e,
    });
  const msg = String((e as Error)?.message ?? e);
  if (e instanceof ModelRejected)
    return new InputError({
      where: source,
      what: `the solver refused the model (${msg})`,
      hint: "check its coefficients: HiGHS takes values of 1e20 and more as infinite, which a cost or a matrix entry cannot be",
      cause: e,
    });
  if (e instanceof ModelReadError)
    return new InputError({
      where: source,
      what: `the solver could not read the model (${msg})`,
      hint: `check that it is valid ${input.kind === "text" ? input.format.toUpperCase() : "LP"}`,
      cause: e,
    });
  return new SolverError({
    where: source,
    what: `the solver failed (${msg})`,
    hint: "run with --debug and report it",
    cause: e,
  });
}

/**
 * Starts the solver worker. From the compiled package it is `solve-worker.js`; when running from
 * the TypeScript sources (tests, `npm run frugal`) a two-line bootstrap registers tsx first.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./solve-worker.js", import.meta.url));
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve("tsx/esm/api")
      .replace(/\.cjs$/, ".mjs"),
  ).href;
  const entry = new URL("./solve-worker.ts", import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true });
}

/**
 * The idle long-lived solver thread of `reuseWorker` solves (unreferenced: it never keeps the
 * process alive). A solve takes it, or starts one when it is busy; a clean finish puts it back.
 */
let idleWorker: Worker | undefined;

function inWorker(
  input: SolverInput,
  opts: Omit<AdapterOptions, "shouldStop" | "onProgress" | "onLog">,
  signal: AbortSignal | undefined,
  onProgress: SolveOptions["onProgress"],
  reuse: boolean,
): Promise<AdapterResult> {
  const stop = new SharedArrayBuffer(4);
  const flag = new Int32Array(stop);
  let worker: Worker;
  if (reuse && idleWorker) {
    worker = idleWorker;
    idleWorker = undefined;
    worker.ref();
  } else worker = startWorker();
  return new Promise<AdapterResult>((resolve, reject) => {
    let settled = false;
    const onAbort = () => Atomics.store(flag, 0, 1);
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort);
    const finish = (fn: () => void, clean: boolean) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      if (reuse && clean && !idleWorker) {
        worker.unref();
        idleWorker = worker;
      } else void worker.terminate();
      fn();
    };
    const onMessage = (m: WorkerMessage) => {
      if (m.type === "progress") onProgress?.(m.progress);
      else if (m.type === "log") process.stderr.write(m.line);
      else if (m.type === "done") finish(() => resolve(m.result), true);
      else
        finish(
          () =>
            reject(
              m.kind === "heap"
                ? new HeapExhausted(m.message)
                : m.kind === "rejected"
                  ? new ModelRejected(m.message)
                  : m.kind === "read"
                    ? new ModelReadError(m.message)
                    : new Error(m.message),
            ),
          m.kind === "read" || m.kind === "rejected",
        );
    };
    const onError = (e: Error) => finish(() => reject(isOom(e) ? new HeapExhausted(String(e)) : e), false);
    const onExit = (code: number) =>
      finish(() => reject(new Error(`solver worker exited with code ${code}`)), false);
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    const req: WorkerRequest = { input, opts, stop, wantProgress: !!onProgress };
    worker.postMessage(req);
  });
}

function isOom(e: unknown): boolean {
  return /memory|ERR_WORKER_OUT_OF_MEMORY/i.test(
    String((e as Error)?.message ?? e) + String((e as { code?: string })?.code ?? ""),
  );
}
