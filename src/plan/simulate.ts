/**
 * Event simulator: times any schedule (per-device ordered actions) on any unit graph and cluster.
 * Each device runs its list in order; an action starts when the device is free and every input
 * has arrived (producer end + link transfer when on another device). Dependencies, per micro-batch:
 *   F(u)  after F(p) for every predecessor p;
 *   I/B(u) after F(u) and after the backward (I, B or FB's backward) of every successor;
 *   W(u)  after I(u).
 * Memory: a forward allocates its unit's activation at its start; a full backward (B or FB's
 * backward half) or the W step frees it at its end. At equal times frees are counted first.
 * The bubble of a device is makespan − busy time (spec: plan.md, "Define the bubble …").
 */
import type { Cluster } from "./cluster.js";
import { transferTime } from "./cluster.js";
import { ScheduleError } from "./errors.js";
import type { Action, Schedule } from "./schedule.js";
import { actionLabel } from "./schedule.js";
import type { UnitGraph } from "./units.js";

/** An action with its simulated start and end. */
export interface TimedAction extends Action {
  start: number;
  end: number;
}

/** One device's simulated timeline, busy time, bubble and memory. */
export interface DeviceStats {
  busy: number;
  /** makespan − busy. */
  bubble: number;
  peakMemoryBytes: number;
  timeline: TimedAction[];
  /** Step curve of live activation memory: [time, bytes] after each change. */
  memory: [number, number][];
}

/** A schedule timed by the simulator: makespan, bubbles, peak memory, per-device timelines. */
export interface SimResult {
  makespan: number;
  devices: DeviceStats[];
  bubbleMax: number;
  bubbleMean: number;
  /** Σ bubble / (devices × makespan). */
  bubbleRatio: number;
  peakMemoryBytes: number;
}

/** Duration of an action on a device of the given speed. */
function passDuration(ug: UnitGraph, a: Action, speed = 1): number {
  const u = ug.units[a.unit]!;
  switch (a.pass) {
    case "F":
      return u.forward / speed;
    case "B":
      return u.backward / speed;
    case "I":
      return (u.backward - u.weight) / speed;
    case "W":
      return u.weight / speed;
    case "FB": {
      const v = ug.units[a.unit2!]!;
      return ((ug.overlapFactor ?? 1) * (u.forward + v.backward)) / speed;
    }
  }
}

interface Slot {
  dev: number;
  pos: number;
}

/** Where each pass of each (unit, mb) sits; validates that every pass is scheduled exactly once. */
function locate(ug: UnitGraph, s: Schedule) {
  const M = ug.microBatches;
  const N = ug.units.length * M;
  const f: (Slot | undefined)[] = new Array(N);
  const b: (Slot | undefined)[] = new Array(N); // I, B, or FB backward half
  const w: (Slot | undefined)[] = new Array(N);
  const split = new Uint8Array(N); // 1 when the backward is an I (needs a W)
  const put = (arr: (Slot | undefined)[], k: number, slot: Slot, a: Action, what: string) => {
    if (arr[k])
      throw new ScheduleError({
        where: `schedule ${s.name}: device ${slot.dev}`,
        what: `${what} of ${actionLabel(a)} is scheduled twice`,
        hint: "schedule each pass once",
      });
    arr[k] = slot;
  };
  const check = (unit: number | undefined, mb: number | undefined, a: Action) => {
    if (
      unit === undefined ||
      mb === undefined ||
      unit < 0 ||
      unit >= ug.units.length ||
      mb < 0 ||
      mb >= M ||
      !Number.isInteger(mb)
    )
      throw new ScheduleError({
        where: `schedule ${s.name}`,
        what: `action ${JSON.stringify(a)} names no unit/micro-batch of the graph`,
        hint: `units 0..${ug.units.length - 1}, micro-batches 0..${M - 1}`,
      });
    return unit * M + mb;
  };
  s.devices.forEach((list, dev) =>
    list.forEach((a, pos) => {
      const slot = { dev, pos };
      const k = check(a.unit, a.mb, a);
      if (a.pass === "F") put(f, k, slot, a, "forward");
      else if (a.pass === "B") put(b, k, slot, a, "backward");
      else if (a.pass === "I") {
        put(b, k, slot, a, "backward");
        split[k] = 1;
      } else if (a.pass === "W") put(w, k, slot, a, "weight step");
      else {
        put(f, k, slot, a, "forward");
        put(b, check(a.unit2, a.mb2, a), slot, a, "backward");
      }
    }),
  );
  for (let k = 0; k < N; k++) {
    const lbl = `unit ${ug.units[Math.floor(k / M)]!.id} micro-batch ${k % M}`;
    if (!f[k])
      throw new ScheduleError({
        where: `schedule ${s.name}`,
        what: `no forward for ${lbl}`,
        hint: "every unit runs every micro-batch forward",
      });
    if (!b[k])
      throw new ScheduleError({
        where: `schedule ${s.name}`,
        what: `no backward for ${lbl}`,
        hint: "add a B (or I + W) action",
      });
    if (split[k] && !w[k])
      throw new ScheduleError({
        where: `schedule ${s.name}`,
        what: `an I without W for ${lbl}`,
        hint: "add the W action",
      });
    if (!split[k] && w[k])
      throw new ScheduleError({
        where: `schedule ${s.name}`,
        what: `a W without I for ${lbl}`,
        hint: "W follows an I, not a full B",
      });
    if (b[k]!.dev !== f[k]!.dev || (w[k] && w[k]!.dev !== f[k]!.dev))
      throw new ScheduleError({
        where: `schedule ${s.name}`,
        what: `backward of ${lbl} is not on the device of its forward`,
        hint: "activations live where the forward ran",
      });
  }
  return { f, b, w, split };
}

/** Times a schedule on a unit graph and a cluster (see the module comment); a ScheduleError when it cannot run. */
export function simulate(ug: UnitGraph, cluster: Cluster, s: Schedule): SimResult {
  const D = s.devices.length;
  if (D > cluster.devices.length)
    throw new ScheduleError({
      where: `schedule ${s.name}`,
      what: `uses ${D} devices but the cluster has ${cluster.devices.length}`,
      hint: "give a cluster with enough devices",
    });
  const M = ug.microBatches;
  const N = ug.units.length * M;
  const loc = locate(ug, s);
  const fEnd = new Float64Array(N).fill(Number.NaN);
  const bEnd = new Float64Array(N).fill(Number.NaN);
  const timelines: TimedAction[][] = s.devices.map(() => []);
  const free = new Float64Array(D);
  const ptr = new Int32Array(D);
  let remaining = s.devices.reduce((n, l) => n + l.length, 0);

  const bytes = (a: number, b: number) => ug.edgeBytes.get(`${a},${b}`) ?? 0;
  const fwdReady = (u: number, mb: number, dev: number): number => {
    let r = 0;
    for (const p of ug.preds[u]!) {
      const e = fEnd[p * M + mb]!;
      if (Number.isNaN(e)) return Number.NaN;
      r = Math.max(r, e + transferTime(cluster, loc.f[p * M + mb]!.dev, dev, bytes(p, u)));
    }
    return r;
  };
  const bwdReady = (u: number, mb: number, dev: number): number => {
    const fe = fEnd[u * M + mb]!;
    if (Number.isNaN(fe)) return Number.NaN;
    let r = fe;
    for (const q of ug.succs[u]!) {
      const e = bEnd[q * M + mb]!;
      if (Number.isNaN(e)) return Number.NaN;
      r = Math.max(r, e + transferTime(cluster, loc.b[q * M + mb]!.dev, dev, bytes(u, q)));
    }
    return r;
  };

  while (remaining > 0) {
    let progress = false;
    for (let d = 0; d < D; d++) {
      const list = s.devices[d]!;
      while (ptr[d]! < list.length) {
        const a = list[ptr[d]!]!;
        let ready: number;
        if (a.pass === "F") ready = fwdReady(a.unit, a.mb, d);
        else if (a.pass === "B" || a.pass === "I") ready = bwdReady(a.unit, a.mb, d);
        else if (a.pass === "W") {
          const k = a.unit * M + a.mb;
          const bl = loc.b[k]!;
          ready = bl.dev === d && bl.pos < ptr[d]! ? bEnd[k]! : Number.NaN;
        } else {
          const r1 = fwdReady(a.unit, a.mb, d);
          const r2 = a.unit2 === a.unit && a.mb2 === a.mb ? Number.NaN : bwdReady(a.unit2!, a.mb2!, d);
          ready = Math.max(r1, r2);
        }
        if (Number.isNaN(ready)) break;
        const start = Math.max(free[d]!, ready);
        const end = start + passDuration(ug, a, cluster.devices[d]!.speed);
        if (a.pass === "F") fEnd[a.unit * M + a.mb] = end;
        else if (a.pass === "B" || a.pass === "I") bEnd[a.unit * M + a.mb] = end;
        else if (a.pass === "FB") {
          fEnd[a.unit * M + a.mb] = end;
          bEnd[a.unit2! * M + a.mb2!] = end;
        }
        timelines[d]!.push({ ...a, start, end });
        free[d] = end;
        ptr[d]!++;
        remaining--;
        progress = true;
      }
    }
    if (!progress) {
      const stuck = [...Array(D).keys()]
        .filter((d) => ptr[d]! < s.devices[d]!.length)
        .map((d) => `device ${d} at ${actionLabel(s.devices[d]![ptr[d]!]!)}`);
      throw new ScheduleError({
        where: `schedule ${s.name}`,
        what: `deadlock: ${stuck.slice(0, 4).join(", ")}`,
        hint: "each device's order must respect the dependencies of the graph",
      });
    }
  }
  return summarize(ug, timelines);
}

/** Busy time, bubbles and memory curves from timed per-device actions. */
export function summarize(ug: UnitGraph, timelines: TimedAction[][]): SimResult {
  let makespan = 0;
  for (const t of timelines) for (const a of t) makespan = Math.max(makespan, a.end);
  const devices = timelines.map((t) => {
    const busy = t.reduce((s, a) => s + (a.end - a.start), 0);
    const ev: [number, number][] = [];
    for (const a of t) {
      if (a.pass === "F" || a.pass === "FB") ev.push([a.start, ug.units[a.unit]!.activationBytes]);
      if (a.pass === "B" || a.pass === "W") ev.push([a.end, -ug.units[a.unit]!.activationBytes]);
      if (a.pass === "FB") ev.push([a.end, -ug.units[a.unit2!]!.activationBytes]);
    }
    ev.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let cur = 0;
    let peak = 0;
    const memory: [number, number][] = [[0, 0]];
    for (const [time, delta] of ev) {
      cur += delta;
      peak = Math.max(peak, cur);
      if (memory[memory.length - 1]![0] === time) memory[memory.length - 1]![1] = cur;
      else memory.push([time, cur]);
    }
    return { busy, bubble: makespan - busy, peakMemoryBytes: peak, timeline: t, memory };
  });
  const bubbles = devices.map((d) => d.bubble);
  const total = bubbles.reduce((a, b) => a + b, 0);
  return {
    makespan,
    devices,
    bubbleMax: Math.max(...bubbles),
    bubbleMean: total / Math.max(1, devices.length),
    bubbleRatio: makespan > 0 ? total / (devices.length * makespan) : 0,
    peakMemoryBytes: Math.max(0, ...devices.map((d) => d.peakMemoryBytes)),
  };
}
