/**
 * Worker-thread entry: receives solve requests one at a time (a long-lived solver thread takes
 * many), runs HiGHS, posts progress and the result. The stop flag is a shared Int32Array the caller sets to 1 to interrupt (read in HiGHS callbacks).
 */
import { parentPort } from "node:worker_threads";
import {
  type AdapterOptions,
  HeapExhausted,
  ModelReadError,
  ModelRejected,
  solveWithHighs,
} from "./highs.js";
import type { SolverInput } from "./payload.js";

/** One solve request posted to the worker. */
export interface WorkerRequest {
  input: SolverInput;
  opts: Omit<AdapterOptions, "shouldStop" | "onProgress" | "onLog">;
  stop: SharedArrayBuffer;
  wantProgress: boolean;
}

/** What the worker posts back: progress, the result, or an error. */
export type WorkerMessage =
  | { type: "progress"; progress: import("./result.js").SolveProgress }
  | { type: "log"; line: string }
  | { type: "done"; result: import("./highs.js").AdapterResult }
  | { type: "error"; kind: "heap" | "read" | "rejected" | "other"; message: string };

parentPort?.on("message", async (req: WorkerRequest) => {
  const flag = new Int32Array(req.stop);
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  try {
    const result = await solveWithHighs(req.input, {
      ...req.opts,
      shouldStop: () => Atomics.load(flag, 0) === 1,
      onProgress: req.wantProgress ? (progress) => post({ type: "progress", progress }) : undefined,
      // the log goes through the caller, in order before the result (a worker's own stderr is
      // lost when the caller terminates it)
      onLog: (line) => post({ type: "log", line }),
    });
    post({ type: "done", result });
  } catch (e) {
    const kind =
      e instanceof HeapExhausted
        ? "heap"
        : e instanceof ModelRejected
          ? "rejected"
          : e instanceof ModelReadError
            ? "read"
            : "other";
    post({ type: "error", kind, message: String((e as Error)?.message ?? e) });
  }
});
