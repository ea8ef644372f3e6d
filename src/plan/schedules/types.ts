import type { z } from "zod";
import type { Cluster } from "../cluster.js";
import type { Schedule } from "../schedule.js";
import type { UnitGraph } from "../units.js";

/** Context of a baseline generator: a chain of pipeline stages (units 0..S−1 in order). */
export interface BaselineContext {
  stages: UnitGraph;
  cluster: Cluster;
}

export interface BaselineInfo<P extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  reference: string;
  /** Options of the generator (validated at registration and at call). */
  params: P;
  /** Devices the schedule needs for S stages; null when it does not apply. */
  devicesFor(stages: number, microBatches: number, params: z.output<P>): number | null;
  /** Closed-form bubble (DualPipe README) on uniform stages, for the docs and golden tests. */
  formula: string;
  generate(ctx: BaselineContext, params: z.output<P>): Schedule;
}
