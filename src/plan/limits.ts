/**
 * The largest plan inputs the schemas accept: far beyond real pipelines (thousands of
 * micro-batches, hundreds of pipeline ranks), small enough that the simulator, the greedy rules and
 * the bounds finish and their sums of times stay exact to well below the smallest pass. Inputs
 * beyond them are refused at the boundary with the limit in the message (docs/plan.md, "Inputs").
 */
export const PLAN_LIMITS = {
  /** Operators of a graph. */
  operators: 4096,
  /** Edges of a graph. */
  edges: 65_536,
  /** Micro-batches per step. */
  microBatches: 1024,
  /** Operators × micro-batches: the passes of one step are three times this. */
  operatorMicroBatches: 262_144,
  /**
   * Units × micro-batches the greedy rules schedule on their largest graph (the operators when
   * at most 4 per device, else the merged units, 2 per device): each step of a rule scans the
   * pending jobs of the devices it changed, so a run grows with about the square of this per
   * device (12 s for `plan compare --no-mip` at 8 stages × 1024 micro-batches on an idle core).
   */
  greedyJobs: 8192,
  /** Devices of a cluster. */
  devices: 1024,
  /** Seconds of one pass (forward, backward, weight), and of the link latency. */
  seconds: 1e6,
  /** Bytes of an activation, of an edge's transfer, and of a device's memory. */
  bytes: 1e18,
  /** Relative device speed: between 1/this and this. */
  speed: 1e6,
} as const;

/**
 * Units × micro-batches of the largest graph the greedy rules run on (see `greedyPlacements`): the
 * full graph when it has at most 4 operators per device, else the merged one (`coarsenTo`,
 * default 2 per device), and never fewer than the pipeline stages.
 */
export function greedyJobs(
  operators: number,
  microBatches: number,
  devices: number,
  coarsenTo?: number,
  stages?: number,
): number {
  const units =
    operators <= 4 * devices
      ? operators
      : Math.min(operators, Math.max(coarsenTo ?? 2 * devices, stages ?? 0));
  return units * microBatches;
}
