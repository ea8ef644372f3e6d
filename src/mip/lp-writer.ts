/**
 * CPLEX LP format writer (the format of IBM ILOG CPLEX's "LP file format: algebraic
 * representation", read by HiGHS, CPLEX, Gurobi, SCIP, GLPK and CBC).
 *
 * Names: a valid LP name is 1–255 characters from letters, digits and !"#$%&()/,.;?@_`'{}|~,
 * not starting with a digit or a period. With `names: "strict"` (the default) an invalid name is
 * an error naming it; with `names: "escape"` invalid characters become `_`, a bad first character
 * gets a `_` prefix, and clashes get `~2`, `~3`… suffixes (the mapping is returned).
 * Ranged rows (finite lower < upper) are written as two rows, `NAME_lo` (≥) and `NAME_hi` (≤),
 * because HiGHS's LP reader has no ranged-row syntax.
 */
import { MisuseError } from "../errors/index.js";
import type { Model } from "./model.js";

/** How `toLpText` writes names and lines. */
export interface LpWriteOptions {
  names?: "strict" | "escape";
  /** Terms per line before wrapping (LP lines should stay under 255 characters). */
  termsPerLine?: number;
}

/** The LP text and the names it uses for each column and row. */
export interface LpText {
  text: string;
  /** Written column name by variable index. */
  colNames: string[];
  rowNames: string[];
}

const VALID_CHAR = /^[A-Za-z0-9!"#$%&()/,.;?@_`'{}|~]$/;
const VALID_NAME = /^[A-Za-z!"#$%&()/,;?@_`'{}|~][A-Za-z0-9!"#$%&()/,.;?@_`'{}|~]{0,254}$/;
/** Words the reader treats as section keywords or infinities. */
const RESERVED =
  /^(st|s\.t\.|subject|such|bounds?|generals?|gen|integers?|binar(y|ies)|bin|semi-?continuous|semis?|sos|end|free|inf|infinity|minimi[sz]e|maximi[sz]e|min|max)$/i;
/** `e12` or `E3` alone could read as an exponent after a number. */
const EXPONENT_LIKE = /^[eE][0-9]/;

/** Whether `name` can be written as is in a CPLEX LP file. */
export function isValidLpName(name: string): boolean {
  return VALID_NAME.test(name) && !RESERVED.test(name) && !EXPONENT_LIKE.test(name);
}

function escapeName(name: string): string {
  let s = [...name].map((c) => (VALID_CHAR.test(c) ? c : "_")).join("");
  if (s === "" || /^[0-9.]/.test(s) || RESERVED.test(s) || EXPONENT_LIKE.test(s)) s = `_${s}`;
  return s.slice(0, 240);
}

function nameTable(names: string[], mode: "strict" | "escape", what: "variable" | "constraint"): string[] {
  if (mode === "strict") {
    for (const n of names)
      if (!isValidLpName(n))
        throw new MisuseError({
          where: `${what} "${n}"`,
          what: "is not a valid CPLEX LP name (1–255 of letters, digits, !\"#$%&()/,.;?@_`'{}|~; not starting with a digit or '.'; not a keyword)",
          hint: 'rename it, or write with { names: "escape" }',
        });
    return names;
  }
  const used = new Set<string>();
  return names.map((n) => {
    const base = escapeName(n);
    let s = base;
    for (let k = 2; used.has(s); k++) s = `${base}~${k}`;
    used.add(s);
    return s;
  });
}

/** Formats a number so that it reads back to the same double. */
function num(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return "inf";
  if (v === Number.NEGATIVE_INFINITY) return "-inf";
  return String(v);
}

function linear(
  indices: ArrayLike<number>,
  values: ArrayLike<number>,
  names: string[],
  perLine: number,
): string {
  if (indices.length === 0) return `0 ${names[0]}`; // an empty row still needs a term; 0·x is exact
  const parts: string[] = [];
  for (let t = 0; t < indices.length; t++) {
    const c = values[t]!;
    const sign = c < 0 ? "-" : "+";
    const mag = Math.abs(c);
    const term = `${mag === 1 ? "" : `${num(mag)} `}${names[indices[t]!]}`;
    parts.push(t === 0 ? (c < 0 ? `- ${term}` : term) : `${sign} ${term}`);
    if ((t + 1) % perLine === 0 && t + 1 < indices.length) parts.push("\n  ");
  }
  return parts.join(" ").replace(/ \n {2} /g, "\n   ");
}

/** Writes a model as CPLEX LP text (names checked or escaped, see the module comment). */
export function toLpText(model: Model, opts: LpWriteOptions = {}): LpText {
  if (model.numVars === 0)
    throw new MisuseError({
      where: model.name,
      what: "the model has no variables",
      hint: "add variables before writing it",
    });
  const mode = opts.names ?? "strict";
  const per = opts.termsPerLine ?? 8;
  const cols = nameTable(
    model.columns.map((c) => c.name),
    mode,
    "variable",
  );
  const rowBase = nameTable(
    model.rows.map((r) => r.name),
    mode,
    "constraint",
  );
  const out: string[] = [];
  out.push(
    `\\ Model ${model.name.replace(/[\r\n]/g, " ")}: ${model.numVars} variables, ${model.numConstraints} constraints`,
  );
  out.push(model.sense === "maximize" ? "Maximize" : "Minimize");
  const objIdx = [...model.objective.terms.keys()].sort((a, b) => a - b);
  const objVal = objIdx.map((i) => model.objective.terms.get(i)!);
  let obj = objIdx.length ? linear(objIdx, objVal, cols, per) : `0 ${cols[0]}`;
  const k = model.objective.constant;
  if (k !== 0) obj += ` ${k < 0 ? "-" : "+"} ${num(Math.abs(k))}`;
  out.push(` obj: ${obj}`);
  out.push("Subject To");
  const rowNames: string[] = [];
  for (const [i, r] of model.rows.entries()) {
    const lhs = linear(r.indices, r.values, cols, per);
    const name = rowBase[i] ?? `c${i}`;
    const lo = Number.isFinite(r.lower);
    const hi = Number.isFinite(r.upper);
    if (lo && hi && r.lower === r.upper) {
      out.push(` ${name}: ${lhs} = ${num(r.lower)}`);
      rowNames.push(name);
    } else if (lo && hi) {
      out.push(` ${name}_lo: ${lhs} >= ${num(r.lower)}`);
      out.push(` ${name}_hi: ${lhs} <= ${num(r.upper)}`);
      rowNames.push(`${name}_lo`, `${name}_hi`);
    } else if (lo) {
      out.push(` ${name}: ${lhs} >= ${num(r.lower)}`);
      rowNames.push(name);
    } else if (hi) {
      out.push(` ${name}: ${lhs} <= ${num(r.upper)}`);
      rowNames.push(name);
    }
    // a row with no finite bound constrains nothing and is left out
  }
  out.push("Bounds");
  for (const [i, c] of model.columns.entries()) {
    const n = cols[i] ?? "";
    if (c.type === "binary" && c.lb === 0 && c.ub === 1) continue;
    if (c.lb === Number.NEGATIVE_INFINITY && c.ub === Number.POSITIVE_INFINITY) out.push(` ${n} free`);
    else if (c.lb === c.ub) out.push(` ${n} = ${num(c.lb)}`);
    else if (c.lb === 0 && c.ub === Number.POSITIVE_INFINITY) continue;
    else out.push(` ${num(c.lb)} <= ${n} <= ${num(c.ub)}`);
  }
  const gens: string[] = [];
  const bins: string[] = [];
  for (const [i, c] of model.columns.entries()) {
    // A binary with tightened bounds had them written in Bounds; declared General, it keeps them.
    const n = cols[i] ?? "";
    if (c.type === "binary" && c.lb === 0 && c.ub === 1) bins.push(n);
    else if (c.type !== "continuous") gens.push(n);
  }
  const wrap = (names: string[]) => {
    const lines: string[] = [];
    for (let i = 0; i < names.length; i += 10) lines.push(` ${names.slice(i, i + 10).join(" ")}`);
    return lines;
  };
  if (gens.length) out.push("Generals", ...wrap(gens));
  if (bins.length) out.push("Binaries", ...wrap(bins));
  out.push("End", "");
  return { text: out.join("\n"), colNames: cols, rowNames };
}
