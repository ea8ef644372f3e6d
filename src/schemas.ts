/**
 * Every JSON Schema the project ships in `schemas/`, generated from the zod schemas that validate
 * the same files at run time. `npm run schemas` writes them; a test fails when a file drifts.
 * A capability with an input file format adds its entry here.
 */
import { mergeConfigJsonSchema } from "./merge/config/json-schema.js";
import { clusterJsonSchema, graphJsonSchema } from "./plan/schemas.js";

/** File name in `schemas/` → the schema's JSON. */
export const JSON_SCHEMAS: Readonly<Record<string, () => Record<string, unknown>>> = {
  "plan-graph.schema.json": graphJsonSchema,
  "plan-cluster.schema.json": clusterJsonSchema,
  "merge-config.schema.json": mergeConfigJsonSchema,
};
