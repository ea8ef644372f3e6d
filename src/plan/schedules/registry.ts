/** The registry of baseline schedules (the shared `Registry`: metadata and params validated at registration). */
import { Registry } from "../../util/registry.js";
import { dualpipe, dualpipeV } from "./dualpipe.js";
import { gpipe } from "./gpipe.js";
import { interleaved } from "./interleaved.js";
import { oneFOneB } from "./one-f-one-b.js";
import type { ScheduleEntry } from "./types.js";
import { zb1p } from "./zb1p.js";

/** Every baseline schedule, by name. */
export const SCHEDULES = new Registry<ScheduleEntry>("schedule");
for (const s of [gpipe, oneFOneB, interleaved, zb1p, dualpipe, dualpipeV] as ScheduleEntry[])
  SCHEDULES.register(s);

/** The baseline schedules, in registration order. */
export function baselines(): ScheduleEntry[] {
  return SCHEDULES.entries();
}
