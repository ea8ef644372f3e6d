/** JSON Schema of mergekit's merge config (for editors), generated from the zod schema that validates it. */
import { z } from "zod";
import { MergeConfigSchema } from "./schema.js";

/** The JSON Schema shipped as schemas/merge-config.schema.json. */
export function mergeConfigJsonSchema(): Record<string, unknown> {
  return {
    title: "mergekit merge configuration (as read by frugal merge)",
    ...z.toJSONSchema(MergeConfigSchema, { io: "input" }),
  };
}
