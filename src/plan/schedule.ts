/**
 * Schedules: per-device ordered lists of actions. A schedule is a plan, not a timing — the event
 * simulator (`simulate.ts`) times it on a graph and a cluster.
 *
 * Passes: F forward; B full backward (input + weight gradients, releases the activation);
 * I input-gradient part (B − W); W weight-gradient part (releases the activation);
 * FB a forward of (unit, mb) overlapped with a full backward of (unit2, mb2), as in DualPipe's
 * overlapped "F&B" chunks, taking overlapFactor·(F + B).
 */
/** A pass of one (unit, micro-batch): see the module comment. */
export type Pass = "F" | "B" | "I" | "W" | "FB";

/** One pass a device runs. */
export interface Action {
  pass: Pass;
  unit: number;
  mb: number;
  /** FB only: the backward half. */
  unit2?: number;
  mb2?: number;
}

/** A schedule: per device, the actions it runs in order (timed by `simulate`). */
export interface Schedule {
  /** Registry name of the generator or planner ("1f1b", "dualpipe", "mip" …). */
  name: string;
  /** devices[d] = the actions device d runs, in order. */
  devices: Action[][];
  notes?: string[];
}

/** A short label of an action, e.g. `F3@1` or `F3@1&B0@2`. */
export function actionLabel(a: Action): string {
  if (a.pass === "FB") return `F${a.mb}@${a.unit}&B${a.mb2}@${a.unit2}`;
  return `${a.pass}${a.mb}@${a.unit}`;
}

/** The number of actions of a schedule. */
export function countActions(s: Schedule): number {
  return s.devices.reduce((n, d) => n + d.length, 0);
}
