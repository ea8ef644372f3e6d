/** The expression language of `function` and `domain` strings: tokens, syntax tree, parser, printer. */
export type {
  Binder,
  BinExpr,
  BinOp,
  CmpOp,
  Condition,
  Domain,
  Expr,
  FunctionAst,
  NegExpr,
  NumExpr,
  RefExpr,
  Relation,
  RelOp,
  SumExpr,
} from "./ast.js";
/** Whether an expression ends with a sum (whose body would swallow a following factor). */
export { endsWithSum } from "./ast.js";
/** Parsers for `function` strings, expressions and `domain` strings; the syntax error they throw. */
export { ParseError, parseDomain, parseExpression, parseFunction } from "./parser.js";
/** Printers back to the plain or LaTeX-like form. */
export { type PrintStyle, printCondition, printDomain, printExpr, printFunction } from "./printer.js";
/** The tokenizer (for tools that highlight or re-write `function` strings). */
export { type Token, TokenizeError, type TokenKind, tokenize } from "./tokens.js";
