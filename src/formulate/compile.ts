/**
 * Compiles a structured model into a MIP of the modeling layer (`src/mip`): one column per
 * variable and index tuple (`x(1,Steak)`), one row per constraint and domain assignment
 * (`capacity(3)`; a chain `l <= e <= u` is one ranged row, other chains one row per comparison),
 * and the objective. Checks dimensions between sets, parameter data and indices; refuses
 * nonlinear terms. Problems are FormulationErrors naming the element, the field and the position.
 * `checkLayers` compiles whatever layers a partial model has (the verifier of the tree search).
 */
import { LinExpr, Model, type Var, type VarType } from "../mip/index.js";
import { FormulationError } from "./errors.js";
import { type Env, Evaluator, ExprError, toLinExpr } from "./evaluate.js";
import type { Binder, Condition, Domain, Expr, FunctionAst } from "./expr/ast.js";
import { ParseError, parseDomain, parseFunction } from "./expr/parser.js";
import { printDomain } from "./expr/printer.js";
import type { PartialModel, SetElement, StructuredModel } from "./schema.js";
import { buildSymbols, labelOf, type SymbolTable } from "./symbols.js";

/** One column of the compiled model: which variable and which index tuple. */
export interface ColumnInfo {
  symbol: string;
  index: SetElement[];
}

/** A structured model compiled to a MIP, with the column map and the compiler's repairs. */
export interface CompiledModel {
  model: Model;
  symbols: SymbolTable;
  /** By column index of `model`. */
  columns: ColumnInfo[];
  /** Rows each constraint element produced, in element order. */
  constraintRows: { name: string; rows: number }[];
  /** Repairs made and remarks (implicit `*`, inferred sets, strict inequalities read as ≤/≥ …). */
  warnings: string[];
}

/** Options of the compiler. */
export interface CompileOptions {
  /** The model's name (in LP files and errors). */
  name?: string;
}

const VAR_TYPES: Record<string, VarType> = { CONTINUOUS: "continuous", INTEGER: "integer", BINARY: "binary" };

/** Column name of a variable at an index tuple: `x` or `x(1,Steak)`. */
export function columnName(symbol: string, index: readonly SetElement[]): string {
  return index.length === 0 ? symbol : `${symbol}(${index.join(",")})`;
}

function cartesian(sets: { elements: SetElement[] }[]): SetElement[][] {
  let out: SetElement[][] = [[]];
  for (const s of sets) {
    const next: SetElement[][] = [];
    for (const prefix of out) for (const v of s.elements) next.push([...prefix, v]);
    out = next;
  }
  return out;
}

/** Turns a parse error into a FormulationError at the element's field. */
function parsed<T>(element: string, field: string, source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ParseError)
      throw new FormulationError(
        { element, field, what: e.what, hint: e.hint, source, position: e.position, expected: e.expected },
        e,
      );
    throw e;
  }
}

/** Runs `f`, turning an evaluation error into a FormulationError at the element's field. */
function evaluated<T>(element: string, field: string, source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ExprError)
      throw new FormulationError({ element, field, what: e.what, hint: e.hint, source, position: e.pos }, e);
    throw e;
  }
}

/** The constraint's domain: its `domain` field, merged with a forall clause inside `function`. */
function constraintDomain(
  domainText: string | null | undefined,
  f: FunctionAst,
  syms: SymbolTable,
  element: string,
  warn: (m: string) => void,
): Domain {
  const d = parsed(element, "domain", domainText ?? "", () => parseDomain(domainText));
  // a bare set name "I" in a constraint's domain means "i in I"
  const binders: Binder[] = d.binders.map((b) => {
    if (b.set === null && b.range === null && syms.sets.has(b.index)) {
      const index = b.index.toLowerCase() === b.index ? `${b.index}_` : b.index.toLowerCase();
      warn(`${element}.domain: "${b.index}" read as "${index} in ${b.index}"`);
      return { ...b, index, set: b.index };
    }
    return b;
  });
  const inner = f.forall;
  if (!inner) return { binders, cond: d.cond };
  if (binders.length === 0 && !d.cond) return inner;
  const known = new Set(binders.map((b) => b.index));
  const extra = inner.binders.filter((b) => !known.has(b.index));
  const conds = [d.cond, inner.cond].filter((c): c is Condition => c !== null);
  if (extra.length > 0 || inner.cond)
    warn(`${element}: the forall clause in function was merged with the domain (${printDomain(inner)})`);
  return {
    binders: [...binders, ...extra],
    cond:
      conds.length === 0
        ? null
        : conds.length === 1
          ? conds[0]!
          : { kind: "and", parts: conds, pos: conds[0]!.pos },
  };
}

function bindingSuffix(env: Env, binders: Binder[]): string {
  if (binders.length === 0) return "";
  return `(${binders.map((b) => String(env.get(b.index)?.value)).join(",")})`;
}

/** Compiles a whole structured model into a MIP. */
export function compileModel(sm: StructuredModel, opts: CompileOptions = {}): CompiledModel {
  return compileLayers(sm, opts, true) as CompiledModel;
}

/**
 * Compiles the layers a partial model has: sets and parameters (dimensions of the data), then
 * variables, then objective and constraints when present. Returns the warnings; throws a
 * FormulationError at the first problem. Used to check each layer an LLM writes.
 */
export function checkLayers(pm: PartialModel): { warnings: string[] } {
  const r = compileLayers(pm, {}, false);
  return { warnings: r.warnings };
}

function compileLayers(
  sm: PartialModel,
  opts: CompileOptions,
  requireAll: boolean,
): CompiledModel | { warnings: string[] } {
  const syms = buildSymbols(sm);
  const warnings: string[] = [...syms.warnings];
  const seen = new Set<string>();
  const warnAt = (element: string, field: string) => (pos: number, message: string) => {
    const key = `${element}|${field}|${pos}|${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    warnings.push(`${element}.${field}: ${message}`);
  };
  const warn = (m: string) => {
    if (!seen.has(m)) {
      seen.add(m);
      warnings.push(m);
    }
  };
  if (!requireAll && sm.variables === undefined) return { warnings };

  const model = new Model(opts.name ?? "formulate");
  const cols: Var[] = [];
  const columns: ColumnInfo[] = [];
  for (const v of syms.vars.values()) {
    v.offset = cols.length;
    for (const index of cartesian(v.dims)) {
      cols.push(
        model.addVar({ name: columnName(v.name, index), type: VAR_TYPES[v.type], lb: v.lower, ub: v.upper }),
      );
      columns.push({ symbol: v.name, index });
      if (cols.length > 5_000_000)
        throw new FormulationError({
          element: v.element,
          what: "the model has more than 5 million variables",
          hint: "use smaller sets",
        });
    }
  }
  if (!requireAll && sm.objective === undefined && sm.constraints === undefined) return { warnings };

  let ev = new Evaluator(syms, cols, () => {});
  // objective
  if (sm.objective) {
    const o = sm.objective;
    const element = "objective";
    ev = new Evaluator(syms, cols, warnAt(element, "function"));
    const f = parsed(element, "function", o.function, () => parseFunction(o.function));
    if (f.kind !== "expr")
      throw new FormulationError({
        element,
        field: "function",
        what: "the objective is a relation, not an expression",
        hint: "write only the expression to optimize (no <=, >= or =)",
        source: o.function,
        position: f.pos,
      });
    if (f.forall)
      throw new FormulationError({
        element,
        field: "function",
        what: "the objective has a forall clause",
        hint: "sum over the indices instead (sum_{i in I} …)",
        source: o.function,
      });
    const v = evaluated(element, "function", o.function, () => ev.eval(f.expr, new Map()));
    if (typeof v === "string")
      throw new FormulationError({
        element,
        field: "function",
        what: "the objective is a label",
        hint: "write an expression",
        source: o.function,
      });
    const e = toLinExpr(v);
    if (e.terms.size === 0) warn(`${element}.function: the objective has no variables (it is constant)`);
    model.setObjective(e, o.sense === "max" ? "maximize" : "minimize");
  } else if (requireAll)
    throw new FormulationError({ element: "objective", what: "the model has no objective", hint: "add one" });

  // constraints
  const constraintRows: { name: string; rows: number }[] = [];
  const usedNames = new Set<string>();
  for (const [k, c] of (sm.constraints ?? []).entries()) {
    const element = labelOf("constraints", k, c.name);
    let base = c.name;
    for (let n = 2; usedNames.has(base); n++) base = `${c.name}~${n}`;
    if (base !== c.name) warn(`${element}.name: ${c.name} is used twice; renamed ${base}`);
    usedNames.add(base);
    ev = new Evaluator(syms, cols, warnAt(element, "function"));
    const f = parsed(element, "function", c.function, () => parseFunction(c.function));
    if (f.kind !== "relation")
      throw new FormulationError({
        element,
        field: "function",
        what: 'expected a relation ("<=", ">=" or "="), found an expression only',
        hint: "write the constraint as lhs <= rhs, lhs >= rhs or lhs = rhs",
        source: c.function,
        position: c.function.length,
        expected: '"<=", ">=" or "="',
      });
    f.strict.forEach((s, i) => {
      if (s)
        warn(
          `${element}.function: strict inequality ${i + 1} read as ${f.ops[i]} (LP has no strict inequalities)`,
        );
    });
    const dom = evaluated(element, "domain", c.domain ?? "", () =>
      constraintDomain(c.domain, f, syms, element, warn),
    );
    const before = model.numConstraints;
    const env: Env = new Map();
    evaluated(element, "function", c.function, () =>
      ev.bindings(dom.binders, dom.cond, env, f.exprs, () => {
        const name = `${base}${bindingSuffix(env, dom.binders)}`;
        addRelation(
          model,
          f,
          f.exprs.map((x) => ev.eval(x, env)),
          name,
          element,
          warn,
        );
      }),
    );
    const rows = model.numConstraints - before;
    if (rows === 0 && dom.binders.length > 0)
      warn(`${element}: the domain is empty; the constraint adds no rows`);
    constraintRows.push({ name: base, rows });
  }
  return { model, symbols: syms, columns, constraintRows, warnings };
}

type Val = ReturnType<Evaluator["eval"]>;

function toLin(v: Val, element: string): LinExpr {
  if (typeof v === "number") return new LinExpr().add(v);
  if (typeof v === "string")
    throw new FormulationError({
      element,
      field: "function",
      what: `the label ${JSON.stringify(v)} is used as a number`,
      hint: "use labels only as indices",
    });
  return toLinExpr(v);
}

function addRelation(
  model: Model,
  f: Extract<FunctionAst, { kind: "relation" }>,
  vals: Val[],
  name: string,
  element: string,
  warn: (m: string) => void,
): void {
  const lins = vals.map((v) => toLin(v, element));
  // l <= e <= u (or u >= e >= l) with constant ends: one ranged row
  if (
    lins.length === 3 &&
    f.ops[0] === f.ops[1] &&
    f.ops[0] !== "=" &&
    lins[0]!.terms.size === 0 &&
    lins[2]!.terms.size === 0
  ) {
    const [a, mid, b] = lins as [LinExpr, LinExpr, LinExpr];
    const lo = f.ops[0] === "<=" ? a.constant : b.constant;
    const hi = f.ops[0] === "<=" ? b.constant : a.constant;
    if (mid.terms.size > 0) {
      model.addRange(lo, mid, hi, name);
      return;
    }
  }
  for (let k = 0; k < f.ops.length; k++) {
    const lhs = lins[k]!;
    const rhs = lins[k + 1]!;
    const rowName = f.ops.length > 1 ? `${name}_${k + 1}` : name;
    // in place: lins[k] is not needed after this comparison (it was the right side of the previous one)
    const e = lhs.sub(rhs);
    if (e.terms.size === 0) {
      const v = e.constant;
      const op = f.ops[k]!;
      const holds = op === "<=" ? v <= 1e-9 : op === ">=" ? v >= -1e-9 : Math.abs(v) <= 1e-9;
      if (holds) {
        warn(`${element}: ${rowName} has no variables and always holds; left out`);
        continue;
      }
      warn(`${element}: ${rowName} has no variables and never holds; the model is infeasible`);
    }
    // addRange takes the expression as it is (addConstraint would copy it)
    const op = f.ops[k]!;
    model.addRange(
      op === "<=" ? Number.NEGATIVE_INFINITY : 0,
      e,
      op === ">=" ? Number.POSITIVE_INFINITY : 0,
      rowName,
    );
  }
}

/** Every expression of a parsed function (for tools that walk the tree). */
export function functionExprs(f: FunctionAst): Expr[] {
  return f.kind === "expr" ? [f.expr] : f.exprs;
}
