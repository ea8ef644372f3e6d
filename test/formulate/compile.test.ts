import { describe, expect, it } from "vitest";
import { checkLayers, compileModel } from "../../src/formulate/compile.js";
import { FormulationError } from "../../src/formulate/errors.js";
import { type StructuredModelInput, StructuredModelSchema } from "../../src/formulate/schema.js";
import { solveStructured } from "../../src/formulate/solve-model.js";
import { expectClose } from "../helpers/tolerance.js";

/** A small transportation model (2 plants × 3 markets) to mutate in the tests. */
function transport(): StructuredModelInput {
  return {
    sets: [
      { name: "P", description: "plants", data: ["seattle", "san_diego"] },
      { name: "M", description: "markets", data: ["new_york", "chicago", "topeka"] },
    ],
    parameters: [
      { name: "supply", domain: "p in P", data: [350, 600] },
      { name: "demand", domain: "m in M", data: { new_york: 325, chicago: 300, topeka: 275 } },
      {
        name: "cost",
        domain: "p in P, m in M",
        data: [
          [2.5, 1.7, 1.8],
          [2.5, 1.8, 1.4],
        ],
      },
    ],
    variables: [{ name: "x", domain: "p in P, m in M", type: "CONTINUOUS" }],
    objective: [
      { name: "cost", sense: "min", function: "\\sum_{p \\in P} \\sum_{m \\in M} cost_{p,m} x_{p,m}" },
    ],
    constraints: [
      { name: "supply_cap", domain: "p in P", function: "sum_{m in M} x[p, m] <= supply[p]" },
      { name: "demand_met", domain: "m in M", function: "sum_{p in P} x[p, m] >= demand[m]" },
    ],
  };
}

const model = (m: StructuredModelInput) => StructuredModelSchema.parse(m);

function compileError(m: StructuredModelInput): FormulationError {
  try {
    compileModel(model(m));
  } catch (e) {
    if (e instanceof FormulationError) return e;
    throw e;
  }
  throw new Error("expected a FormulationError");
}

describe("compile", () => {
  it("compiles the transportation model to named columns and rows and solves it (GAMS trnsport: 153.675 k$ at 0.09 k$ per unit of distance, so 1707.5 here)", async () => {
    const c = compileModel(model(transport()));
    expect(c.model.columns.map((k) => k.name)).toEqual([
      "x(seattle,new_york)",
      "x(seattle,chicago)",
      "x(seattle,topeka)",
      "x(san_diego,new_york)",
      "x(san_diego,chicago)",
      "x(san_diego,topeka)",
    ]);
    expect(c.model.rows.map((r) => r.name)).toEqual([
      "supply_cap(seattle)",
      "supply_cap(san_diego)",
      "demand_met(new_york)",
      "demand_met(chicago)",
      "demand_met(topeka)",
    ]);
    expect(c.constraintRows).toEqual([
      { name: "supply_cap", rows: 2 },
      { name: "demand_met", rows: 3 },
    ]);
    expect(c.warnings).toEqual(['objective.function: a missing "*" was inserted at position 41']);
    const { result } = await solveStructured(model(transport()), { inline: true });
    expect(result.status).toBe("optimal");
    expectClose(result.objective, 153.675 / 0.09, { rel: 1e-9 });
  });

  it("writes a chain with constant ends as one ranged row and other chains as one row per comparison", () => {
    const m = transport();
    m.constraints = [
      { name: "band", domain: "p in P", function: "100 <= sum_{m in M} x_{p,m} <= supply_p" },
      { name: "order", function: "x_{seattle,topeka} <= x_{seattle,chicago} <= x_{seattle,new_york}" },
    ];
    const c = compileModel(model(m));
    expect(c.model.rows.map((r) => [r.name, r.lower + 0, r.upper + 0])).toEqual([
      ["band(seattle)", 100, 350],
      ["band(san_diego)", 100, 600],
      ["order_1", Number.NEGATIVE_INFINITY, 0],
      ["order_2", Number.NEGATIVE_INFINITY, 0],
    ]);
  });

  it("iterates conditions, index arithmetic, ranges, scalar parameters as indices and inferred sets", () => {
    const c = compileModel(
      model({
        sets: [{ name: "T", data: "1..4" }],
        parameters: [
          { name: "d", domain: "t in T", data: [5, 0, 7, 3] },
          { name: "first", data: 1 },
        ],
        variables: [
          { name: "s", domain: "t in T" },
          { name: "p", domain: "T" },
        ],
        objective: {
          sense: "min",
          function: "sum_{t in T: d_t > 0} p_t + \\sum_{k=2}^{3} s_k + sum_t 2 s_t",
        },
        constraints: [
          { name: "flow", domain: "t in T: t > 1", function: "s_{t-1} + p_t = d_t + s_t" },
          { name: "start", function: "s_{first} = 0" },
        ],
      }),
    );
    expect(c.model.rows.map((r) => r.name)).toEqual(["flow(2)", "flow(3)", "flow(4)", "start"]);
    const names = c.model.columns.map((k) => k.name);
    const obj = Object.fromEntries([...c.model.objective.terms].map(([i, v]) => [names[i], v]));
    expect(obj).toEqual({ "p(1)": 1, "p(3)": 1, "p(4)": 1, "s(1)": 2, "s(2)": 3, "s(3)": 3, "s(4)": 2 });
    expect(c.warnings).toContain(
      "objective.function: the set of t was taken to be T, from its use; write t in T",
    );
  });

  it("reads x_ij, x_i_j and forall clauses inside the function, with warnings", () => {
    const c = compileModel(
      model({
        sets: [{ name: "N", data: [1, 2, 3] }],
        parameters: [
          {
            name: "c",
            domain: "i in N, j in N",
            data: [
              [0, 1, 2],
              [1, 0, 1],
              [2, 1, 0],
            ],
          },
        ],
        variables: [{ name: "x", domain: "N, N", type: "BINARY" }],
        objective: { sense: "min", function: "sum_{i in N} sum_{j in N} c_i_j * x_{ij}" },
        constraints: [{ name: "out", function: "sum_{j in N: j != i} x_{i,j} = 1, \\forall i \\in N" }],
      }),
    );
    expect(c.model.rows.map((r) => r.name)).toEqual(["out(1)", "out(2)", "out(3)"]);
    expect(c.model.numIntegers).toBe(9);
    expect(c.warnings.some((w) => w.includes("x_{ij} read as x_{i,j}"))).toBe(true);
  });

  it("checks partial models layer by layer", () => {
    const m = model(transport());
    expect(checkLayers({ sets: m.sets, parameters: m.parameters }).warnings).toEqual([]);
    expect(() =>
      checkLayers({ sets: m.sets, parameters: [{ name: "q", domain: "p in Plants", data: [1, 2] }] }),
    ).toThrow(/unknown set Plants/);
    expect(() =>
      checkLayers({
        sets: m.sets,
        parameters: m.parameters,
        variables: [{ name: "x", domain: "m in Markets", type: "INTEGER" }],
      }),
    ).toThrow(/variables\[0\] \(x\)\.domain: at position 5: unknown set Markets/);
  });
});

describe("bad models get errors naming the element, the position and what to do", () => {
  it("a typo in a set name (in a domain and in a sum)", () => {
    const m = transport();
    m.parameters![1]!.domain = "m in Markets";
    expect(compileError(m).message).toBe(
      "parameters[1] (demand).domain: at position 5: unknown set Markets; declared sets: P, M",
    );
    const m2 = transport();
    m2.constraints![0]!.function = "sum_{m in MM} x[p, m] <= supply[p]";
    expect(compileError(m2).message).toBe(
      "constraints[0] (supply_cap).function: at position 10: unknown set MM; did you mean M? (declared sets: P, M)",
    );
  });

  it("an unknown symbol gets a suggestion", () => {
    const m = transport();
    m.constraints![1]!.function = "sum_{p in P} x[p, m] >= demnd[m]";
    expect(compileError(m).message).toBe(
      "constraints[1] (demand_met).function: at position 24: unknown symbol demnd; did you mean demand? (declared parameters and variables: supply, demand, cost, x)",
    );
  });

  it("an index out of range", () => {
    const m = transport();
    m.constraints = [{ name: "late", domain: "m in M", function: "x_{seattle,m} + x_{boston,m} <= 10" }];
    expect(compileError(m).message).toBe(
      "constraints[0] (late).function: at position 19: index boston of x is not bound and is not an element of set P; bind it in the element's domain or a sum (e.g. boston in P)",
    );
    const t = compileError({
      sets: [{ name: "T", data: "1..3" }],
      variables: [{ name: "s", domain: "t in T" }],
      objective: { sense: "min", function: "sum_{t in T} s_t" },
      constraints: [{ name: "link", domain: "t in T", function: "s_{t-1} <= s_t" }],
    });
    expect(t.message).toMatch(
      /^constraints\[0\] \(link\)\.function: at position 3: index out of range: s's index 1 is "0" \(at t=1\)/,
    );
  });

  it("parameter data of the wrong shape", () => {
    const flat = transport();
    flat.parameters![2]!.data = [2.5, 1.7, 1.8, 2.5, 1.8, 1.4];
    expect(compileError(flat).message).toBe(
      "parameters[2] (cost).data: has 6 entries but set P has 2 elements (a flat list of 6: nest it, one list per element of P); give a list of 2 lists (a list of 3 numbers (one per element of M)) (one per element of P), domain P × M",
    );
    const short = transport();
    short.parameters![0]!.data = [350];
    expect(compileError(short).message).toMatch(
      /^parameters\[0\] \(supply\)\.data: has 1 entries but set P has 2 elements; give a list of 2 numbers/,
    );
    const missing = transport();
    missing.parameters![1]!.data = { new_york: 325, chicago: 300 };
    expect(compileError(missing).message).toMatch(
      /^parameters\[1\] \(demand\)\.data: has no value for topeka of set M/,
    );
    const extra = transport();
    extra.parameters![1]!.data = { new_york: 325, chicago: 300, topeka: 275, boston: 1 };
    expect(compileError(extra).message).toMatch(
      /^parameters\[1\] \(demand\)\.data\.boston: "boston" is not an element of set M/,
    );
    const scalar = transport();
    scalar.parameters![0]!.data = 350;
    expect(compileError(scalar).message).toMatch(
      /^parameters\[0\] \(supply\)\.data: found the number 350 where a list of 2 numbers/,
    );
  });

  it("nonlinear terms", () => {
    const m = transport();
    m.objective = { sense: "min", function: "sum_{p in P} sum_{m in M} x_{p,m} * x_{p,m}" };
    expect(compileError(m).message).toBe(
      "objective.function: at position 34: the product of two variable terms is not linear; multiply variables only by numbers or parameters (the model must be linear)",
    );
    m.objective = { sense: "min", function: "x_{seattle,topeka}^2" };
    expect(compileError(m).message).toMatch(/a variable term raised to the power 2 is not linear/);
    m.objective = { sense: "min", function: "1 / x_{seattle,topeka}" };
    expect(compileError(m).message).toMatch(/dividing by a variable term is not linear/);
  });

  it("objectives, constraints and names of the wrong kind", () => {
    const m = transport();
    m.objective = { sense: "min", function: "x_{seattle,topeka} <= 3" };
    expect(compileError(m).message).toMatch(
      /^objective\.function: at position 0: the objective is a relation, not an expression/,
    );
    const c = transport();
    c.constraints![0]!.function = "sum_{m in M} x[p, m]";
    expect(compileError(c).message).toBe(
      'constraints[0] (supply_cap).function: at position 20: expected a relation ("<=", ">=" or "="), found an expression only; write the constraint as lhs <= rhs, lhs >= rhs or lhs = rhs',
    );
    const d = transport();
    d.variables!.push({ name: "cost", type: "INTEGER" });
    expect(compileError(d).message).toMatch(
      /^variables\[1\] \(cost\)\.name: cost is declared twice \(also parameters\[2\] \(cost\)\)/,
    );
    const s = transport();
    s.constraints![0]!.function = "sum_{m in M} x[p, m] <= supply";
    expect(compileError(s).message).toMatch(
      /supply is indexed by P but has no index here; write supply_\{p\}/,
    );
    const u = transport();
    u.constraints![0]!.domain = "";
    expect(compileError(u).message).toMatch(
      /index p of x is not bound and is not an element of set P; bind it in the element's domain or a sum \(e\.g\. p in P\)/,
    );
  });

  it("a syntax error carries the source and a caret for the LLM", () => {
    const m = transport();
    m.constraints![0]!.function = "sum_{m in M} x[p, m] <= supply[p";
    const e = compileError(m);
    expect(e.problem).toMatchObject({
      element: "constraints[0] (supply_cap)",
      field: "function",
      position: 32,
      expected: '"," or "]"',
    });
    expect(e.repairText()).toBe(
      [
        'constraints[0] (supply_cap).function: at position 32: expected "," or "]", found the end of the text; separate indices with "," and close with "]"',
        "  sum_{m in M} x[p, m] <= supply[p",
        `  ${" ".repeat(32)}^`,
      ].join("\n"),
    );
  });

  it("unbounded and infeasible models are results, not errors", async () => {
    const ub = transport();
    ub.objective = { sense: "max", function: "sum_{p in P} sum_{m in M} x_{p,m}" };
    ub.constraints = [ub.constraints![1]!];
    const r1 = await solveStructured(model(ub), { inline: true });
    expect(r1.result.status).toBe("unbounded");
    const inf = transport();
    inf.parameters![0]!.data = [100, 100];
    const r2 = await solveStructured(model(inf), { inline: true });
    expect(r2.result.status).toBe("infeasible");
    const never = transport();
    never.constraints!.push({ name: "absurd", function: "1 >= 2" });
    const c = compileModel(model(never));
    expect(c.warnings).toContain(
      "constraints[2] (absurd): absurd has no variables and never holds; the model is infeasible",
    );
    const r3 = await solveStructured(model(never), { inline: true });
    expect(r3.result.status).toBe("infeasible");
  });
});
