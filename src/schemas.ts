/**
 * Every JSON Schema the project ships in `schemas/`, generated from the zod schemas that validate
 * the same files at run time. `npm run schemas` writes them; a test fails when a file drifts.
 * A capability with an input file format adds its entry here.
 */

import { structuredModelJsonSchema } from "./formulate/schema.js";
import { mergeConfigJsonSchema } from "./merge/config/json-schema.js";
import { moleConfigJsonSchema } from "./mole/format.js";
import { clusterJsonSchema, graphJsonSchema } from "./plan/schemas.js";
import { batchInputJsonSchema, batchOutputJsonSchema } from "./serving/batch/format.js";
import { profileJsonSchema } from "./serving/profile/schema.js";

/** File name in `schemas/` → the schema's JSON. */
export const JSON_SCHEMAS: Readonly<Record<string, () => Record<string, unknown>>> = {
  "plan-graph.schema.json": graphJsonSchema,
  "plan-cluster.schema.json": clusterJsonSchema,
  "merge-config.schema.json": mergeConfigJsonSchema,
  "formulate-model.schema.json": structuredModelJsonSchema,
  "mole-config.schema.json": moleConfigJsonSchema,
  "serving-batch-input.schema.json": batchInputJsonSchema,
  "serving-batch-output.schema.json": batchOutputJsonSchema,
  "serving-profile.schema.json": profileJsonSchema,
};
