/**
 * Reading JSON out of model replies: servers that ignore `response_format` wrap it in prose or in
 * ```json fences, or cut it short. `extractJson` finds the first complete JSON object; the caller
 * sends the error text back to the model when there is none.
 */

/** A JSON value found in a reply, or why there is none. */
export type Extracted = { ok: true; value: unknown } | { ok: false; error: string };

/** The first complete JSON object in `text` (fences and surrounding prose are skipped). */
export function extractJson(raw: string): Extracted {
  // reasoning models put their thoughts (which may hold braces) in <think>…</think>
  const text = raw.replace(/<think>[\s\S]*?<\/think>/g, "").replace(/^[\s\S]*<\/think>/, "");
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, error: "the reply is empty" };
  try {
    return { ok: true, value: JSON.parse(trimmed) };
  } catch {
    // fall through: look for an object inside
  }
  const fence = /```(?:json|JSON)?\s*\n([\s\S]*?)```/.exec(text);
  if (fence) {
    try {
      return { ok: true, value: JSON.parse(fence[1]!) };
    } catch {
      // fall through
    }
  }
  const start = text.indexOf("{");
  if (start < 0) return { ok: false, error: "the reply contains no JSON object" };
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) {
        try {
          return { ok: true, value: JSON.parse(text.slice(start, i + 1)) };
        } catch (e) {
          return { ok: false, error: `the JSON object is not valid (${(e as Error).message})` };
        }
      }
    }
  }
  return { ok: false, error: "the JSON object is cut short (no closing brace)" };
}
