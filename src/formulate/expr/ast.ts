/**
 * The syntax tree of `function` and `domain` strings. Names are not resolved here: whether `x_i`
 * is the scalar `x_i` or `x` indexed by `i` is decided by the compiler, which knows the symbols.
 * Every node keeps `pos`, its offset in the source, for error messages.
 */

/** An expression node. */
export type Expr = NumExpr | RefExpr | NegExpr | BinExpr | SumExpr;

/** A number literal (never negative: a minus sign is a `neg` node). */
export interface NumExpr {
  kind: "num";
  value: number;
  pos: number;
}

/**
 * A name with optional indices: `x`, `x_i` (a plain name: `indices` empty, the compiler splits it),
 * `x_{i,j}`, `x[i, j]`, `x_{t-1}`. An index is any expression (usually a bound index name).
 */
export interface RefExpr {
  kind: "ref";
  name: string;
  indices: Expr[];
  pos: number;
}

/** Unary minus. */
export interface NegExpr {
  kind: "neg";
  arg: Expr;
  pos: number;
}

/** Binary operators. */
export type BinOp = "+" | "-" | "*" | "/" | "^";

/** A binary operation. */
export interface BinExpr {
  kind: "bin";
  op: BinOp;
  left: Expr;
  right: Expr;
  /** A `*` that was not written (`2x`, `c_i x_i`); the compiler repairs it with a warning. */
  implicit?: boolean;
  pos: number;
}

/** `\sum_{i \in I, j \in J : cond} body` or `\sum_{i=1}^{N} body`; the body is one product term. */
export interface SumExpr {
  kind: "sum";
  binders: Binder[];
  cond: Condition | null;
  body: Expr;
  pos: number;
}

/**
 * One index bound by a sum or a domain: `i in I` (set named), `i` alone (the set is inferred
 * from where `i` is used), or `i = lo .. hi` (integers lo..hi).
 */
export interface Binder {
  index: string;
  set: string | null;
  range: { lo: Expr; hi: Expr } | null;
  pos: number;
  /** Offset of the set's name (or of the range), for errors about the set. */
  setPos: number;
}

/** Comparison operators of conditions. */
export type CmpOp = "<=" | ">=" | "<" | ">" | "=" | "!=";

/** A condition on bound indices (or parameters): `i != j`, `t > 1`, `d_{i,j} > 0`, joined by `and`. */
export type Condition =
  | { kind: "cmp"; op: CmpOp; left: Expr; right: Expr; pos: number }
  | { kind: "and"; parts: Condition[]; pos: number };

/** A domain: the indices an element ranges over, with an optional condition. */
export interface Domain {
  binders: Binder[];
  cond: Condition | null;
}

/** Relation operators of constraints (strict ones are read as these). */
export type RelOp = "<=" | ">=" | "=";

/**
 * A relation `e0 op0 e1 op1 e2 …` (chains become one row per comparison, or a ranged row).
 * `strict` marks comparisons written as `<` / `>` (read as `<=` / `>=`, with a warning).
 */
export interface Relation {
  kind: "relation";
  exprs: Expr[];
  ops: RelOp[];
  strict: boolean[];
  /** A `forall` clause written inside the function string, if any. */
  forall: Domain | null;
  pos: number;
}

/** What a `function` string holds: an expression (objectives) or a relation (constraints). */
export type FunctionAst = { kind: "expr"; expr: Expr; forall: Domain | null } | Relation;

/** Whether the expression is syntactically a sum, or a product/negation whose last factor is one. */
export function endsWithSum(e: Expr): boolean {
  if (e.kind === "sum") return true;
  if (e.kind === "neg") return endsWithSum(e.arg);
  if (e.kind === "bin" && (e.op === "*" || e.op === "/")) return endsWithSum(e.right);
  return false;
}
