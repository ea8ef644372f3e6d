/**
 * Chrome trace JSON (the Trace Event Format's complete events, `ph: "X"`, times in µs) that
 * Perfetto and chrome://tracing open: pid = device, tid = 0 (compute stream), one event per action,
 * plus a counter track (`ph: "C"`) of live activation memory per device.
 */
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";

/** A simulated schedule as Chrome-trace JSON (see the module comment). */
export function toChromeTrace(ug: UnitGraph, sim: SimResult, name = "schedule", usPerUnit = 1e6): string {
  const events: Record<string, unknown>[] = [];
  sim.devices.forEach((d, dev) => {
    events.push({ ph: "M", pid: dev, name: "process_name", args: { name: `device ${dev}` } });
    events.push({ ph: "M", pid: dev, tid: 0, name: "thread_name", args: { name: "compute" } });
    for (const a of d.timeline) {
      const label = a.pass === "FB" ? `F${a.mb}&B${a.mb2}` : `${a.pass}${a.mb}`;
      events.push({
        ph: "X",
        pid: dev,
        tid: 0,
        name: label,
        cat: a.pass,
        ts: a.start * usPerUnit,
        dur: (a.end - a.start) * usPerUnit,
        args: {
          unit: ug.units[a.unit]?.id,
          microBatch: a.mb,
          ...(a.pass === "FB"
            ? { backwardUnit: ug.units[a.unit2 ?? -1]?.id, backwardMicroBatch: a.mb2 }
            : {}),
        },
      });
    }
    for (const [t, v] of d.memory)
      events.push({ ph: "C", pid: dev, name: "activation memory", ts: t * usPerUnit, args: { bytes: v } });
  });
  return `${JSON.stringify({ traceEvents: events, displayTimeUnit: "ms", otherData: { schedule: name, makespan: sim.makespan } })}\n`;
}
