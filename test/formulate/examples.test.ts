/**
 * The shipped structured models (examples/formulate): each was written by hand for one MAMO or
 * NL4OPT dev problem and must compile and solve to the reference answer recorded with it. Where the
 * datasets are present (../shared/data, not shipped), the recorded question and answer are checked
 * against them, and for NL4OPT the answer against the optimum of the dataset's annotated LP.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { annotatedLp, Nl4optRecordSchema } from "../../src/formulate/eval/nl4opt.js";
import { readStructuredModel, solveStructured } from "../../src/formulate/solve-model.js";
import { solveModel } from "../../src/mip/index.js";
import { expectClose } from "../helpers/tolerance.js";

const dir = fileURLToPath(new URL("../../examples/formulate/", import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort();
const data = fileURLToPath(new URL("../../../shared/data/", import.meta.url));
const haveData = existsSync(`${data}mamo/complex_lp.jsonl`) && existsSync(`${data}nl4opt/dev.jsonl`);
if (!haveData) process.stderr.write(`skipping the dataset cross-checks: ${data} is absent\n`);

describe("shipped structured models", () => {
  it("are at least 20, from both MAMO and NL4OPT dev", () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(files.filter((f) => f.startsWith("mamo-")).length).toBeGreaterThanOrEqual(8);
    expect(files.filter((f) => f.startsWith("nl4opt-")).length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)("%s compiles and solves to its reference answer", async (f) => {
    const sm = await readStructuredModel(`${dir}${f}`);
    expect(sm.source, "the file records its source problem").toBeDefined();
    const { result } = await solveStructured(sm, { inline: true, timeLimit: 30 });
    expect(result.status).toBe("optimal");
    expectClose(result.objective, sm.source!.answer, { rel: 1e-6, abs: 1e-6 });
  });

  it.skipIf(!haveData)("record their question and answer exactly as the datasets give them", async () => {
    const mamo = new Map<string, { Question: string; Answer: string }>();
    for (const [file, name] of [
      ["complex_lp", "MAMO ComplexLP"],
      ["easy_lp", "MAMO EasyLP"],
    ])
      for (const line of readFileSync(`${data}mamo/${file}.jsonl`, "utf8").split("\n").filter(Boolean)) {
        const d = JSON.parse(line);
        mamo.set(`${name}#${d.id}`, d);
      }
    const nl = new Map<string, unknown>();
    for (const line of readFileSync(`${data}nl4opt/dev.jsonl`, "utf8").split("\n").filter(Boolean)) {
      const [id, rec] = Object.entries(JSON.parse(line))[0]!;
      nl.set(id, rec);
    }
    for (const f of files) {
      const sm = await readStructuredModel(`${dir}${f}`);
      const s = sm.source!;
      if (s.dataset.startsWith("MAMO")) {
        const d = mamo.get(`${s.dataset}#${s.id}`);
        expect(d, f).toBeDefined();
        expect(s.question, f).toBe(d!.Question);
        expect(s.answer, f).toBe(Number(d!.Answer));
      } else {
        const rec = Nl4optRecordSchema.parse(nl.get(String(s.id)));
        expect(s.question, f).toBe(rec.document);
        const lp = annotatedLp(rec);
        expect(lp.ok, f).toBe(true);
        if (!lp.ok) continue;
        const r = await solveModel(lp.model, { inline: true });
        expect(r.status, f).toBe("optimal");
        expectClose(r.objective, s.answer, { rel: 1e-9 });
      }
    }
  });
});
