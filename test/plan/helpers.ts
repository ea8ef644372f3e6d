import { type Cluster, parseCluster } from "../../src/plan/cluster.js";
import { type ChainOptions, transformerChain } from "../../src/plan/generators.js";
import { parseGraph } from "../../src/plan/graph.js";
import { type UnitGraph, unitsFromGraph } from "../../src/plan/units.js";

/** A uniform (or scaled) chain of stages as a unit graph plus a cluster with one device per stage. */
export function chain(o: ChainOptions, devices = o.stages, latency = 0): { ug: UnitGraph; cluster: Cluster } {
  return {
    ug: unitsFromGraph(parseGraph(transformerChain(o))),
    cluster: parseCluster({ devices, link: { bandwidthBytesPerSecond: 1e12, latencySeconds: latency } }),
  };
}
