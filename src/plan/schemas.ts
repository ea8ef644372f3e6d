/** JSON Schemas of the graph and cluster files (for editors), generated from the zod schemas. */
import { z } from "zod";
import { ClusterSchema } from "./cluster.js";
import { GraphSchema } from "./graph.js";

export function graphJsonSchema(): Record<string, unknown> {
  return { title: "frugal plan graph", ...z.toJSONSchema(GraphSchema, { io: "input" }) };
}

export function clusterJsonSchema(): Record<string, unknown> {
  return { title: "frugal plan cluster", ...z.toJSONSchema(ClusterSchema, { io: "input" }) };
}
