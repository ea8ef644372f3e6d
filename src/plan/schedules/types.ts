import type { z } from "zod";
import type { RegistryEntry } from "../../util/registry.js";
import type { Cluster } from "../cluster.js";
import type { Schedule } from "../schedule.js";
import type { UnitGraph } from "../units.js";

/** What a baseline generator schedules: a chain of pipeline stages (units 0..S−1 in order) on a cluster. */
export interface BaselineContext {
  stages: UnitGraph;
  cluster: Cluster;
}

/** A published pipeline schedule: registry metadata, where it applies, its closed form, its generator. */
export interface ScheduleEntry<P extends z.ZodObject = z.ZodObject> extends RegistryEntry<P> {
  /** Display name, e.g. "Interleaved 1F1B". */
  readonly title: string;
  /** Devices the schedule needs for S stages and M micro-batches; null when it does not apply. */
  devicesFor(stages: number, microBatches: number, params: z.output<P>): number | null;
  /** Closed-form bubble (DualPipe README) on uniform stages, for the docs and golden tests. */
  readonly formula: string;
  generate(ctx: BaselineContext, params: z.output<P>): Schedule;
}
