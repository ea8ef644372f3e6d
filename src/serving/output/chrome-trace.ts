/**
 * Chrome trace of the runs (through the project's one writer, src/report/chrome-trace.ts): one
 * process per policy, one thread per client, one slice per iteration named by its kind (prefill,
 * decode, mixed). Times are on the trace's own clock (each run's origin added back). Opens in
 * Perfetto / chrome://tracing.
 */
import { type ChromeTraceInput, chromeTraceChunks, type TraceSlice } from "../../report/chrome-trace.js";
import type { SimRun } from "../sim/simulate.js";

function* slices(runs: readonly SimRun[]): Generator<TraceSlice> {
  for (const [pid, run] of runs.entries())
    for (const c of run.clients) {
      const L = c.log;
      for (const [k, start] of L.start.entries()) {
        const p = L.prefills[k] ?? 0;
        const d = L.decodes[k] ?? 0;
        yield {
          pid,
          tid: c.index,
          name: p && d ? "mixed" : p ? "prefill" : "decode",
          category: "iteration",
          start: run.origin + start,
          end: run.origin + (L.end[k] ?? start),
          args: { prefills: p, decodes: d, tokens: L.tokens[k] ?? 0 },
        };
      }
    }
}

/** The runs as the Chrome-trace writer's input. */
export function chromeTraceInput(runs: readonly SimRun[]): ChromeTraceInput {
  return {
    processes: runs.map((run, pid) => ({
      pid,
      name: run.policy,
      threads: run.clients.map((c) => ({ tid: c.index, name: `client ${c.index}` })),
    })),
    slices: { [Symbol.iterator]: () => slices(runs) },
    otherData: { trace: runs[0]?.trace ?? null, policies: runs.map((r) => r.policy) },
  };
}

/** The runs as Chrome-trace JSON text, in pieces (join them, or write them one by one). */
export function chromeTraceParts(runs: readonly SimRun[]): Iterable<string> {
  return { [Symbol.iterator]: () => chromeTraceChunks(chromeTraceInput(runs)) };
}

/** The runs as Chrome-trace JSON text. */
export function chromeTrace(runs: readonly SimRun[]): string {
  return [...chromeTraceParts(runs)].join("");
}
