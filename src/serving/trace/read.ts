/** Reads a trace file by extension (.jsonl/.ndjson → JSONL, anything else → CSV). */
import { basename } from "node:path";
import { readText } from "../../util/files.js";
import { parseCsvTrace, parseJsonlTrace } from "./parse.js";
import type { Trace } from "./types.js";

/** Reads a trace file: JSONL for `.jsonl`/`.ndjson`, CSV otherwise. */
export async function readTrace(file: string): Promise<Trace> {
  const text = await readText(file);
  const name = basename(file);
  return /\.(jsonl|ndjson)$/i.test(file)
    ? parseJsonlTrace(text, file, name)
    : parseCsvTrace(text, file, name);
}

/** Serialises a trace as the project's CSV format (arrival_s,prompt_tokens,output_tokens). */
export function traceToCsv(t: Trace, comment?: string): string {
  const head = comment
    ? `${comment
        .split("\n")
        .map((l) => `# ${l}`)
        .join("\n")}\n`
    : "";
  const rows = t.requests.map((r) => `${r.arrival},${r.promptTokens},${r.outputTokens}`);
  return `${head}arrival_s,prompt_tokens,output_tokens\n${rows.join("\n")}\n`;
}
