/** Built-in presets: a graph generator call, a cluster and options, kept as data (presets.json). */
import { UsageError } from "../errors/index.js";
import { type Cluster, parseCluster } from "./cluster.js";
import { moeStack, multimodal, transformerChain } from "./generators.js";
import { type Graph, type GraphInput, parseGraph } from "./graph.js";
import { type PlanOptions, PlanOptionsSchema } from "./options.js";
import data from "./presets.json" with { type: "json" };

export interface PresetData {
  description: string;
  generator: { kind: "chain" | "moe" | "multimodal"; [k: string]: unknown };
  cluster: unknown;
  options: unknown;
}

const PRESETS = data as unknown as Record<string, PresetData>;

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function presetInfo(name: string): PresetData {
  const p = PRESETS[name];
  if (!p)
    throw new UsageError({
      where: "--preset",
      what: `unknown preset "${name}"`,
      hint: `use one of ${presetNames().join(", ")} (see \`frugal plan presets\`)`,
    });
  return p;
}

/** Generates a graph from a generator spec ({kind, ...params}). */
export function generateGraph(spec: PresetData["generator"]): GraphInput {
  const { kind, ...params } = spec;
  // biome-ignore lint/suspicious/noExplicitAny: params are checked by the graph schema after generation
  const p = params as any;
  if (kind === "chain") return transformerChain(p);
  if (kind === "moe") return moeStack(p);
  return multimodal(p);
}

export function loadPreset(name: string): {
  graph: Graph;
  cluster: Cluster;
  options: PlanOptions;
  description: string;
} {
  const p = presetInfo(name);
  const graph = parseGraph({ ...generateGraph(p.generator), name }, `preset ${name}`);
  return {
    graph,
    cluster: parseCluster(p.cluster, `preset ${name}: cluster`),
    options: PlanOptionsSchema.parse(p.options),
    description: p.description,
  };
}
