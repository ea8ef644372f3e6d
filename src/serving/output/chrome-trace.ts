/**
 * Chrome trace (Trace Event Format, "X" complete events, microseconds) of the runs: one process
 * per policy, one thread per client, one event per iteration. Opens in Perfetto / chrome://tracing.
 */
import type { SimRun } from "../sim/simulate.js";

/** The runs as Chrome-trace JSON text. */
export function chromeTrace(runs: readonly SimRun[]): string {
  const ev: unknown[] = [];
  runs.forEach((run, pid) => {
    ev.push({ name: "process_name", ph: "M", pid, args: { name: run.policy } });
    for (const c of run.clients) {
      ev.push({ name: "thread_name", ph: "M", pid, tid: c.index, args: { name: `client ${c.index}` } });
      const L = c.log;
      for (const [k, start] of L.start.entries()) {
        const p = L.prefills[k] ?? 0;
        const d = L.decodes[k] ?? 0;
        const end = L.end[k] ?? start;
        ev.push({
          name: p && d ? "mixed" : p ? "prefill" : "decode",
          cat: "iteration",
          ph: "X",
          pid,
          tid: c.index,
          ts: Math.round(start * 1e6 * 1000) / 1000,
          dur: Math.round((end - start) * 1e6 * 1000) / 1000,
          args: { prefills: p, decodes: d, tokens: L.tokens[k] ?? 0 },
        });
      }
    }
  });
  return JSON.stringify({ traceEvents: ev, displayTimeUnit: "ms" });
}
