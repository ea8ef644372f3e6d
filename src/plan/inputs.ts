/**
 * A plan's inputs: a built-in preset, or a graph file and a cluster file (JSON or YAML, validated),
 * with the caller's option overrides merged over the preset's (or the default) options.
 */
import { parseWith } from "../errors/index.js";
import { readStructured } from "../util/files.js";
import { type Cluster, parseCluster } from "./cluster.js";
import { PlanInputError } from "./errors.js";
import { type Graph, parseGraph } from "./graph.js";
import { greedyJobs, PLAN_LIMITS } from "./limits.js";
import { type PlanOptions, type PlanOptionsInput, PlanOptionsSchema } from "./options.js";
import { loadPreset } from "./presets.js";

/** Where a plan's inputs come from. */
export type PlanSource = { preset: string } | { graphFile: string; clusterFile: string };

/** Options that override the preset's (the `frugal plan` flags). */
export type PlanOverrides = Pick<
  PlanOptionsInput,
  | "timeLimitSeconds"
  | "nodeLimit"
  | "memoryLimitBytes"
  | "stages"
  | "seed"
  | "mip"
  | "placement"
  | "oneRankPerStage"
>;

/** Validated inputs of a plan run and where they came from. */
export interface PlanInputs {
  graph: Graph;
  cluster: Cluster;
  options: PlanOptions;
  source: { preset: string | null; graphFile: string | null; clusterFile: string | null };
}

/** Loads and validates the inputs; options are the preset's (or the defaults) with `overrides` on top. */
export async function resolvePlanInputs(
  source: PlanSource,
  overrides: PlanOverrides = {},
): Promise<PlanInputs> {
  if ("preset" in source) {
    const p = loadPreset(source.preset);
    const options = mergeOptions(p.options, overrides);
    checkStages(p.graph, options);
    checkSize(p.graph, p.cluster, options, `preset ${source.preset}`);
    return {
      graph: p.graph,
      cluster: p.cluster,
      options,
      source: { preset: source.preset, graphFile: null, clusterFile: null },
    };
  }
  const graph = parseGraph(await readStructured(source.graphFile), source.graphFile);
  const cluster = parseCluster(await readStructured(source.clusterFile), source.clusterFile);
  const options = mergeOptions(PlanOptionsSchema.parse({}), overrides);
  checkStages(graph, options);
  checkSize(graph, cluster, options, source.graphFile);
  return {
    graph,
    cluster,
    options,
    source: { preset: null, graphFile: source.graphFile, clusterFile: source.clusterFile },
  };
}

/**
 * `base` with every override that is set; an explicit memory limit replaces the preset's
 * "limit from a baseline's peak". The result is validated like a preset's options.
 */
export function mergeOptions(base: PlanOptions, overrides: PlanOverrides): PlanOptions {
  const merged: PlanOptionsInput = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) Object.assign(merged, { [k]: v });
  if (overrides.memoryLimitBytes !== undefined) delete merged.memoryLimitFrom;
  return parseWith(PlanOptionsSchema, merged, "options");
}

/** At most one pipeline stage per operator. */
export function checkStages(graph: Graph, options: PlanOptions): void {
  if (options.stages !== undefined && options.stages > graph.operators.length)
    throw new PlanInputError({
      where: "options.stages",
      what: `${options.stages} stages but the graph has ${graph.operators.length} operators`,
      hint: "use at most one stage per operator",
    });
}

/**
 * The greedy rules' work stays bounded (PLAN_LIMITS.greedyJobs): units × micro-batches of their
 * largest graph on this cluster. `where` names the graph's source.
 */
export function checkSize(graph: Graph, cluster: Cluster, options: PlanOptions, where = "graph"): void {
  const D = cluster.devices.length;
  const M = graph.microBatches;
  const jobs = greedyJobs(graph.operators.length, M, D, options.coarsenTo, options.stages);
  if (jobs > PLAN_LIMITS.greedyJobs)
    throw new PlanInputError({
      where: `${where}: microBatches`,
      what: `${M} micro-batches × ${jobs / M} units on ${D} devices is ${jobs} jobs for the greedy rules, more than ${PLAN_LIMITS.greedyJobs}`,
      hint: `use at most ${Math.max(1, Math.floor(PLAN_LIMITS.greedyJobs / (jobs / M)))} micro-batches (a step's schedule repeats), or fewer operators per device`,
    });
}
