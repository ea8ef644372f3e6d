/**
 * Built-in presets: data files `presets/plan/<name>.preset.json`, each a graph generator call, a
 * cluster and planner options, read through the one preset loader.
 */
import { z } from "zod";
import { loadPresetSpec, presetNames as presetFiles } from "../util/presets.js";
import { type Cluster, ClusterSchema, normalizeCluster } from "./cluster.js";
import { GeneratorSpecSchema, generateGraph } from "./generators.js";
import { type Graph, parseGraph } from "./graph.js";
import { type PlanOptions, PlanOptionsSchema } from "./options.js";

/** The format of a plan preset file. */
export const PlanPresetSchema = z
  .object({
    description: z.string().min(1),
    generator: GeneratorSpecSchema,
    cluster: ClusterSchema,
    options: PlanOptionsSchema.default(PlanOptionsSchema.parse({})),
  })
  .strict();

/** A preset, loaded: its graph, cluster and options. */
export interface PlanPreset {
  name: string;
  description: string;
  graph: Graph;
  cluster: Cluster;
  options: PlanOptions;
}

/** The names of the built-in presets, sorted. */
export function presetNames(): string[] {
  return presetFiles("plan");
}

/** Loads a built-in preset; an unknown name is an UnknownNameError listing the presets. */
export function loadPreset(name: string): PlanPreset {
  const spec = loadPresetSpec("plan", name, PlanPresetSchema);
  return {
    name,
    description: spec.description,
    graph: parseGraph(
      { ...generateGraph(spec.generator), name },
      `presets/plan/${name}.preset.json: generator`,
    ),
    cluster: normalizeCluster(spec.cluster),
    options: spec.options,
  };
}

/** Every preset's name, description and options (what `frugal plan presets` lists). */
export function presetList(): { name: string; description: string; options: PlanOptions }[] {
  return presetNames().map((name) => {
    const { description, options } = loadPresetSpec("plan", name, PlanPresetSchema);
    return { name, description, options };
  });
}
