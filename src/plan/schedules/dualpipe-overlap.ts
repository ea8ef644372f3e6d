/**
 * A heuristic variant of DualPipe's op order for graphs where overlap pays (F&B < F + B): the
 * first main-step chunk of the two middle ranks, which DualPipe deliberately runs unoverlapped
 * ("to further reduce bubble size", exact when F&B = F + B), is overlapped like every other one.
 * On dualpipe-8x20-overlap this gives 58.5 instead of 59. Not a published baseline: it is one of
 * the planner's starting points.
 */
import type { Schedule } from "../schedule.js";
import type { UnitGraph } from "../units.js";
import { dualPipeDevices } from "./dualpipe-order.js";

/** DualPipe's order with every main-step chunk overlapped; null where DualPipe does not apply. */
export function dualPipeOverlapAll(stages: UnitGraph): Schedule | null {
  const PP = stages.units.length;
  const M = stages.microBatches;
  if (PP % 2 !== 0 || M % 2 !== 0 || M < 2 * PP) return null;
  return { name: "dualpipe-overlap-all", devices: dualPipeDevices(PP, M, true) };
}
