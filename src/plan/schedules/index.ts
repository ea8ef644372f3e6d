/** The baseline schedules: GPipe, 1F1B, interleaved 1F1B, ZB1P, DualPipe, DualPipeV, and their registry. */
export { dualpipe, dualpipeV } from "./dualpipe.js";
export { dualPipeOverlapAll } from "./dualpipe-overlap.js";
export { gpipe } from "./gpipe.js";
export { interleaved } from "./interleaved.js";
export { oneFOneB } from "./one-f-one-b.js";
export { baselines, SCHEDULES } from "./registry.js";
export type { BaselineContext, ScheduleEntry } from "./types.js";
export { zb1p } from "./zb1p.js";
