/**
 * The OpenAI Batch API file formats (https://platform.openai.com/docs/api-reference/batch), which
 * `vllm run-batch` reads and writes too:
 * - input, one JSON object per line: `{custom_id, method: "POST", url, body}` with `url` one of
 *   `/v1/chat/completions` and `/v1/completions`, and `body` the request as the endpoint takes it;
 * - output, one line per request: `{id, custom_id, response: {status_code, request_id, body} | null,
 *   error: {code, message} | null}`. A request the server answered (any HTTP status) has a
 *   `response`; one that never got an answer (connection refused, timeouts past the retries) has
 *   `response: null` and an `error`.
 */
import { z } from "zod";

/** The endpoints a batch line may name. */
export const BATCH_URLS = ["/v1/chat/completions", "/v1/completions"] as const;

/** The endpoint of a batch line. */
export type BatchUrl = (typeof BATCH_URLS)[number];

const positiveInt = z.number().int().positive();

/** The request body: passed to the server as given, except `stream` (the runner decides). */
export const BatchBodySchema = z
  .looseObject({
    model: z.string().min(1, "is empty").describe("the model's name on the server"),
    messages: z.array(z.unknown()).min(1, "has no messages").optional(),
    prompt: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number().int()).min(1)]).optional(),
    max_tokens: positiveInt.nullable().optional(),
    max_completion_tokens: positiveInt.nullable().optional(),
    n: positiveInt.optional(),
    stream: z.literal(false, "is not supported in a batch (the runner streams by itself)").optional(),
  })
  .describe("the request body, as the endpoint takes it");

/** One line of a batch input file. */
export const BatchInputLineSchema = z
  .strictObject({
    custom_id: z.string().min(1, "is empty").describe("your id of the request; unique in the file"),
    method: z.literal("POST"),
    url: z.enum(BATCH_URLS),
    body: BatchBodySchema,
  })
  .superRefine((v, ctx) => {
    if (v.url === "/v1/chat/completions" && v.body.messages === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["body", "messages"],
        message: "is missing (a chat request needs messages)",
      });
    if (v.url === "/v1/completions" && v.body.prompt === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["body", "prompt"],
        message: "is missing (a completion request needs a prompt)",
      });
  });

/** One line of a batch input file, as parsed. */
export type BatchInputLine = z.output<typeof BatchInputLineSchema>;

/** One line of a batch output (results) file. */
export const BatchOutputLineSchema = z.looseObject({
  id: z.string(),
  custom_id: z.string().min(1),
  response: z
    .looseObject({
      status_code: z.number().int(),
      request_id: z.string(),
      body: z.unknown(),
    })
    .nullable(),
  error: z.looseObject({ code: z.string(), message: z.string() }).nullable(),
});

/** One line of a batch output file. */
export type BatchOutputLine = z.output<typeof BatchOutputLineSchema>;

/** Whether a result line is a success: a response with a 2xx status. */
export function isSuccess(line: BatchOutputLine): boolean {
  return line.response !== null && line.response.status_code >= 200 && line.response.status_code < 300;
}

/** The usage record of a result line's body (prompt and completion tokens), when it has one. */
export function usageOf(line: BatchOutputLine): { promptTokens: number; completionTokens: number } | null {
  const body = line.response?.body as {
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  } | null;
  const p = body?.usage?.prompt_tokens;
  const c = body?.usage?.completion_tokens;
  return typeof p === "number" && typeof c === "number" ? { promptTokens: p, completionTokens: c } : null;
}

/** JSON Schema of a batch input line (for editors; `schemas/serving-batch-input.schema.json`). */
export function batchInputJsonSchema(): Record<string, unknown> {
  return {
    title: "frugal serving batch input line (OpenAI Batch API)",
    ...z.toJSONSchema(BatchInputLineSchema, { io: "input", unrepresentable: "any" }),
  };
}

/** JSON Schema of a batch output line (`schemas/serving-batch-output.schema.json`). */
export function batchOutputJsonSchema(): Record<string, unknown> {
  return {
    title: "frugal serving batch output line (OpenAI Batch API)",
    ...z.toJSONSchema(BatchOutputLineSchema, { io: "output", unrepresentable: "any" }),
  };
}
