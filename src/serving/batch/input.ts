/**
 * Reading a batch input file (OpenAI Batch API format, format.ts): every line validated, errors
 * naming the file, the line and the field (`requests.jsonl: line 3: body.model: is empty`), blank
 * lines skipped, and duplicate `custom_id`s refused with the lines that share them.
 */
import { parseWith } from "../../errors/index.js";
import { readText } from "../../util/files.js";
import { BatchFileError } from "../errors.js";
import { BatchInputLineSchema, type BatchUrl } from "./format.js";

/** Requests a batch file may hold. */
export const MAX_BATCH_REQUESTS = 1_000_000;

/** One request of a batch, as read. */
export interface BatchRequest {
  /** 0-based position among the file's requests. */
  index: number;
  /** 1-based line in the file. */
  line: number;
  customId: string;
  url: BatchUrl;
  /** The body as given (sent as is, except the runner's `stream` fields). */
  body: Record<string, unknown>;
  /** `max_tokens` (or `max_completion_tokens`) when the request caps its output. */
  maxTokens: number | null;
}

/** Parses the text of a batch input file (`file` names it in errors). */
export function parseBatchInput(text: string, file: string): BatchRequest[] {
  const out: BatchRequest[] = [];
  const firstLine = new Map<string, number>();
  const duplicates: { id: string; lines: number[] }[] = [];
  const lines = text.split("\n");
  for (const [k, raw] of lines.entries()) {
    const line = k + 1;
    const t = raw.trim();
    if (t === "") continue;
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch (e) {
      throw new BatchFileError({
        where: `${file}: line ${line}`,
        what: `not JSON (${(e as Error).message})`,
        hint: "each line must be one JSON object: {custom_id, method, url, body}",
      });
    }
    const v = parseWith(
      BatchInputLineSchema,
      obj,
      `${file}: line ${line}`,
      'each line must be {custom_id, method: "POST", url: "/v1/chat/completions" or "/v1/completions", body}',
    );
    const seen = firstLine.get(v.custom_id);
    if (seen !== undefined) {
      const d = duplicates.find((x) => x.id === v.custom_id);
      if (d) d.lines.push(line);
      else duplicates.push({ id: v.custom_id, lines: [seen, line] });
      continue;
    }
    firstLine.set(v.custom_id, line);
    if (out.length >= MAX_BATCH_REQUESTS)
      throw new BatchFileError({
        where: `${file}: line ${line}`,
        what: `more than ${MAX_BATCH_REQUESTS.toLocaleString("en-US")} requests`,
        hint: "split the batch into several files",
      });
    const { body } = v;
    out.push({
      index: out.length,
      line,
      customId: v.custom_id,
      url: v.url,
      body: body as Record<string, unknown>,
      maxTokens: body.max_tokens ?? body.max_completion_tokens ?? null,
    });
  }
  if (duplicates.length) {
    const [d] = duplicates;
    const more = duplicates.length > 1 ? ` (and ${duplicates.length - 1} more duplicated custom_id(s))` : "";
    throw new BatchFileError({
      where: file,
      what: `custom_id ${JSON.stringify(d?.id)} is on lines ${d?.lines.join(", ")}${more}`,
      hint: "give each request its own custom_id (results are matched to requests by it)",
    });
  }
  if (out.length === 0)
    throw new BatchFileError({
      where: file,
      what: "has no requests",
      hint: "give one JSON request per line",
    });
  return out;
}

/** Reads and validates a batch input file. */
export async function readBatchInput(file: string): Promise<BatchRequest[]> {
  return parseBatchInput(await readText(file), file);
}
