/**
 * The symbol table of a structured model: sets with their elements, parameters with data checked
 * against their domain (one nesting level per domain set, lists of exactly the set's size or
 * objects keyed by its elements), and variables with their index sets. Every problem is a
 * FormulationError naming the element (`parameters[2] (demand)`), the field and what to do.
 */
import { FormulationError } from "./errors.js";
import type { Binder } from "./expr/ast.js";
import { ParseError, parseDomain } from "./expr/parser.js";
import type {
  ParameterData,
  PartialModel,
  SetElement,
  StructuredParameter,
  StructuredSet,
  StructuredVariable,
  StructuredVarType,
} from "./schema.js";

/** A set: elements in order and a lookup from element key to position. */
export interface SetInfo {
  name: string;
  elements: SetElement[];
  /** Element key (`String(element)`) → position. */
  keys: Map<string, number>;
  /** Where it is declared, e.g. `sets[0] (Foods)`. */
  element: string;
}

/** A parameter with its index sets and its data flattened in row-major order. */
export interface ParamInfo {
  kind: "parameter";
  name: string;
  dims: SetInfo[];
  /** Values in row-major order over `dims` (one value for a scalar). */
  values: Float64Array;
  element: string;
}

/** A variable with its index sets, type, bounds and first column. */
export interface VarInfo {
  kind: "variable";
  name: string;
  dims: SetInfo[];
  type: StructuredVarType;
  lower: number;
  upper: number;
  /** Index of the first column in the compiled model (set by the compiler). */
  offset: number;
  element: string;
}

/** Sets, parameters and variables of a model by name. */
export interface SymbolTable {
  sets: Map<string, SetInfo>;
  params: Map<string, ParamInfo>;
  vars: Map<string, VarInfo>;
  /** Repairs and remarks (e.g. "data [5] read as 5"). */
  warnings: string[];
}

/** The key of a set element: numbers and numeric labels match (`1` and `"1"`). */
export function elementKey(v: SetElement): string {
  return typeof v === "number" ? String(v) : v.trim();
}

/** The closest of `names` to `name` (case-insensitive or within edit distance 2), for "did you mean". */
export function closest(name: string, names: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const n of names) {
    if (n.toLowerCase() === name.toLowerCase()) return n;
    const d = editDistance(name, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 99;
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** "did you mean X?" hint text, or a list of the known names. */
export function suggestion(name: string, names: string[], kind: string): string {
  const c = closest(name, names);
  if (c) return `did you mean ${c}? (declared ${kind}: ${names.join(", ")})`;
  return names.length ? `declared ${kind}: ${names.join(", ")}` : `declare it in ${kind}`;
}

/** How an element is named in messages: `constraints[2] (capacity)`. */
export function labelOf(layer: string, k: number, name: string | undefined): string {
  return `${layer}[${k}]${name ? ` (${name})` : ""}`;
}

function setElements(s: StructuredSet, element: string): SetElement[] {
  const d = s.data;
  if (typeof d === "number") return Array.from({ length: d }, (_, i) => i + 1);
  if (typeof d === "string") {
    const m = /^\s*[[{(]?\s*(-?\d+)\s*\.{2,3}\s*(-?\d+)\s*[\]})]?\s*$/.exec(d);
    if (!m)
      throw new FormulationError({
        element,
        field: "data",
        what: `${JSON.stringify(d)} is not a range`,
        hint: 'write a list like [1, 2, 3] or ["a", "b"], or a range "1..N"',
      });
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    if (hi < lo)
      throw new FormulationError({
        element,
        field: "data",
        what: `the range ${lo}..${hi} is empty`,
        hint: "give lo ≤ hi",
      });
    if (hi - lo >= 1_000_000)
      throw new FormulationError({
        element,
        field: "data",
        what: `the range ${lo}..${hi} has more than a million elements`,
        hint: "use a smaller set",
      });
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  }
  return d;
}

function buildSet(s: StructuredSet, element: string): SetInfo {
  const elements = setElements(s, element);
  if (elements.length === 0)
    throw new FormulationError({
      element,
      field: "data",
      what: "the set is empty",
      hint: "list its elements",
    });
  const keys = new Map<string, number>();
  elements.forEach((v, i) => {
    const k = elementKey(v);
    if (k === "")
      throw new FormulationError({
        element,
        field: `data[${i}]`,
        what: "an element is empty",
        hint: "give it a label",
      });
    if (keys.has(k))
      throw new FormulationError({
        element,
        field: `data[${i}]`,
        what: `element ${JSON.stringify(v)} is listed twice`,
        hint: "list each element once",
      });
    keys.set(k, i);
  });
  return { name: s.name, elements, keys, element };
}

/**
 * The sets of a declaration domain (`i in I, j in J`, or `I, J`). Index names do not matter in a
 * declaration; ranges and conditions are refused (declare a set instead).
 */
export function declarationSets(
  domain: string | null | undefined,
  sets: Map<string, SetInfo>,
  element: string,
): SetInfo[] {
  let binders: Binder[];
  try {
    const d = parseDomain(domain);
    if (d.cond)
      throw new FormulationError({
        element,
        field: "domain",
        what: "a declaration's domain cannot have a condition",
        hint: "declare the element over whole sets (conditions belong in constraints and sums)",
        source: domain ?? "",
      });
    binders = d.binders;
  } catch (e) {
    if (e instanceof ParseError)
      throw new FormulationError(
        {
          element,
          field: "domain",
          what: e.what,
          hint: e.hint,
          source: domain ?? "",
          position: e.position,
          expected: e.expected,
        },
        e,
      );
    throw e;
  }
  return binders.map((b) => {
    if (b.range)
      throw new FormulationError({
        element,
        field: "domain",
        what: `${b.index} ranges over numbers, not a set`,
        hint: 'declare a set (e.g. T with data "1..N") and write t in T',
        source: domain ?? "",
        position: b.pos,
      });
    const name = b.set ?? b.index;
    const s = sets.get(name);
    if (!s)
      throw new FormulationError({
        element,
        field: "domain",
        what: `unknown set ${name}`,
        hint: suggestion(name, [...sets.keys()], "sets"),
        source: domain ?? "",
        position: b.setPos,
      });
    return s;
  });
}

function describeShape(dims: SetInfo[], from: number): string {
  const rest = dims.slice(from);
  if (rest.length === 0) return "a number";
  const [first, ...more] = rest;
  const inner = more.length === 0 ? "numbers" : `lists (${describeShape(dims, from + 1)})`;
  return `a list of ${first!.elements.length} ${inner} (one per element of ${first!.name})`;
}

function flattenData(
  data: ParameterData,
  dims: SetInfo[],
  element: string,
  warnings: string[],
): Float64Array {
  const size = dims.reduce((p, s) => p * s.elements.length, 1);
  const out = new Float64Array(size);
  const fail = (path: string, what: string): never => {
    throw new FormulationError({
      element,
      field: `data${path}`,
      what,
      hint: `give ${describeShape(dims, 0)}${dims.length ? `, domain ${dims.map((d) => d.name).join(" × ")}` : ""}`,
    });
  };
  const walk = (v: ParameterData, level: number, offset: number, path: string): void => {
    if (level === dims.length) {
      if (typeof v !== "number") {
        if (Array.isArray(v)) fail(path, `found a list of ${v.length} where a number belongs`);
        fail(path, "found an object where a number belongs");
      }
      if (!Number.isFinite(v)) fail(path, `${v} is not a finite number`);
      out[offset] = v as number;
      return;
    }
    const set = dims[level]!;
    const n = set.elements.length;
    const stride = dims.slice(level + 1).reduce((p, s) => p * s.elements.length, 1);
    if (typeof v === "number")
      fail(path, `found the number ${v} where ${describeShape(dims, level)} belongs`);
    if (Array.isArray(v)) {
      if (v.length !== n) {
        const flatHint =
          level === 0 && dims.length > 1 && v.length === size && v.every((x) => typeof x === "number")
            ? ` (a flat list of ${size}: nest it, one list per element of ${set.name})`
            : "";
        fail(path, `has ${v.length} entries but set ${set.name} has ${n} elements${flatHint}`);
      }
      v.forEach((x, i) => walk(x, level + 1, offset + i * stride, `${path}[${i}]`));
      return;
    }
    const obj = v as Record<string, ParameterData>;
    const seen = new Set<number>();
    for (const [k, x] of Object.entries(obj)) {
      const pos = set.keys.get(k.trim());
      if (pos === undefined)
        fail(
          `${path}.${k}`,
          `${JSON.stringify(k)} is not an element of set ${set.name} (${set.elements.slice(0, 8).join(", ")}${n > 8 ? ", …" : ""})`,
        );
      seen.add(pos as number);
      walk(x, level + 1, offset + (pos as number) * stride, `${path}.${k}`);
    }
    if (seen.size !== n) {
      const missing = set.elements.filter((_, i) => !seen.has(i));
      fail(
        path,
        `has no value for ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} of set ${set.name}`,
      );
    }
  };
  // a scalar written as [5] is read as 5
  if (dims.length === 0 && Array.isArray(data) && data.length === 1 && typeof data[0] === "number") {
    warnings.push(`${element}: data [${data[0]}] read as the number ${data[0]}`);
    out[0] = data[0];
    return out;
  }
  walk(data, 0, 0, "");
  return out;
}

function buildParam(
  p: StructuredParameter,
  element: string,
  sets: Map<string, SetInfo>,
  warnings: string[],
): ParamInfo {
  const dims = declarationSets(p.domain, sets, element);
  return {
    kind: "parameter",
    name: p.name,
    dims,
    values: flattenData(p.data, dims, element, warnings),
    element,
  };
}

function buildVar(v: StructuredVariable, element: string, sets: Map<string, SetInfo>): VarInfo {
  const dims = declarationSets(v.domain, sets, element);
  let lower = v.lower === null ? Number.NEGATIVE_INFINITY : (v.lower ?? 0);
  let upper = v.upper === null || v.upper === undefined ? Number.POSITIVE_INFINITY : v.upper;
  if (v.type === "BINARY") {
    lower = Math.max(lower, 0);
    upper = Math.min(upper, 1);
  }
  if (lower > upper)
    throw new FormulationError({
      element,
      field: "lower",
      what: `the bounds [${lower}, ${upper}] are empty`,
      hint: "give lower ≤ upper",
    });
  return { kind: "variable", name: v.name, dims, type: v.type, lower, upper, offset: -1, element };
}

const NAME = /^[\p{L}][\p{L}\p{N}_']*$/u;

function checkName(name: string, element: string): void {
  if (!NAME.test(name))
    throw new FormulationError({
      element,
      field: "name",
      what: `${JSON.stringify(name)} is not a symbol name`,
      hint: "use a letter followed by letters, digits or _ (e.g. x, cost, x_ship)",
    });
}

/** Builds the symbol table of the layers present in `m` (sets, parameters, variables). */
export function buildSymbols(m: PartialModel): SymbolTable {
  const t: SymbolTable = { sets: new Map(), params: new Map(), vars: new Map(), warnings: [] };
  const declared = new Map<string, string>();
  const declare = (name: string, element: string) => {
    checkName(name, element);
    const prev = declared.get(name);
    if (prev)
      throw new FormulationError({
        element,
        field: "name",
        what: `${name} is declared twice (also ${prev})`,
        hint: "give each set, parameter and variable its own name",
      });
    declared.set(name, element);
  };
  (m.sets ?? []).forEach((s, k) => {
    const element = labelOf("sets", k, s.name);
    declare(s.name, element);
    t.sets.set(s.name, buildSet(s, element));
  });
  (m.parameters ?? []).forEach((p, k) => {
    const element = labelOf("parameters", k, p.name);
    declare(p.name, element);
    t.params.set(p.name, buildParam(p, element, t.sets, t.warnings));
  });
  (m.variables ?? []).forEach((v, k) => {
    const element = labelOf("variables", k, v.name);
    declare(v.name, element);
    t.vars.set(v.name, buildVar(v, element, t.sets));
  });
  return t;
}
