/**
 * The structured model: one JSON object with five keys, the layers of BPP-Search's tree
 * (Wang et al., "BPP-Search: Enhancing Tree of Thought Reasoning for Mathematical Modeling
 * Problem Solving", arXiv 2411.17404, §3 StructuredOR): sets → parameters → variables →
 * objective → constraints. Every element has a name and a description; sets carry `data`,
 * parameters `domain` and `data`, variables `domain` and `type`, the objective `sense` and
 * `function`, constraints `domain` and `function`. `function` strings are parsed by `expr/`.
 *
 * The schemas here check shapes only; names, dimensions and expressions are checked by the
 * compiler, which names the element and the position of each problem.
 */
import { z } from "zod";

/** A set element: a number or a label. */
export type SetElement = number | string;

/** Turns numeric strings into numbers, deeply (LLMs often quote numbers). */
function coerceNumbers(v: unknown): unknown {
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  if (Array.isArray(v)) return v.map(coerceNumbers);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, coerceNumbers(x)]));
  return v;
}

/** `null`, `""`, `"None"`, `"-"` all mean "no domain" (a scalar element). */
const DomainSchema = z
  .union([z.string(), z.null()])
  .optional()
  .describe('index domain, e.g. "i in I, j in J" (empty for a scalar)');

const NameSchema = z.string().trim().min(1, "must not be empty");
const DescriptionSchema = z.string().optional().describe("what the element means, in words");

/** A set: its elements as a list of numbers or labels, a range "1..N", or a size N (= 1..N). */
export const SetSchema = z.object({
  name: NameSchema.describe("the set's symbol, e.g. I"),
  description: DescriptionSchema,
  data: z
    .union([z.array(z.union([z.number(), z.string()])), z.string(), z.number().int().positive()], {
      error: 'a set\'s data is a list of numbers or labels, a range "1..N", or a size N',
    })
    .describe('the elements: [1, 2, 3], ["Steak", "Tofu"], "1..5" or 5'),
});

/** Parameter data: a number, or nested lists / objects keyed by set elements, one level per domain set. */
export type ParameterData = number | ParameterData[] | { [label: string]: ParameterData };
const ParameterDataSchema: z.ZodType<ParameterData> = z.lazy(() =>
  z.union([z.number(), z.array(ParameterDataSchema), z.record(z.string(), ParameterDataSchema)], {
    error: "parameter data is a number or nested lists (or objects keyed by set elements) of numbers",
  }),
);

/** A parameter: a name, a domain and data of the domain's shape. */
export const ParameterSchema = z.object({
  name: NameSchema.describe("the parameter's symbol, e.g. c"),
  description: DescriptionSchema,
  domain: DomainSchema,
  data: z
    .preprocess(coerceNumbers, ParameterDataSchema)
    .describe("a number, or nested lists with one level per domain set"),
});

/** Variable types as the paper writes them; lowercase and common aliases are accepted. */
export const VAR_TYPES = ["CONTINUOUS", "INTEGER", "BINARY"] as const;
/** A variable type. */
export type StructuredVarType = (typeof VAR_TYPES)[number];
const VAR_TYPE_ALIASES: Record<string, StructuredVarType> = {
  continuous: "CONTINUOUS",
  real: "CONTINUOUS",
  float: "CONTINUOUS",
  integer: "INTEGER",
  int: "INTEGER",
  general: "INTEGER",
  binary: "BINARY",
  bool: "BINARY",
  boolean: "BINARY",
};

/** A decision variable: a name, a domain, a type and optional bounds. */
export const VariableSchema = z.object({
  name: NameSchema.describe("the variable's symbol, e.g. x"),
  description: DescriptionSchema,
  domain: DomainSchema,
  type: z
    .preprocess(
      (v) => (typeof v === "string" ? (VAR_TYPE_ALIASES[v.trim().toLowerCase()] ?? v) : v),
      z.enum(VAR_TYPES),
    )
    .default("CONTINUOUS"),
  lower: z.union([z.number(), z.null()]).optional().describe("lower bound (default 0; null for no bound)"),
  upper: z.union([z.number(), z.null()]).optional().describe("upper bound (default none)"),
});

/** Objective senses (`minimize`, `maximize` … are read as these). */
export const SENSES = ["min", "max"] as const;
/** An objective sense. */
export type StructuredSense = (typeof SENSES)[number];

/** The objective: a sense and a linear `function`. */
export const ObjectiveSchema = z.object({
  name: NameSchema.default("objective"),
  description: DescriptionSchema,
  sense: z.preprocess((v) => {
    if (typeof v !== "string") return v;
    const t = v.trim().toLowerCase();
    return t.startsWith("min") ? "min" : t.startsWith("max") ? "max" : v;
  }, z.enum(SENSES)),
  function: z.string().describe("a linear expression, e.g. sum_{i in I} c_i * x_i"),
});

/** `objective` is one object or a list of one (both occur in published files and LLM output). */
export const ObjectiveFieldSchema = z.preprocess((v, ctx) => {
  if (!Array.isArray(v)) return v;
  if (v.length === 1) return v[0];
  ctx.addIssue({
    code: "custom",
    message: `a model has one objective, the list has ${v.length}`,
    input: v,
  });
  return z.NEVER;
}, ObjectiveSchema);

/** A family of constraints: a domain and a linear relation. */
export const ConstraintSchema = z.object({
  name: NameSchema.describe("a short name, e.g. budget"),
  description: DescriptionSchema,
  domain: DomainSchema,
  function: z
    .string()
    .describe("a linear relation, e.g. sum_{i in I} a_{j,i} * x_i <= b_j (chains like l <= e <= u are fine)"),
});

/** Where a model came from (the shipped examples record their source problem). Ignored by the compiler. */
export const SourceSchema = z
  .object({
    dataset: z.string().describe("e.g. MAMO ComplexLP, NL4OPT dev"),
    id: z.union([z.string(), z.number()]).describe("the problem's id in the dataset"),
    question: z.string(),
    answer: z.number().describe("the reference optimal objective value"),
    answerSource: z.string().optional().describe("where the reference value comes from"),
    license: z.string().describe("the dataset's license"),
    notes: z.string().optional(),
  })
  .describe("the problem the model was written for");

/** A structured model file: the five layers and an optional source record. */
export const StructuredModelSchema = z
  .object({
    source: SourceSchema.optional(),
    sets: z.array(SetSchema).default([]),
    parameters: z.array(ParameterSchema).default([]),
    variables: z.array(VariableSchema).min(1, "a model needs at least one variable"),
    objective: ObjectiveFieldSchema,
    constraints: z.array(ConstraintSchema).default([]),
  })
  .strict();

/** A validated set. */
export type StructuredSet = z.output<typeof SetSchema>;
/** A validated parameter. */
export type StructuredParameter = z.output<typeof ParameterSchema>;
/** A validated variable. */
export type StructuredVariable = z.output<typeof VariableSchema>;
/** A validated objective. */
export type StructuredObjective = z.output<typeof ObjectiveSchema>;
/** A validated constraint. */
export type StructuredConstraint = z.output<typeof ConstraintSchema>;
/** A validated structured model (objective normalised to one object). */
export type StructuredModel = z.output<typeof StructuredModelSchema>;
/** A structured model as written in a file (objective may be a list of one). */
export type StructuredModelInput = z.input<typeof StructuredModelSchema>;

/** The layers a policy writes, in order (the tree's levels below the question). */
export const LAYERS = ["sets_parameters", "variables", "objective_constraints"] as const;
/** One of `LAYERS`. */
export type LayerName = (typeof LAYERS)[number];

/** Each layer's keys: the top-level properties of its JSON reply. */
export const LAYER_KEYS: Readonly<Record<LayerName, readonly (keyof StructuredModel)[]>> = {
  sets_parameters: ["sets", "parameters"],
  variables: ["variables"],
  objective_constraints: ["objective", "constraints"],
};

/** The zod schema of one layer's reply. */
export const LAYER_SCHEMAS = {
  sets_parameters: z.object({ sets: z.array(SetSchema), parameters: z.array(ParameterSchema) }),
  variables: z.object({ variables: z.array(VariableSchema).min(1, "give at least one variable") }),
  objective_constraints: z.object({
    objective: ObjectiveFieldSchema,
    constraints: z.array(ConstraintSchema),
  }),
} as const;

/** A whole model in one reply (chain of thought in one call). */
export const FULL_MODEL_SCHEMA = StructuredModelSchema.omit({ source: true });

/** A partial model: the layers written so far. */
export interface PartialModel {
  sets?: StructuredSet[];
  parameters?: StructuredParameter[];
  variables?: StructuredVariable[];
  objective?: StructuredObjective;
  constraints?: StructuredConstraint[];
}

/** The JSON Schema of a zod schema, with `objective` written as "one object or a list of one". */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: (ctx) => {
      if (ctx.zodSchema !== ObjectiveFieldSchema) return;
      const inner = { ...ctx.jsonSchema };
      for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[k];
      Object.assign(ctx.jsonSchema, {
        anyOf: [inner, { type: "array", items: inner, minItems: 1, maxItems: 1 }],
      });
    },
  }) as Record<string, unknown>;
}

/** The JSON Schema of a structured model file (`schemas/formulate-model.schema.json`). */
export function structuredModelJsonSchema(): Record<string, unknown> {
  return { title: "frugal formulate structured model", ...jsonSchemaOf(StructuredModelSchema) };
}
