/**
 * Prints syntax trees back to text, in the plain form (`sum_{i in I} c[i] * x[i] <= B`) or the
 * LaTeX-like form (`\sum_{i \in I} c_{i} \cdot x_{i} \leq B`). Both parse back to the same tree
 * (a property test checks it): brackets are written exactly where precedence or the extent of a
 * sum's body needs them.
 */
import { type Binder, type Condition, type Domain, type Expr, endsWithSum, type FunctionAst } from "./ast.js";

/** The plain form (`sum_{i in I} x[i]`) or the LaTeX-like form (`\sum_{i \in I} x_{i}`). */
export type PrintStyle = "plain" | "latex";

const PREC = { add: 1, mul: 2, unary: 3, pow: 4, primary: 5 } as const;

function precOf(e: Expr): number {
  switch (e.kind) {
    case "num":
    case "ref":
      return PREC.primary;
    case "neg":
      return PREC.unary;
    case "sum":
      return PREC.mul; // its body extends to the end of the product term
    case "bin":
      return e.op === "+" || e.op === "-" ? PREC.add : e.op === "^" ? PREC.pow : PREC.mul;
  }
}

function paren(s: string): string {
  return `(${s})`;
}

/** Prints an expression. */
export function printExpr(e: Expr, style: PrintStyle = "plain"): string {
  const p = (x: Expr, min: number): string => {
    const s = printExpr(x, style);
    return precOf(x) < min ? paren(s) : s;
  };
  switch (e.kind) {
    case "num":
      return String(e.value);
    case "ref": {
      if (e.indices.length === 0) return e.name;
      const idx = e.indices.map((i) => printExpr(i, style)).join(", ");
      return style === "latex" ? `${e.name}_{${idx}}` : `${e.name}[${idx}]`;
    }
    case "neg":
      return `-${p(e.arg, PREC.unary)}`;
    case "sum": {
      const head = style === "latex" ? "\\sum" : "sum";
      const body = p(e.body, PREC.mul);
      return `${head}_{${printItems(e.binders, e.cond, style)}} ${body}`;
    }
    case "bin": {
      if (e.op === "+" || e.op === "-") return `${p(e.left, PREC.add)} ${e.op} ${p(e.right, PREC.mul)}`;
      if (e.op === "^") {
        const base =
          e.left.kind === "num" || e.left.kind === "ref"
            ? printExpr(e.left, style)
            : paren(printExpr(e.left, style));
        return `${base}^{${printExpr(e.right, style)}}`;
      }
      if (e.op === "/" && style === "latex")
        return `\\frac{${printExpr(e.left, style)}}{${printExpr(e.right, style)}}`;
      const left = endsWithSum(e.left) ? paren(printExpr(e.left, style)) : p(e.left, PREC.mul);
      const op = e.op === "*" ? (style === "latex" ? "\\cdot" : "*") : "/";
      return `${left} ${op} ${p(e.right, PREC.unary)}`;
    }
  }
}

function printBinder(b: Binder, style: PrintStyle): string {
  const inKw = style === "latex" ? "\\in" : "in";
  if (b.range) return `${b.index} ${inKw} ${printExpr(b.range.lo, style)}..${printExpr(b.range.hi, style)}`;
  if (b.set === null) return b.index;
  return `${b.index} ${inKw} ${b.set}`;
}

/** Prints a condition (`i != j and t > 1`). */
export function printCondition(c: Condition, style: PrintStyle = "plain"): string {
  if (c.kind === "and") return c.parts.map((x) => printCondition(x, style)).join(" and ");
  const ops: Record<string, string> =
    style === "latex"
      ? { "<=": "\\leq", ">=": "\\geq", "!=": "\\neq", "<": "<", ">": ">", "=": "=" }
      : { "<=": "<=", ">=": ">=", "!=": "!=", "<": "<", ">": ">", "=": "=" };
  return `${printExpr(c.left, style)} ${ops[c.op]} ${printExpr(c.right, style)}`;
}

function printItems(binders: Binder[], cond: Condition | null, style: PrintStyle): string {
  const items = binders.map((b) => printBinder(b, style)).join(", ");
  return cond ? `${items}: ${printCondition(cond, style)}` : items;
}

/** Prints a domain (`i in I, j in J: i != j`). */
export function printDomain(d: Domain, style: PrintStyle = "plain"): string {
  return printItems(d.binders, d.cond, style);
}

/** Prints a whole `function` (expression or relation, with its forall clause if it has one). */
export function printFunction(f: FunctionAst, style: PrintStyle = "plain"): string {
  let s: string;
  if (f.kind === "expr") s = printExpr(f.expr, style);
  else {
    const ops: Record<string, string> =
      style === "latex" ? { "<=": "\\leq", ">=": "\\geq", "=": "=" } : { "<=": "<=", ">=": ">=", "=": "=" };
    s = printExpr(f.exprs[0]!, style);
    f.ops.forEach((op, k) => {
      s += ` ${f.strict[k] ? (op === "<=" ? "<" : ">") : ops[op]} ${printExpr(f.exprs[k + 1]!, style)}`;
    });
  }
  if (f.forall) s += `, ${style === "latex" ? "\\forall" : "forall"} ${printDomain(f.forall, style)}`;
  return s;
}
