import type { z } from "zod";
import { InputError } from "./errors.js";

/** Formats a zod issue path as `models[1].parameters.weight`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

/**
 * Validates `data` against `schema`; on failure throws an InputError naming the file and the
 * path inside it of the first problem, e.g. `cluster.json: devices[2].memoryBytes: expected number`.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  data: unknown,
  file: string,
  hint = "fix the value and run again",
): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = formatPath(issue.path);
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem(s))` : "";
  throw new InputError({
    where: path ? `${file}: ${path}` : file,
    what: `${issue.message}${more}`,
    hint,
  });
}
