import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Binder, Condition, Expr, FunctionAst } from "../../src/formulate/expr/ast.js";
import { ParseError, parseDomain, parseExpression, parseFunction } from "../../src/formulate/expr/parser.js";
import { printExpr, printFunction } from "../../src/formulate/expr/printer.js";

/** The tree without positions and repair marks, for comparing parses. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x))
      if (k !== "pos" && k !== "setPos" && k !== "implicit") out[k] = strip(v);
    return out;
  }
  return x;
}

const p = (s: string) => strip(parseExpression(s));

describe("parser", () => {
  it("reads the plain and the LaTeX-like forms of one sum to the same tree", () => {
    const plain = p("sum_{i in I} c_i * x_i");
    expect(p("\\sum_{i \\in I} c_{i} \\cdot x_{i}")).toEqual(
      strip(parseExpression("sum_{i in I} c_{i} * x_{i}")),
    );
    expect(p("∑_{i ∈ I} c_i · x_i")).toEqual(plain);
    expect(plain).toEqual({
      kind: "sum",
      binders: [{ index: "i", set: "I", range: null }],
      cond: null,
      body: {
        kind: "bin",
        op: "*",
        left: { kind: "ref", name: "c_i", indices: [] },
        right: { kind: "ref", name: "x_i", indices: [] },
      },
    });
  });

  it("reads brace, bracket and multi-index forms", () => {
    const br = p("x[i, j]");
    expect(p("x_{i,j}")).toEqual(br);
    expect(br).toEqual({
      kind: "ref",
      name: "x",
      indices: [
        { kind: "ref", name: "i", indices: [] },
        { kind: "ref", name: "j", indices: [] },
      ],
    });
    expect(p("x_{t-1}")).toEqual({
      kind: "ref",
      name: "x",
      indices: [
        {
          kind: "bin",
          op: "-",
          left: { kind: "ref", name: "t", indices: [] },
          right: { kind: "num", value: 1 },
        },
      ],
    });
  });

  it("limits a sum's body to one product term and nests sums", () => {
    const e = p("sum_{i in I} sum_{j in J} a_{i,j} x_{i,j} + 5");
    expect(e).toMatchObject({
      kind: "bin",
      op: "+",
      left: { kind: "sum", body: { kind: "sum" } },
      right: { kind: "num", value: 5 },
    });
  });

  it("reads conditions, inferred sets and integer ranges in sums", () => {
    expect(p("sum_{j in J: j != i} x_{i,j}")).toMatchObject({
      binders: [{ index: "j", set: "J" }],
      cond: { kind: "cmp", op: "!=", left: { name: "j" }, right: { name: "i" } },
    });
    expect(p("\\sum_{j \\neq i} x_{ij}")).toMatchObject({
      binders: [{ index: "j", set: null }],
      cond: { op: "!=" },
    });
    expect(p("\\sum_{i=1}^{N} y_i")).toMatchObject({
      binders: [{ index: "i", range: { lo: { value: 1 }, hi: { name: "N" } } }],
    });
    expect(p("sum_{t in 2..T} y_t")).toMatchObject({
      binders: [{ index: "t", range: { lo: { value: 2 } } }],
    });
    expect(p("sum_{i, j in N: i < j, d_{i,j} > 0} z_{i,j}")).toMatchObject({
      binders: [
        { index: "i", set: "N" },
        { index: "j", set: "N" },
      ],
      cond: { kind: "and", parts: [{ op: "<" }, { op: ">" }] },
    });
    expect(p("sum_i x_i")).toMatchObject({ kind: "sum", binders: [{ index: "i", set: null }] });
  });

  it("marks juxtaposed factors as implicit products", () => {
    const e = parseExpression("2x + 3 y_{i} (a + b)");
    expect(e).toMatchObject({ kind: "bin", op: "+", left: { op: "*", implicit: true } });
    expect(strip(e)).toEqual(p("2 * x + 3 * y_{i} * (a + b)"));
  });

  it("reads \\frac, powers of constants, unary minus and Unicode operators", () => {
    expect(p("\\frac{1}{4} x")).toEqual(p("(1 / 4) * x"));
    expect(p("-x^2")).toEqual({
      kind: "neg",
      arg: {
        kind: "bin",
        op: "^",
        left: { kind: "ref", name: "x", indices: [] },
        right: { kind: "num", value: 2 },
      },
    });
    expect(p("a − b")).toEqual(p("a - b"));
    expect(p("\\text{total cost} + \\lambda_{i}")).toMatchObject({
      left: { name: "total_cost" },
      right: { name: "lambda", indices: [{ name: "i" }] },
    });
  });

  it("reads relations, chains, strict inequalities and forall clauses in both places", () => {
    const f = parseFunction("l \\leq x + y \\leq u");
    expect(f).toMatchObject({ kind: "relation", ops: ["<=", "<="], strict: [false, false] });
    expect(parseFunction("x > 2")).toMatchObject({ ops: [">="], strict: [true] });
    expect(parseFunction("x ≥ 2")).toMatchObject({ ops: [">="] });
    const suffix = strip(parseFunction("sum_{j in J} x_{i,j} <= s_i, \\forall i \\in I"));
    const prefix = strip(parseFunction("\\forall i \\in I: sum_{j in J} x_{i,j} <= s_i"));
    const words = strip(parseFunction("sum_{j in J} x_{i,j} <= s_i for all i in I"));
    expect(prefix).toEqual(suffix);
    expect(words).toEqual(suffix);
    expect(suffix).toMatchObject({ forall: { binders: [{ index: "i", set: "I" }], cond: null } });
    expect(parseFunction("x_{i,j} <= 1, forall i in N, j in N: i != j")).toMatchObject({
      forall: { binders: [{ index: "i" }, { index: "j" }], cond: { op: "!=" } },
    });
    expect(parseFunction("sum_i c_i x_i")).toMatchObject({ kind: "expr" });
  });

  it("reads domains with set names, bindings and conditions", () => {
    expect(parseDomain("i in I, j in J: i != j")).toMatchObject({
      binders: [
        { index: "i", set: "I" },
        { index: "j", set: "J" },
      ],
      cond: { op: "!=" },
    });
    expect(parseDomain("forall t \\in T, t > 1")).toMatchObject({
      binders: [{ index: "t", set: "T" }],
      cond: { op: ">" },
    });
    expect(parseDomain("Foods, Nutrients").binders.map((b) => b.index)).toEqual(["Foods", "Nutrients"]);
    for (const empty of ["", "None", "-", null, undefined])
      expect(parseDomain(empty)).toEqual({ binders: [], cond: null });
  });

  it("reports the position and the expected token", () => {
    const cases: [string, number, RegExp][] = [
      ["sum_{i in I} c_i * x_i <=", 25, /expected a number, a name/],
      ["sum_{i in } x_i", 10, /expected a set name after "in"/],
      ["(x + y", 6, /expected "\)", found the end/],
      ["x + * y", 4, /expected a number, a name/],
      ["x_{i, j", 7, /expected "," or "}"/],
      ["x <= 3 y z )", 11, /expected an operator/],
      ["x != 3", 2, /≠ is not a linear constraint/],
      ["x @ y", 2, /unexpected character "@"/],
      ["\\foo{x}", 0, /unknown LaTeX command \\foo/],
      ["sum_{i in I}", 12, /expected the summed term/],
    ];
    for (const [src, pos, re] of cases) {
      let err: unknown;
      try {
        parseFunction(src);
      } catch (e) {
        err = e;
      }
      expect(err, src).toBeInstanceOf(ParseError);
      expect((err as ParseError).position, src).toBe(pos);
      expect((err as ParseError).message, src).toMatch(re);
    }
  });
});

// ---- property: printing and parsing again gives the same tree -------------------------------

const NAMES = ["x", "y", "cost", "a_b", "w2", "Z", "lam", "demand_of", "d'"];
const INDEX_NAMES = ["i", "j", "k", "t"];
const SETS = ["I", "J", "T", "Nodes"];

const num = fc
  .oneof(
    fc.integer({ min: 0, max: 1000 }),
    fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0.5, 1e-7, 2.5e21),
  )
  .map((v) => ({ kind: "num" as const, value: v === 0 ? 0 : v, pos: 0 }));

const indexExpr: fc.Arbitrary<Expr> = fc.oneof(
  fc.constantFrom(...INDEX_NAMES).map((name) => ({ kind: "ref" as const, name, indices: [], pos: 0 })),
  fc.integer({ min: 0, max: 9 }).map((value) => ({ kind: "num" as const, value, pos: 0 })),
  fc
    .tuple(
      fc.constantFrom(...INDEX_NAMES),
      fc.constantFrom("+", "-") as fc.Arbitrary<"+" | "-">,
      fc.integer({ min: 1, max: 3 }),
    )
    .map(([name, op, k]) => ({
      kind: "bin" as const,
      op,
      left: { kind: "ref" as const, name, indices: [], pos: 0 },
      right: { kind: "num" as const, value: k, pos: 0 },
      pos: 0,
    })),
);

const binder: fc.Arbitrary<Binder> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...INDEX_NAMES), fc.constantFrom(...SETS))
    .map(([index, set]) => ({ index, set, range: null, pos: 0, setPos: 0 })),
  fc
    .tuple(fc.constantFrom(...INDEX_NAMES), fc.integer({ min: 0, max: 3 }), fc.constantFrom("N", "M"))
    .map(([index, lo, hi]) => ({
      index,
      set: null,
      range: {
        lo: { kind: "num" as const, value: lo, pos: 0 },
        hi: { kind: "ref" as const, name: hi, indices: [], pos: 0 },
      },
      pos: 0,
      setPos: 0,
    })),
);

const cmp: fc.Arbitrary<Condition> = fc
  .tuple(
    indexExpr,
    fc.constantFrom("<=", ">=", "<", ">", "=", "!=") as fc.Arbitrary<"<=" | ">=" | "<" | ">" | "=" | "!=">,
    indexExpr,
  )
  .map(([left, op, right]) => ({ kind: "cmp", op, left, right, pos: 0 }));
const cond: fc.Arbitrary<Condition | null> = fc.oneof(
  fc.constant(null),
  cmp,
  fc.array(cmp, { minLength: 2, maxLength: 3 }).map((parts) => ({ kind: "and" as const, parts, pos: 0 })),
);

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    num,
    fc
      .tuple(fc.constantFrom(...NAMES), fc.array(indexExpr, { maxLength: 2 }))
      .map(([name, indices]) => ({ kind: "ref" as const, name, indices, pos: 0 })),
    tie("expr").map((arg) => ({ kind: "neg" as const, arg, pos: 0 })),
    fc
      .tuple(
        fc.constantFrom("+", "-", "*", "/", "^") as fc.Arbitrary<"+" | "-" | "*" | "/" | "^">,
        tie("expr"),
        tie("expr"),
      )
      .map(([op, left, right]) => ({ kind: "bin" as const, op, left, right, pos: 0 })),
    fc
      .tuple(fc.array(binder, { minLength: 1, maxLength: 2 }), cond, tie("expr"))
      .map(([binders, c, body]) => ({ kind: "sum" as const, binders, cond: c, body, pos: 0 })),
  ),
}));

describe("printer", () => {
  it("prints expressions that parse back to the same tree (plain and LaTeX-like)", () => {
    fc.assert(
      fc.property(expr, fc.constantFrom("plain", "latex") as fc.Arbitrary<"plain" | "latex">, (e, style) => {
        const text = printExpr(e, style);
        expect(strip(parseExpression(text)), text).toEqual(strip(e));
      }),
      { numRuns: 400 },
    );
  });

  it("prints relations with forall clauses that parse back to the same tree", () => {
    const rel = fc
      .tuple(
        fc.array(expr, { minLength: 2, maxLength: 3 }),
        fc.array(fc.constantFrom("<=", ">=", "=") as fc.Arbitrary<"<=" | ">=" | "=">, {
          minLength: 2,
          maxLength: 2,
        }),
        fc.option(
          fc.tuple(
            fc.array(
              binder.filter((b) => b.set !== null),
              { minLength: 1, maxLength: 2 },
            ),
            cond,
          ),
        ),
      )
      .map(
        ([exprs, ops, fa]): FunctionAst => ({
          kind: "relation",
          exprs,
          ops: ops.slice(0, exprs.length - 1),
          strict: ops.slice(0, exprs.length - 1).map(() => false),
          forall: fa ? { binders: fa[0], cond: fa[1] } : null,
          pos: 0,
        }),
      );
    fc.assert(
      fc.property(rel, fc.constantFrom("plain", "latex") as fc.Arbitrary<"plain" | "latex">, (f, style) => {
        const text = printFunction(f, style);
        expect(strip(parseFunction(text)), text).toEqual(strip(f));
      }),
      { numRuns: 200 },
    );
  });
});
