/**
 * A simulated schedule as a Chrome trace, written by the one Chrome-trace writer
 * (`src/report/chrome-trace.ts`): a process per device with one thread (the compute stream), a
 * slice per action, and a counter track of live activation memory per device.
 */
import { chromeTraceJson, type TraceCounter, type TraceSlice } from "../../report/chrome-trace.js";
import type { SimResult } from "../simulate.js";
import type { UnitGraph } from "../units.js";

/** A simulated schedule as Chrome-trace JSON (times in seconds × `usPerUnit` µs). */
export function toChromeTrace(ug: UnitGraph, sim: SimResult, name = "schedule", usPerUnit = 1e6): string {
  const unitId = (u: number | undefined) => ug.units[u ?? -1]?.id;
  const slices: TraceSlice[] = [];
  const counters: TraceCounter[] = [];
  for (const [dev, d] of sim.devices.entries()) {
    for (const a of d.timeline)
      slices.push({
        pid: dev,
        tid: 0,
        name: a.pass === "FB" ? `F${a.mb}&B${a.mb2}` : `${a.pass}${a.mb}`,
        category: a.pass,
        start: a.start,
        end: a.end,
        args: {
          unit: unitId(a.unit),
          microBatch: a.mb,
          ...(a.pass === "FB" ? { backwardUnit: unitId(a.unit2), backwardMicroBatch: a.mb2 } : {}),
        },
      });
    for (const [time, bytes] of d.memory)
      counters.push({ pid: dev, name: "activation memory", time, values: { bytes } });
  }
  return chromeTraceJson({
    processes: sim.devices.map((_, dev) => ({
      pid: dev,
      name: `device ${dev}`,
      threads: [{ tid: 0, name: "compute" }],
    })),
    slices,
    counters,
    otherData: { schedule: name, makespan: sim.makespan },
    microsecondsPerUnit: usPerUnit,
  });
}
