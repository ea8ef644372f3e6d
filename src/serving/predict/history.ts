/**
 * A history of served requests to fit a predictor on: a trace file in any format `readTrace` takes
 * (the project's CSV, the Azure LLM inference trace 2023, a GSM8K trace built by `serving trace
 * gsm8k`, JSONL), or the results file of an earlier `serving batch` run (OpenAI Batch API output:
 * prompt and completion tokens from each successful response's `usage`).
 */
import { basename } from "node:path";
import { readText } from "../../util/files.js";
import { BatchOutputLineSchema, isSuccess, usageOf } from "../batch/format.js";
import { TraceError } from "../errors.js";
import { parseCsvTrace, parseJsonlTrace } from "../trace/parse.js";
import type { LengthSample } from "./types.js";

/** Samples read from a history file, and what it was. */
export interface LengthHistory {
  samples: LengthSample[];
  /** "trace" or "batch results". */
  kind: "trace" | "batch results";
  source: string;
}

/** Whether a JSONL text is a batch results file (its first line has `custom_id`). */
function isResults(text: string): boolean {
  const first = text.split("\n").find((l) => l.trim() !== "");
  if (!first) return false;
  try {
    const o = JSON.parse(first) as Record<string, unknown>;
    return typeof o === "object" && o !== null && "custom_id" in o;
  } catch {
    return false;
  }
}

/** The (prompt, output) pairs of successful results with a usage record. */
export function samplesFromResults(text: string, file: string): LengthSample[] {
  const out: LengthSample[] = [];
  for (const raw of text.split("\n")) {
    const t = raw.trim();
    if (!t) continue;
    let o: unknown;
    try {
      o = JSON.parse(t);
    } catch {
      continue; // a torn last line of an interrupted run
    }
    const v = BatchOutputLineSchema.safeParse(o);
    if (!v.success || !isSuccess(v.data)) continue;
    const u = usageOf(v.data);
    if (u && u.promptTokens > 0 && u.completionTokens > 0)
      out.push({ promptTokens: u.promptTokens, outputTokens: u.completionTokens });
  }
  if (out.length === 0)
    throw new TraceError({
      where: file,
      what: "has no successful result with a usage record (prompt_tokens, completion_tokens)",
      hint: "give a results file of a batch that completed requests, or a trace",
    });
  return out;
}

/** Reads a history file (see the header). */
export async function readLengthHistory(file: string): Promise<LengthHistory> {
  const text = await readText(file);
  const source = basename(file);
  if (/\.(jsonl|ndjson)$/i.test(file) && isResults(text))
    return { samples: samplesFromResults(text, file), kind: "batch results", source };
  const trace = /\.(jsonl|ndjson)$/i.test(file)
    ? parseJsonlTrace(text, file, source)
    : parseCsvTrace(text, file, source);
  return {
    samples: trace.requests.map((r) => ({ promptTokens: r.promptTokens, outputTokens: r.outputTokens })),
    kind: "trace",
    source,
  };
}
