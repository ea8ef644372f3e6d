/** A structured model as a few lines of text for the terminal (one line per element). */
import type { StructuredModel } from "./schema.js";

function short(v: unknown, max = 80): string {
  const s = JSON.stringify(v) ?? "";
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const dom = (d: string | null | undefined) => {
  const t = (d ?? "").trim();
  return t && !/^(none|null|-)$/i.test(t) ? `[${t}]` : "";
};

/** One line per set, parameter, variable, the objective and each constraint. */
export function modelLines(m: StructuredModel): string[] {
  const out: string[] = [];
  for (const s of m.sets) out.push(`set        ${s.name} = ${short(s.data)}`);
  for (const p of m.parameters) out.push(`parameter  ${p.name}${dom(p.domain)} = ${short(p.data)}`);
  for (const v of m.variables) {
    const bounds = [
      v.lower === null ? "free" : v.lower !== undefined && v.lower !== 0 ? `≥ ${v.lower}` : "",
      v.upper !== undefined && v.upper !== null ? `≤ ${v.upper}` : "",
    ]
      .filter(Boolean)
      .join(", ");
    out.push(`variable   ${v.name}${dom(v.domain)} ${v.type}${bounds ? ` (${bounds})` : ""}`);
  }
  out.push(`objective  ${m.objective.sense} ${m.objective.function}`);
  for (const c of m.constraints) out.push(`constraint ${c.name}${dom(c.domain)}: ${c.function}`);
  return out;
}
