import fc from "fast-check";
import GLPK from "glpk.js/node";
import { describe, expect, it } from "vitest";
import { MisuseError } from "../../src/errors/index.js";
import { expr, isValidLpName, LinExpr, Model, solveModel, solveText, toLpText } from "../../src/mip/index.js";
import { expectClose } from "../helpers/tolerance.js";
import { randomMip, solveWithGlpk, toGlpk } from "./helpers.js";

describe("CPLEX LP writer", () => {
  it("round-trips random MIPs through LP text and HiGHS with the same optimum", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 100, max: 100000 }), async (seed) => {
        const m = randomMip(seed, 6, 4);
        const direct = await solveModel(m, { inline: true });
        const { text } = toLpText(m);
        const viaText = await solveText(text, "lp", { inline: true });
        expect(viaText.status).toBe(direct.status);
        if (direct.status === "optimal") expectClose(viaText.objective, direct.objective!, { abs: 1e-6 });
      }),
      { numRuns: 15 },
    );
  });

  it("writes equalities, ranged rows (as two rows), free and fixed variables and an objective constant", async () => {
    const m = new Model("shapes");
    const x = m.addVar({ name: "x", lb: Number.NEGATIVE_INFINITY });
    const y = m.addVar({ name: "y", lb: 2, ub: 2 });
    const z = m.addVar({ name: "z", type: "integer", lb: -3, ub: 3 });
    m.addConstraint(expr(x, y), "=", 5, "eq");
    m.addRange(1, expr(x, [-1, z]), 4, "band");
    m.setObjective(expr(x, z, 10), "minimize");
    const { text, rowNames } = toLpText(m);
    expect(text).toMatch(/eq: x \+ y = 5/);
    expect(text).toMatch(/band_lo: x - z >= 1/);
    expect(text).toMatch(/band_hi: x - z <= 4/);
    expect(text).toMatch(/y = 2/);
    expect(text).toMatch(/-3 <= z <= 3/);
    expect(rowNames).toEqual(["eq", "band_lo", "band_hi"]);
    const a = await solveModel(m, { inline: true });
    const b = await solveText(text, "lp", { inline: true });
    expect(a.status).toBe("optimal");
    expectClose(b.objective, a.objective!);
    expectClose(a.objective, 3 + -1 + 10); // x = 3, z = x − 4 ≥ −1 … min x + z with x = 3 gives z = -1
  });

  it("rejects names LP cannot carry, naming the variable, unless asked to escape", async () => {
    const m = new Model("odd");
    const a = m.addVar({ name: "x[1,2]" });
    const b = m.addVar({ name: "2nd" });
    const c = m.addVar({ name: "x_1,2_" });
    m.addConstraint(expr(a, b, c), ">=", 1, "need one");
    m.setObjective(expr(a, [2, b], [3, c]));
    expect(() => toLpText(m)).toThrow(MisuseError);
    expect(() => toLpText(m)).toThrow(/variable "x\[1,2\]"/);
    const { text, colNames } = toLpText(m, { names: "escape" });
    expect(new Set(colNames).size).toBe(3);
    for (const n of colNames) expect(isValidLpName(n)).toBe(true);
    const r = await solveText(text, "lp", { inline: true });
    expectClose(r.objective, 1);
  });

  it("escaping makes any set of names valid and distinct (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        (names) => {
          const m = new Model("p");
          const vars = names.map((n) => m.addVar({ name: n }));
          m.setObjective(vars.reduce((e, v) => e.add(v), new LinExpr()));
          const { colNames } = toLpText(m, { names: "escape" });
          expect(new Set(colNames).size).toBe(names.length);
          for (const n of colNames) expect(isValidLpName(n), n).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("HiGHS reads LP files written by GLPK and agrees with GLPK's optimum", async () => {
    const g = await GLPK();
    for (let seed = 21; seed <= 26; seed++) {
      const m = randomMip(seed);
      const lpText = g.write(toGlpk(g, m));
      const [ours, theirs] = await Promise.all([solveText(lpText, "lp", { inline: true }), solveWithGlpk(m)]);
      expect(ours.status, `seed ${seed}`).toBe(theirs.status);
      if (theirs.status === "optimal") expectClose(ours.objective, theirs.objective, { abs: 1e-6 });
    }
  });
});
