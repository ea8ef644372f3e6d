/**
 * Recursive-descent parser for `function` strings (objectives and constraints) and `domain`
 * strings. The grammar (docs/formulate.md has it with examples):
 *
 *   function  := [forall-clause [":" | ","]] expr (relop expr)* [[","] forall-clause]
 *   expr      := term (("+" | "-") term)*
 *   term      := unary (("*" | "/" | \cdot | \times) unary | <juxtaposed> power)*
 *   unary     := ("-" | "+") unary | power
 *   power     := primary ["^" (primary | "{" expr "}")]
 *   primary   := number | ref | "(" expr ")" | "{" expr "}" | sum | \frac{expr}{expr}
 *   ref       := name ["_" (name | number | "{" expr ("," expr)* "}") | "[" expr ("," expr)* "]"]
 *   sum       := (sum | \sum | ∑) "_" ("{" items "}" | name) ["^" (primary | "{" expr "}")] term
 *   items     := item ("," item)* [(":" | "|") condition]
 *   item      := name ("," name)* (in | \in | ∈) (name | expr ".." expr) | name "=" expr | name | condition
 *   condition := expr cmp expr (("and" | "," | \land) expr cmp expr)*
 *   relop     := "<=" | ">=" | "=" | "<" | ">" | \leq | \geq | ≤ | ≥
 *
 * The body of a sum is one product term, as in written mathematics: `\sum_i c_i x_i + d` sums
 * `c_i x_i` only. Juxtaposed factors (`2x`, `c_i x_i`) are parsed as products and marked
 * `implicit`, so the compiler can repair them with a warning.
 */
import type { Binder, CmpOp, Condition, Domain, Expr, FunctionAst, RefExpr, RelOp, SumExpr } from "./ast.js";
import { describeToken, type Token, TokenizeError, type TokenKind, tokenize } from "./tokens.js";

/** A syntax error at an offset of the source, with what was expected there. */
export class ParseError extends Error {
  constructor(
    readonly position: number,
    readonly what: string,
    readonly expected: string,
    readonly hint: string,
  ) {
    super(what);
  }
}

const STOP_WORDS = new Set(["for", "where", "such", "if", "when", "with"]);
const EMPTY_DOMAIN = /^\s*(|none|null|-|n\/a|scalar|\{\}|\[\]|∅|\\emptyset)\s*$/i;

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.i++;
    return t;
  }
  at(kind: TokenKind, k = 0): boolean {
    return this.peek(k).kind === kind;
  }
  accept(kind: TokenKind): Token | null {
    return this.at(kind) ? this.next() : null;
  }
  fail(expected: string, hint: string, t: Token = this.peek()): never {
    throw new ParseError(t.pos, `expected ${expected}, found ${describeToken(t)}`, expected, hint);
  }
  expect(kind: TokenKind, expected: string, hint: string): Token {
    if (!this.at(kind)) this.fail(expected, hint);
    return this.next();
  }
  isWord(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === "ident" && t.text.toLowerCase() === word;
  }

  /** True when a forall clause starts here (`\forall`, `for all`, `for each`, `for i in I`). */
  atForall(): boolean {
    if (this.at("forall")) return true;
    if (!this.isWord("for")) return false;
    const n = this.peek(1);
    if (n.kind === "ident" && /^(all|each|every|any)$/i.test(n.text)) return true;
    return n.kind === "ident" && (this.peek(2).kind === "in" || this.peek(2).kind === ",");
  }

  /** Consumes `\forall` / `for all` / `for each` / `for`. */
  forallKeyword(): void {
    if (this.accept("forall")) return;
    this.next(); // "for"
    if (this.isWord("all") || this.isWord("each") || this.isWord("every") || this.isWord("any")) this.next();
  }

  // ---- functions -------------------------------------------------------------------------

  parseFunction(): FunctionAst {
    let forall: Domain | null = null;
    const start = this.peek().pos;
    if (this.atForall()) {
      this.forallKeyword();
      forall = this.parseDomainItems(["eof"], "prefix");
      if (!this.accept(":") && !this.accept(",") && !this.accept("|"))
        this.fail('":" after the forall clause', "write \\forall i \\in I: <relation>");
    }
    const first = this.parseExpr();
    const exprs: Expr[] = [first];
    const ops: RelOp[] = [];
    const strict: boolean[] = [];
    for (;;) {
      const t = this.peek();
      const op = relOp(t.kind);
      if (!op) {
        if (t.kind === "ne")
          throw new ParseError(
            t.pos,
            "≠ is not a linear constraint",
            '"<=", ">=" or "="',
            "write it as two models or use <= / >=",
          );
        break;
      }
      this.next();
      ops.push(op.op);
      strict.push(op.strict);
      exprs.push(this.parseExpr());
    }
    if (this.at(",") && (this.atForallAfterComma() || this.peek(1).kind === "eof")) this.next();
    if (this.atForall()) {
      if (forall)
        this.fail(
          "the end of the function",
          "give the forall clause once (or put it in the element's domain)",
        );
      this.forallKeyword();
      forall = this.parseDomainItems(["eof"], "suffix");
    }
    if (!this.at("eof")) {
      const t = this.peek();
      const expected =
        ops.length === 0
          ? "an operator (+ - * /), a relation (<=, >=, =) or the end"
          : "an operator (+ - * /) or the end";
      this.fail(expected, "check the brackets and operators near here", t);
    }
    if (ops.length === 0) return { kind: "expr", expr: first, forall };
    return { kind: "relation", exprs, ops, strict, forall, pos: start };
  }

  atForallAfterComma(): boolean {
    const save = this.i;
    this.i++;
    const r = this.atForall();
    this.i = save;
    return r;
  }

  // ---- expressions -----------------------------------------------------------------------

  parseExpr(): Expr {
    let left = this.parseTerm();
    for (;;) {
      const t = this.peek();
      if (t.kind !== "+" && t.kind !== "-") return left;
      this.next();
      const right = this.parseTerm();
      left = { kind: "bin", op: t.kind, left, right, pos: t.pos };
    }
  }

  parseTerm(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      if (t.kind === "*" || t.kind === "/") {
        this.next();
        const right = this.parseUnary();
        left = { kind: "bin", op: t.kind, left, right, pos: t.pos };
      } else if (this.startsPrimary()) {
        const right = this.parsePower();
        left = { kind: "bin", op: "*", left, right, implicit: true, pos: t.pos };
      } else return left;
    }
  }

  startsPrimary(): boolean {
    const t = this.peek();
    if (t.kind === "ident") return !STOP_WORDS.has(t.text.toLowerCase());
    return t.kind === "num" || t.kind === "(" || t.kind === "sum" || t.kind === "frac";
  }

  parseUnary(): Expr {
    const t = this.peek();
    if (t.kind === "-") {
      this.next();
      return { kind: "neg", arg: this.parseUnary(), pos: t.pos };
    }
    if (t.kind === "+") {
      this.next();
      return this.parseUnary();
    }
    return this.parsePower();
  }

  parsePower(): Expr {
    const base = this.parsePrimary();
    const t = this.peek();
    if (t.kind !== "^") return base;
    this.next();
    const exp = this.parseExponent();
    return { kind: "bin", op: "^", left: base, right: exp, pos: t.pos };
  }

  parseExponent(): Expr {
    if (this.accept("{")) {
      const e = this.parseExpr();
      this.expect("}", '"}"', "close the exponent's braces");
      return e;
    }
    const t = this.peek();
    if (t.kind === "-") {
      this.next();
      return { kind: "neg", arg: this.parsePrimary(), pos: t.pos };
    }
    return this.parsePrimary();
  }

  parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case "num":
        this.next();
        return { kind: "num", value: t.value!, pos: t.pos };
      case "ident":
        if (STOP_WORDS.has(t.text.toLowerCase())) break;
        this.next();
        return this.parseRef(t);
      case "(": {
        this.next();
        const e = this.parseExpr();
        this.expect(")", '")"', "close the bracket opened here");
        return e;
      }
      case "{": {
        this.next();
        const e = this.parseExpr();
        this.expect("}", '"}"', "close the brace opened here");
        return e;
      }
      case "sum":
        this.next();
        return this.parseSum(t);
      case "frac": {
        this.next();
        this.expect("{", '"{" after \\frac', "write \\frac{numerator}{denominator}");
        const num = this.parseExpr();
        this.expect("}", '"}"', "write \\frac{numerator}{denominator}");
        this.expect("{", '"{" for the denominator', "write \\frac{numerator}{denominator}");
        const den = this.parseExpr();
        this.expect("}", '"}"', "write \\frac{numerator}{denominator}");
        return { kind: "bin", op: "/", left: num, right: den, pos: t.pos };
      }
      default:
        break;
    }
    return this.fail('a number, a name, "(" or a sum', "complete the expression here");
  }

  parseRef(t: Token): RefExpr {
    const ref: RefExpr = { kind: "ref", name: t.text, indices: [], pos: t.pos };
    if (this.at("_")) {
      this.next();
      if (this.accept("{")) {
        ref.indices = this.parseIndexList("}");
      } else {
        const s = this.peek();
        if (s.kind !== "ident" && s.kind !== "num") this.fail('an index after "_"', "write x_{i} or x_i");
        this.next();
        ref.indices = [
          s.kind === "num"
            ? { kind: "num", value: s.value!, pos: s.pos }
            : { kind: "ref", name: s.text, indices: [], pos: s.pos },
        ];
      }
    } else if (this.at("[")) {
      this.next();
      ref.indices = this.parseIndexList("]");
    }
    return ref;
  }

  parseIndexList(close: "}" | "]"): Expr[] {
    const out: Expr[] = [this.parseExpr()];
    while (this.accept(",")) out.push(this.parseExpr());
    this.expect(close, `"," or "${close}"`, `separate indices with "," and close with "${close}"`);
    return out;
  }

  parseSum(t: Token): SumExpr {
    this.expect("_", '"_" after the sum sign', "write sum_{i in I} or \\sum_{i \\in I}");
    let domain: Domain;
    if (this.accept("{")) {
      domain = this.parseDomainItems(["}"], "sum");
      this.expect("}", '"}" closing the sum\'s subscript', "write sum_{i in I} …");
    } else {
      const s = this.expect("ident", "an index name after sum_", "write sum_{i in I} …");
      domain = {
        binders: [{ index: s.text, set: null, range: null, pos: s.pos, setPos: s.pos }],
        cond: null,
      };
    }
    if (this.at("^")) {
      const hat = this.next();
      const hi = this.parseExponent();
      const range = domain.binders[domain.binders.length - 1]?.range;
      const open =
        range !== undefined && range !== null && range.hi.kind === "num" && Number.isNaN(range.hi.value);
      if (!open || !range)
        throw new ParseError(
          hat.pos,
          "an upper limit ^{…} needs a lower limit sum_{i=lo}",
          "sum_{i=lo}^{hi}",
          "write \\sum_{i=1}^{N} or sum_{i in I}",
        );
      range.hi = hi;
    }
    for (const b of domain.binders)
      if (b.range && b.range.hi.kind === "num" && Number.isNaN(b.range.hi.value))
        throw new ParseError(
          b.pos,
          `the sum over ${b.index} = … has no upper limit`,
          "^{upper limit}",
          "write \\sum_{i=1}^{N}",
        );
    if (this.at("eof") || this.at(")") || this.at("}") || relOp(this.peek().kind))
      this.fail("the summed term after the sum's subscript", "write sum_{i in I} x_i");
    const body = this.parseTerm();
    return { kind: "sum", binders: domain.binders, cond: domain.cond, body, pos: t.pos };
  }

  /**
   * Binders and conditions up to one of `ends` (not consumed): `i in I, j in J: i != j`,
   * `i, j in N`, `i = 1` (range; its upper limit follows as ^), `t in 1..T`, `I` (a set name,
   * in declarations). A forall clause before the relation (`prefix`) ends at a `:` or at a `,`
   * not followed by a binder or a condition; after the relation (`suffix`), `:` starts conditions.
   */
  parseDomainItems(ends: TokenKind[], mode: "sum" | "domain" | "prefix" | "suffix"): Domain {
    const inForall = mode === "prefix" || mode === "suffix";
    const binders: Binder[] = [];
    const conds: Condition[] = [];
    let pending: Token[] = [];
    const atEnd = () => ends.includes(this.peek().kind);
    for (;;) {
      if (atEnd()) break;
      const t = this.peek();
      if (t.kind === "ident" && this.peek(1).kind === "in") {
        pending.push(this.next());
        this.next(); // in
        this.parseSetAfterIn(pending, binders);
        pending = [];
      } else if (t.kind === "ident" && this.peek(1).kind === "," && this.looksLikeNameList()) {
        pending.push(this.next());
        this.next(); // ,
        continue;
      } else if (t.kind === "ident" && this.peek(1).kind === "eq" && mode === "sum") {
        // i = lo (a range; ^{hi} follows the subscript) or i = lo..hi
        this.next();
        this.next();
        const lo = this.parseExpr();
        let hi: Expr = { kind: "num", value: Number.NaN, pos: t.pos };
        if (this.accept("..")) hi = this.parseExpr();
        binders.push({ index: t.text, set: null, range: { lo, hi }, pos: t.pos, setPos: lo.pos });
      } else if (
        t.kind === "ident" &&
        [",", ":", "|", ...ends].includes(this.peek(1).kind) &&
        binders.every((b) => b.set === null && b.range === null) &&
        !this.isConditionAhead()
      ) {
        // a bare name: an index whose set is inferred (sums) or a set name (declarations)
        this.next();
        binders.push({ index: t.text, set: null, range: null, pos: t.pos, setPos: t.pos });
      } else if (pending.length === 0 && (t.kind === ":" || t.kind === "|") && mode !== "prefix") {
        this.next();
        conds.push(...this.parseConditions(ends, inForall));
        break;
      } else if (this.isWord("where") || this.isWord("if") || this.isWord("such")) {
        this.next();
        if (this.isWord("that")) this.next();
        conds.push(...this.parseConditions(ends, inForall));
        break;
      } else if (binders.length > 0) {
        if (inForall && !this.isConditionAhead()) break;
        conds.push(...this.parseConditions(ends, inForall));
        break;
      } else if (t.kind === "ident" && binders.length === 0 && this.isConditionAhead()) {
        // sum_{j != i}: the index j with its set inferred, and the condition
        binders.push({ index: t.text, set: null, range: null, pos: t.pos, setPos: t.pos });
        conds.push(...this.parseConditions(ends, inForall));
        break;
      } else {
        this.fail('an index binding like "i in I"', "write i in I (or i \\in I)");
      }
      if (pending.length) continue;
      if (this.accept(",") || this.accept("and")) {
        if (inForall && !this.binderAhead() && !this.isConditionAhead()) {
          this.i--; // leave the comma for the caller
          break;
        }
        continue;
      }
      if (mode === "prefix" && !atEnd()) break;
      if (mode === "suffix" && !atEnd() && !this.at(":") && !this.at("|") && !this.isWord("where")) break;
      if (!atEnd() && !this.at(":") && !this.at("|") && !this.isWord("where")) {
        this.fail(
          `"," or ${ends.map((e) => (e === "eof" ? "the end" : `"${e}"`)).join(" or ")}`,
          "separate the index bindings with commas",
        );
      }
    }
    if (pending.length)
      this.fail(
        '"in" and a set after the index names',
        `write ${pending.map((p) => p.text).join(", ")} in SET`,
      );
    const cond =
      conds.length === 0
        ? null
        : conds.length === 1
          ? conds[0]!
          : { kind: "and" as const, parts: conds, pos: conds[0]!.pos };
    return { binders, cond };
  }

  /** `i, j in N`: a list of names followed by `in`. */
  looksLikeNameList(): boolean {
    let k = 0;
    while (this.peek(k).kind === "ident" && this.peek(k + 1).kind === ",") k += 2;
    return this.peek(k).kind === "ident" && this.peek(k + 1).kind === "in";
  }

  binderAhead(): boolean {
    return (
      this.peek().kind === "ident" &&
      (this.peek(1).kind === "in" || (this.peek(1).kind === "," && this.looksLikeNameList()))
    );
  }

  /** Whether a comparison (`i != j`, `t > 1`) starts here, by scanning to the next `,`, `:` or end. */
  isConditionAhead(): boolean {
    let depth = 0;
    for (let k = 0; ; k++) {
      const t = this.peek(k);
      if (t.kind === "eof") return false;
      if (t.kind === "(" || t.kind === "{" || t.kind === "[") depth++;
      else if (t.kind === ")" || t.kind === "}" || t.kind === "]") {
        if (depth === 0) return false;
        depth--;
      } else if (depth === 0 && (t.kind === "," || t.kind === "and")) return false;
      else if (depth === 0 && cmpOp(t.kind)) return true;
    }
  }

  parseSetAfterIn(names: Token[], binders: Binder[]): void {
    const t = this.peek();
    const after = this.peek(1).kind;
    if (t.kind === "ident" && [",", "}", ":", "|", "eof", "and", ")"].includes(after)) {
      this.next();
      for (const n of names)
        binders.push({ index: n.text, set: t.text, range: null, pos: n.pos, setPos: t.pos });
      return;
    }
    if (t.kind === "{" && this.peek(1).kind === "ident" && this.peek(2).kind === "}") {
      // \{I\} or {I}
      this.next();
      const s = this.next();
      this.next();
      for (const n of names)
        binders.push({ index: n.text, set: s.text, range: null, pos: n.pos, setPos: s.pos });
      return;
    }
    if (t.kind === "num" || t.kind === "ident" || t.kind === "(" || t.kind === "-") {
      const lo = this.parseExpr();
      this.expect("..", '".." in a range lo..hi', "write i in 1..N or name a set");
      const hi = this.parseExpr();
      for (const n of names)
        binders.push({ index: n.text, set: null, range: { lo, hi }, pos: n.pos, setPos: lo.pos });
      return;
    }
    this.fail('a set name after "in"', "write i in I, where I is one of the model's sets");
  }

  parseConditions(ends: TokenKind[], inForall: boolean): Condition[] {
    const out: Condition[] = [this.parseCondition()];
    for (;;) {
      if (this.at("and")) {
        this.next();
        out.push(this.parseCondition());
        continue;
      }
      if (this.at(",") && !ends.includes(this.peek(1).kind)) {
        const save = this.i;
        this.next();
        if (this.isConditionAhead()) {
          out.push(this.parseCondition());
          continue;
        }
        this.i = save;
        if (inForall) break;
        this.fail("a condition like i != j after the comma", "separate conditions with commas or and");
      }
      break;
    }
    return out;
  }

  parseCondition(): Condition {
    const left = this.parseExpr();
    const t = this.peek();
    const op = cmpOp(t.kind);
    if (!op) return this.fail("a comparison (!=, <, <=, >, >=, =)", "write a condition like i != j or t > 1");
    this.next();
    const right = this.parseExpr();
    return { kind: "cmp", op, left, right, pos: left.pos };
  }
}

function relOp(k: TokenKind): { op: RelOp; strict: boolean } | null {
  switch (k) {
    case "le":
      return { op: "<=", strict: false };
    case "ge":
      return { op: ">=", strict: false };
    case "eq":
      return { op: "=", strict: false };
    case "lt":
      return { op: "<=", strict: true };
    case "gt":
      return { op: ">=", strict: true };
    default:
      return null;
  }
}

function cmpOp(k: TokenKind): CmpOp | null {
  switch (k) {
    case "le":
      return "<=";
    case "ge":
      return ">=";
    case "lt":
      return "<";
    case "gt":
      return ">";
    case "eq":
      return "=";
    case "ne":
      return "!=";
    default:
      return null;
  }
}

function tokensOf(src: string): Token[] {
  try {
    return tokenize(src);
  } catch (e) {
    if (e instanceof TokenizeError) throw new ParseError(e.position, e.what, "a valid symbol", e.hint);
    throw e;
  }
}

/** Parses a `function` string: an expression (objective) or a relation (constraint). */
export function parseFunction(src: string): FunctionAst {
  return new Parser(tokensOf(src)).parseFunction();
}

/** Parses an expression alone (no relation). */
export function parseExpression(src: string): Expr {
  const p = new Parser(tokensOf(src));
  const e = p.parseExpr();
  if (!p.at("eof")) p.fail("an operator or the end", "check the expression near here");
  return e;
}

/**
 * Parses a `domain` string: `i in I, j in J: i != j`, `forall t in T, t > 1`, or set names alone
 * (`I, J`, for parameters and variables). Empty, `None` and `-` give the empty domain.
 */
export function parseDomain(src: string | null | undefined): Domain {
  if (src === null || src === undefined || EMPTY_DOMAIN.test(src)) return { binders: [], cond: null };
  const p = new Parser(tokensOf(src));
  if (p.atForall()) p.forallKeyword();
  const d = p.parseDomainItems(["eof"], "domain");
  if (!p.at("eof")) p.fail("the end of the domain", 'write the domain like "i in I, j in J"');
  return d;
}
