import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { annotatedLp, Nl4optRecordSchema, readAnnotatedNumber } from "../../src/formulate/eval/nl4opt.js";
import { solveModel } from "../../src/mip/index.js";
import { expectClose } from "../helpers/tolerance.js";

describe("NL4OPT annotations", () => {
  it("reads numbers as the annotators wrote them", () => {
    const cases: [string, number][] = [
      ["200", 200],
      ["4,000", 4000],
      ["70%", 0.7],
      ["7.5%", 0.075],
      ["twice", 2],
      ["three times", 3],
      ["2 times", 2],
      ["third", 1 / 3],
      ["a half", 0.5],
      ["thirty percent", 0.3],
      ["one hundred thousand", 100000],
      ["8000 minutes", 8000],
      ["five", 5],
    ];
    for (const [text, v] of cases) expectClose(readAnnotatedNumber(text), v, { rel: 1e-12 });
    expect(readAnnotatedNumber("many")).toBeNull();
  });

  it("builds the annotated LP of a document: the coconut seller (max 50r + 30o, 10r + 8o ≤ 200, r ≤ o) = 8000/9", async () => {
    const rec = Nl4optRecordSchema.parse({
      document: "A coconut seller …",
      vars: ["rickshaws", "ox carts"],
      var_mention_to_first_var: { rickshaws: "rickshaws", "ox carts": "ox carts" },
      obj_declaration: {
        type: "objective",
        direction: "maximize",
        terms: { rickshaws: "50", "ox carts": "30" },
      },
      const_declarations: [
        {
          type: "linear",
          limit: "200",
          terms: { rickshaws: "10", "ox carts": "8" },
          operator: "LESS_OR_EQUAL",
        },
        { type: "xy", x_var: "rickshaws", y_var: "ox carts", operator: "LESS_OR_EQUAL" },
      ],
    });
    const lp = annotatedLp(rec);
    expect(lp.ok).toBe(true);
    if (!lp.ok) return;
    const r = await solveModel(lp.model, { inline: true });
    expectClose(r.objective, 8000 / 9, { rel: 1e-9 });
  });

  it("gives a reason instead of a guess when a mention matches no variable", () => {
    const lp = annotatedLp(
      Nl4optRecordSchema.parse({
        document: "…",
        vars: ["apples", "pears"],
        obj_declaration: { type: "objective", direction: "maximize", terms: { plums: "3" } },
      }),
    );
    expect(lp).toEqual({ ok: false, reason: 'cannot match "plums" to a variable (apples, pears)' });
  });

  const dev = fileURLToPath(new URL("../../../shared/data/nl4opt/dev.jsonl", import.meta.url));
  it.skipIf(!existsSync(dev))(
    "reads the annotations of all 99 dev documents; 90 give a bounded optimum",
    async () => {
      const status: Record<string, number> = {};
      for (const line of readFileSync(dev, "utf8").split("\n").filter(Boolean)) {
        const [, raw] = Object.entries(JSON.parse(line))[0]!;
        const lp = annotatedLp(Nl4optRecordSchema.parse(raw));
        if (!lp.ok) {
          status.unreadable = (status.unreadable ?? 0) + 1;
          continue;
        }
        const r = await solveModel(lp.model, { inline: true });
        status[r.status] = (status[r.status] ?? 0) + 1;
      }
      // the 9 others are annotation slips (a missing capacity, "at least 1000 t-shirts or hoodies" annotated per item)
      expect(status).toEqual({ optimal: 90, unbounded: 3, infeasible: 6 });
    },
  );
});
