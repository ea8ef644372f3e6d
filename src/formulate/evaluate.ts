/**
 * Evaluates expression trees against a symbol table: numbers stay numbers, variable terms become
 * linear expressions of the compiled model's columns, sums iterate their sets (with conditions),
 * index expressions (`x_{t-1}`) are looked up in the symbol's index set. Products of two variable
 * terms, divisions by a variable and powers of a variable are refused: the model must be linear.
 *
 * A single variable term is a `Term` (a column and a coefficient), not a map: most values inside
 * a sum are one, and this keeps the expansion of large sums cheap. Every Term and LinExpr this
 * returns is fresh (owned by the caller), so arithmetic works in place.
 */
import { LinExpr, type Var } from "../mip/index.js";
import type { Binder, Condition, Expr, RefExpr } from "./expr/ast.js";
import type { SetElement } from "./schema.js";
import {
  elementKey,
  type ParamInfo,
  type SetInfo,
  type SymbolTable,
  suggestion,
  type VarInfo,
} from "./symbols.js";

/** A problem at a position of the expression being evaluated. */
export class ExprError extends Error {
  constructor(
    readonly pos: number,
    readonly what: string,
    readonly hint: string,
  ) {
    super(what);
  }
}

/** One variable times a coefficient. */
export class Term {
  constructor(
    readonly col: Var,
    public coef: number,
  ) {}
}

/** What an expression evaluates to: a number, a label, one variable term or a linear expression. */
export type Value = number | string | Term | LinExpr;

/** A numeric value (not a label) as a LinExpr (a fresh one for numbers and terms). */
export function toLinExpr(v: number | Term | LinExpr): LinExpr {
  if (typeof v === "number") return new LinExpr().add(v);
  if (v instanceof Term) return new LinExpr().add(v.col, v.coef);
  return v;
}

/** What an index name is bound to while a sum or a domain iterates. */
export interface Bound {
  value: SetElement;
  set: SetInfo | null;
  /** Position of `value` in `set` (-1 for an integer range). */
  pos: number;
}

/** Index name → its current binding. */
export type Env = Map<string, Bound>;

/** The most terms one model may expand to (guards against runaway sums in LLM output). */
export const MAX_TERMS = 5_000_000;

/** Evaluates the expressions of one model element against the symbol table and the model's columns. */
export class Evaluator {
  /** Terms produced so far (all expressions of the model). */
  terms = 0;
  private readonly inferred = new WeakMap<Binder, SetInfo>();
  private readonly warned = new WeakSet<Expr>();

  constructor(
    private readonly syms: SymbolTable,
    private readonly cols: readonly Var[],
    private readonly warn: (pos: number, message: string) => void,
  ) {}

  /** Evaluates `e` with the indices bound in `env`. */
  eval(e: Expr, env: Env): Value {
    switch (e.kind) {
      case "num":
        return e.value;
      case "ref":
        return this.ref(e, env);
      case "neg": {
        const v = this.numeric(this.eval(e.arg, env), e.arg.pos);
        if (typeof v === "number") return -v;
        if (v instanceof Term) {
          v.coef = -v.coef;
          return v;
        }
        return v.scale(-1);
      }
      case "sum":
        return this.sum(e, env);
      case "bin":
        return this.bin(e, env);
    }
  }

  /** Evaluates `e` and requires a constant number. */
  evalNumber(e: Expr, env: Env, what: string): number {
    const v = this.numeric(this.eval(e, env), e.pos);
    const k = constantOf(v);
    if (k !== null) return k;
    throw new ExprError(e.pos, `${what} depends on a variable`, `make ${what} a number or a parameter`);
  }

  private numeric(v: Value, pos: number): number | Term | LinExpr {
    if (typeof v !== "string") return v;
    const n = Number(v);
    if (v.trim() !== "" && Number.isFinite(n)) return n;
    throw new ExprError(
      pos,
      `the label ${JSON.stringify(v)} is used as a number`,
      "use labels only as indices or in conditions like i != j",
    );
  }

  private bin(e: Extract<Expr, { kind: "bin" }>, env: Env): Value {
    if (e.implicit && !this.warned.has(e)) {
      this.warned.add(e);
      this.warn(e.pos, `a missing "*" was inserted at position ${e.pos}`);
    }
    const a = this.numeric(this.eval(e.left, env), e.left.pos);
    const b = this.numeric(this.eval(e.right, env), e.right.pos);
    switch (e.op) {
      case "+":
      case "-": {
        const s = e.op === "+" ? 1 : -1;
        if (typeof a === "number" && typeof b === "number") return a + s * b;
        if (typeof a === "number" && b instanceof LinExpr) return b.scale(s).add(a);
        const out = toLinExpr(a);
        if (b instanceof Term) return out.add(b.col, s * b.coef);
        return out.add(b, s);
      }
      case "*": {
        if (typeof a === "number" && typeof b === "number") return a * b;
        const ka = constantOf(a);
        const kb = constantOf(b);
        if (ka !== null && kb !== null) return ka * kb;
        if (ka !== null) return scaled(b as Term | LinExpr, ka);
        if (kb !== null) return scaled(a as Term | LinExpr, kb);
        throw new ExprError(
          e.pos,
          "the product of two variable terms is not linear",
          "multiply variables only by numbers or parameters (the model must be linear)",
        );
      }
      case "/": {
        const kb = constantOf(b);
        if (kb === null)
          throw new ExprError(
            e.pos,
            "dividing by a variable term is not linear",
            "divide only by numbers or parameters",
          );
        if (kb === 0) throw new ExprError(e.pos, "division by zero", "check the divisor's data");
        return typeof a === "number" ? a / kb : scaled(a, 1 / kb);
      }
      case "^": {
        const kb = constantOf(b);
        const ka = constantOf(a);
        if (kb === null)
          throw new ExprError(
            e.pos,
            "an exponent that depends on a variable is not linear",
            "use a number as exponent",
          );
        if (ka !== null) return ka ** kb;
        if (kb === 1) return a;
        throw new ExprError(
          e.pos,
          `a variable term raised to the power ${kb} is not linear`,
          "write the model with linear terms only",
        );
      }
    }
  }

  private sum(e: Extract<Expr, { kind: "sum" }>, env: Env): Value {
    let k = 0;
    let lin: LinExpr | null = null;
    this.bindings(e.binders, e.cond, env, [e.body], () => {
      const v = this.numeric(this.eval(e.body, env), e.body.pos);
      if (typeof v === "number") {
        k += v;
        return;
      }
      if (++this.terms > MAX_TERMS)
        throw new ExprError(e.pos, `the model expands to more than ${MAX_TERMS} terms`, "use smaller sets");
      if (v instanceof Term) {
        if (lin === null) lin = new LinExpr();
        lin.add(v.col, v.coef);
      } else if (lin === null) lin = v;
      else lin.add(v);
    });
    if (lin === null) return k;
    return (lin as LinExpr).add(k);
  }

  // ---- names and indices --------------------------------------------------------------------

  private ref(r: RefExpr, env: Env): Value {
    if (r.indices.length > 0) {
      const sym = this.symbol(r.name);
      if (!sym) {
        if (this.syms.sets.has(r.name))
          throw new ExprError(
            r.pos,
            `${r.name} is a set, not a parameter or variable`,
            "index parameters and variables, not sets",
          );
        throw new ExprError(
          r.pos,
          `unknown symbol ${r.name}`,
          suggestion(r.name, this.symbolNames(), "parameters and variables"),
        );
      }
      return this.indexed(sym, r.indices, env, r.pos);
    }
    const bound = env.get(r.name);
    if (bound) return bound.value;
    const sym = this.symbol(r.name);
    if (sym) {
      if (sym.dims.length > 0)
        throw new ExprError(
          r.pos,
          `${r.name} is indexed by ${sym.dims.map((d) => d.name).join(", ")} but has no index here`,
          `write ${r.name}_{${sym.dims.map((d) => d.name.toLowerCase()).join(",")}} inside a sum or a domain that binds the indices`,
        );
      return this.value(sym, 0);
    }
    const split = this.splitName(r, env);
    if (split) return this.indexed(split.sym, split.indices, env, r.pos);
    if (this.syms.sets.has(r.name))
      throw new ExprError(
        r.pos,
        `${r.name} is a set, not a value`,
        "sum over it (sum_{i in I}) or index with it",
      );
    throw new ExprError(
      r.pos,
      `unknown symbol ${r.name}`,
      suggestion(r.name, [...this.symbolNames(), ...env.keys()], "names"),
    );
  }

  private symbolNames(): string[] {
    return [...this.syms.params.keys(), ...this.syms.vars.keys()];
  }

  private symbol(name: string): ParamInfo | VarInfo | undefined {
    return this.syms.params.get(name) ?? this.syms.vars.get(name);
  }

  /**
   * `x_i`, `c_i_j`, `cost_per_unit_f` written without braces: the longest declared prefix whose
   * index count matches the parts after it. `x_ij` with two one-letter bound indices is split too.
   */
  private splitName(r: RefExpr, env: Env): { sym: ParamInfo | VarInfo; indices: Expr[] } | null {
    const name = r.name;
    for (let k = name.lastIndexOf("_"); k > 0; k = name.lastIndexOf("_", k - 1)) {
      const sym = this.symbol(name.slice(0, k));
      if (!sym || sym.dims.length === 0) continue;
      const rest = name.slice(k + 1);
      let parts = rest.split("_");
      if (
        parts.length !== sym.dims.length &&
        parts.length === 1 &&
        rest.length === sym.dims.length &&
        [...rest].every((c) => env.has(c))
      ) {
        parts = [...rest];
        this.warn(r.pos, `${name} read as ${name.slice(0, k)}_{${parts.join(",")}}`);
      }
      if (parts.length !== sym.dims.length) continue;
      let at = r.pos + k + 1;
      const indices: Expr[] = parts.map((p) => {
        const pos = at;
        at += p.length + 1;
        return /^\d+$/.test(p)
          ? { kind: "num", value: Number(p), pos }
          : { kind: "ref", name: p, indices: [], pos };
      });
      return { sym, indices };
    }
    return null;
  }

  private value(sym: ParamInfo | VarInfo, offset: number): Value {
    if (sym.kind === "parameter") return sym.values[offset]!;
    const col = this.cols[sym.offset + offset];
    if (!col) throw new ExprError(0, `variable ${sym.name} has no column`, "this is a bug; report it");
    return new Term(col, 1);
  }

  private indexed(sym: ParamInfo | VarInfo, indicesIn: Expr[], env: Env, pos: number): Value {
    let indices = indicesIn;
    const n = sym.dims.length;
    if (indices.length !== n) {
      const only = indices[0];
      if (
        indices.length === 1 &&
        only?.kind === "ref" &&
        only.indices.length === 0 &&
        !env.has(only.name) &&
        only.name.length === n &&
        [...only.name].every((c) => env.has(c))
      ) {
        indices = [...only.name].map((c, k) => ({ kind: "ref", name: c, indices: [], pos: only.pos + k }));
        this.warn(pos, `${sym.name}_{${only.name}} read as ${sym.name}_{${[...only.name].join(",")}}`);
      } else
        throw new ExprError(
          pos,
          `${sym.name} has ${n} ${n === 1 ? "index" : "indices"}${n ? ` (${sym.dims.map((d) => d.name).join(", ")})` : ""} but ${indices.length} ${indices.length === 1 ? "is" : "are"} given`,
          n === 0
            ? `write ${sym.name} without an index`
            : `write ${sym.name}_{${sym.dims.map((d) => d.name.toLowerCase()).join(",")}}`,
        );
    }
    let offset = 0;
    for (let k = 0; k < n; k++) {
      const set = sym.dims[k]!;
      const ix = indices[k]!;
      // fast path: an index bound to an element of this very set
      const bound = ix.kind === "ref" && ix.indices.length === 0 ? env.get(ix.name) : undefined;
      if (bound && bound.set === set) {
        offset = offset * set.elements.length + bound.pos;
        continue;
      }
      const key = this.indexKey(ix, env, set, sym.name);
      const p = set.keys.get(key);
      if (p === undefined)
        throw new ExprError(
          startOf(ix),
          `index out of range: ${sym.name}'s index ${k + 1} is ${JSON.stringify(key)}${bindingText(env)}, which is not an element of set ${set.name} (${preview(set)})`,
          "keep indices inside the set (add a condition such as t > 1, or fix the data)",
        );
      offset = offset * set.elements.length + p;
    }
    return this.value(sym, offset);
  }

  private indexKey(e: Expr, env: Env, set: SetInfo, symbol: string): string {
    if (e.kind === "num") return String(e.value);
    if (e.kind === "ref" && e.indices.length === 0) {
      const b = env.get(e.name);
      if (b) return elementKey(b.value);
      if (set.keys.has(e.name)) return e.name;
      const p = this.syms.params.get(e.name);
      if (p && p.dims.length === 0) return String(p.values[0]);
      throw new ExprError(
        e.pos,
        `index ${e.name} of ${symbol} is not bound and is not an element of set ${set.name}`,
        `bind it in the element's domain or a sum (e.g. ${e.name} in ${set.name})`,
      );
    }
    const v = this.eval(e, env);
    if (typeof v === "string") return v.trim();
    const k = constantOf(v);
    if (k !== null) return String(k);
    throw new ExprError(
      e.pos,
      "an index cannot depend on a variable",
      "index with set elements, bound indices or numbers",
    );
  }

  // ---- iteration --------------------------------------------------------------------------

  /**
   * Calls `visit` once per assignment of `binders` (in order, the last varying fastest) that
   * satisfies `cond`, with the assignment in `env` (restored afterwards). `body` is where a
   * binder without a set is looked up to infer its set.
   */
  bindings(binders: Binder[], cond: Condition | null, env: Env, body: Expr[], visit: () => void): void {
    const go = (k: number): void => {
      if (k === binders.length) {
        if (!cond || this.condition(cond, env)) visit();
        return;
      }
      const b = binders[k]!;
      const prev = env.get(b.index);
      try {
        if (b.range) {
          const lo = this.evalNumber(b.range.lo, env, "the lower limit");
          const hi = this.evalNumber(b.range.hi, env, "the upper limit");
          if (!Number.isInteger(lo) || !Number.isInteger(hi))
            throw new ExprError(
              b.pos,
              `the range ${lo}..${hi} of ${b.index} is not integral`,
              "use integer limits",
            );
          if (hi - lo > 1_000_000)
            throw new ExprError(b.pos, `the range ${lo}..${hi} is too long`, "use a smaller range");
          const cur: Bound = { value: lo, set: null, pos: -1 };
          env.set(b.index, cur);
          for (let v = lo; v <= hi; v++) {
            cur.value = v;
            go(k + 1);
          }
        } else {
          const set = this.setOf(b, body);
          const cur: Bound = { value: set.elements[0]!, set, pos: 0 };
          env.set(b.index, cur);
          for (const [i, v] of set.elements.entries()) {
            cur.value = v;
            cur.pos = i;
            go(k + 1);
          }
        }
      } finally {
        if (prev) env.set(b.index, prev);
        else env.delete(b.index);
      }
    };
    go(0);
  }

  /** The set a binder ranges over: named, or inferred from where its index is used. */
  setOf(b: Binder, body: Expr[]): SetInfo {
    if (b.set !== null) {
      const s = this.syms.sets.get(b.set);
      if (!s)
        throw new ExprError(
          b.setPos,
          `unknown set ${b.set}`,
          suggestion(b.set, [...this.syms.sets.keys()], "sets"),
        );
      return s;
    }
    const cached = this.inferred.get(b);
    if (cached) return cached;
    for (const e of body) {
      const s = this.inferFrom(e, b.index);
      if (s) {
        this.inferred.set(b, s);
        this.warn(
          b.pos,
          `the set of ${b.index} was taken to be ${s.name}, from its use; write ${b.index} in ${s.name}`,
        );
        return s;
      }
    }
    throw new ExprError(b.pos, `the set ${b.index} ranges over is not given`, `write ${b.index} in SET`);
  }

  private inferFrom(e: Expr, index: string): SetInfo | null {
    switch (e.kind) {
      case "num":
        return null;
      case "ref": {
        const sym = this.symbol(e.name);
        if (sym && e.indices.length === sym.dims.length) {
          for (const [k, ix] of e.indices.entries())
            if (ix.kind === "ref" && ix.name === index && ix.indices.length === 0) return sym.dims[k]!;
        }
        if (!sym && e.indices.length === 0) {
          // x_i written without braces
          for (let k = e.name.lastIndexOf("_"); k > 0; k = e.name.lastIndexOf("_", k - 1)) {
            const s2 = this.symbol(e.name.slice(0, k));
            if (!s2) continue;
            const parts = e.name.slice(k + 1).split("_");
            if (parts.length !== s2.dims.length) continue;
            const at = parts.indexOf(index);
            if (at >= 0) return s2.dims[at]!;
          }
        }
        for (const ix of e.indices) {
          const s = this.inferFrom(ix, index);
          if (s) return s;
        }
        return null;
      }
      case "neg":
        return this.inferFrom(e.arg, index);
      case "bin":
        return this.inferFrom(e.left, index) ?? this.inferFrom(e.right, index);
      case "sum":
        return this.inferFrom(e.body, index);
    }
  }

  condition(c: Condition, env: Env): boolean {
    if (c.kind === "and") return c.parts.every((p) => this.condition(p, env));
    const a = this.eval(c.left, env);
    const b = this.eval(c.right, env);
    const num = (v: Value): number | null => {
      if (typeof v === "number") return v;
      if (typeof v === "string") {
        const n = Number(v);
        return v.trim() !== "" && Number.isFinite(n) ? n : null;
      }
      const k = constantOf(v);
      if (k !== null) return k;
      throw new ExprError(c.pos, "a condition cannot depend on a variable", "compare indices or parameters");
    };
    const x = num(a);
    const y = num(b);
    if (x !== null && y !== null) {
      switch (c.op) {
        case "<":
          return x < y;
        case "<=":
          return x <= y;
        case ">":
          return x > y;
        case ">=":
          return x >= y;
        case "=":
          return x === y;
        case "!=":
          return x !== y;
      }
    }
    if (c.op === "=" || c.op === "!=") {
      const eq = String(a).trim() === String(b).trim();
      return c.op === "=" ? eq : !eq;
    }
    throw new ExprError(
      c.pos,
      `cannot order labels (${String(a)} ${c.op} ${String(b)})`,
      "compare labels only with = or !=",
    );
  }
}

/** Offset of the leftmost token of an expression. */
function startOf(e: Expr): number {
  if (e.kind === "bin") return Math.min(e.pos, startOf(e.left));
  return e.pos;
}

function constantOf(v: number | Term | LinExpr): number | null {
  if (typeof v === "number") return v;
  if (v instanceof Term) return null;
  return v.terms.size === 0 ? v.constant : null;
}

/** `v · k`, in place (v is fresh). */
function scaled(v: Term | LinExpr, k: number): Term | LinExpr {
  if (v instanceof Term) {
    v.coef *= k;
    return v;
  }
  return v.scale(k);
}

function preview(s: SetInfo): string {
  const n = s.elements.length;
  return n <= 8 ? s.elements.join(", ") : `${s.elements.slice(0, 6).join(", ")}, …, ${s.elements[n - 1]}`;
}

function bindingText(env: Env): string {
  if (env.size === 0) return "";
  return ` (at ${[...env].map(([k, b]) => `${k}=${b.value}`).join(", ")})`;
}
