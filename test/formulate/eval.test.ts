import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadDataset, readAnswer } from "../../src/formulate/eval/datasets.js";
import { answersMatch, wilsonInterval } from "../../src/formulate/eval/match.js";
import { evalCsv, runEval } from "../../src/formulate/eval/run.js";
import { OpenAiClient } from "../../src/llm/openai.js";
import { type ScriptedServer, startScriptedServer } from "../helpers/scripted-server.js";
import { expectClose } from "../helpers/tolerance.js";
import { TOY_QUESTION, toyAnswer } from "./helpers/toy-world.js";

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "frugal-eval-"));
  const f = join(dir, name);
  await writeFile(f, text);
  return f;
}

describe("answer matching and intervals", () => {
  it("matches within max(abs, rel·|ref|)", () => {
    expect(answersMatch(57.004, 57, { rel: 1e-4, abs: 1e-6 })).toBe(true);
    expect(answersMatch(57.006, 57, { rel: 1e-4, abs: 1e-6 })).toBe(false);
    expect(answersMatch(5e-7, 0, { rel: 1e-4, abs: 1e-6 })).toBe(true);
    expect(answersMatch(null, 0)).toBe(false);
  });

  it("gives the Wilson score interval (golden values)", () => {
    const w = wilsonInterval(1, 3);
    expectClose(w.low, 0.06149194, { rel: 1e-6 });
    expectClose(w.high, 0.7923404, { rel: 1e-6 });
    const z = wilsonInterval(0, 10);
    expect(z.low).toBe(0);
    expectClose(z.high, 0.27753279, { rel: 1e-6 });
    expect(wilsonInterval(0, 0)).toMatchObject({ value: 0, low: 0, high: 1 });
  });
});

describe("datasets", () => {
  it("reads MAMO, IndustryOR and NL4OPT records and answers as written", async () => {
    const m = await loadDataset(
      await file(
        "m.jsonl",
        `${JSON.stringify({ id: 7, Question: "q1", Answer: "57.0" })}\n\n${JSON.stringify({ id: 8, Question: "q2", Answer: "$1,200" })}\n`,
      ),
    );
    expect(m).toMatchObject({
      format: "mamo",
      problems: [
        { id: "7", question: "q1", answer: 57 },
        { id: "8", answer: 1200 },
      ],
    });
    const i = await loadDataset(
      await file("i.json", JSON.stringify([{ en_question: "q", en_answer: "No Best Solution" }])),
    );
    expect(i.problems).toEqual([
      { id: "1", question: "q", answer: null, note: 'no numeric answer ("No Best Solution")' },
    ]);
    const nl = await loadDataset(
      await file(
        "n.jsonl",
        `${JSON.stringify({
          "42": {
            document: "coconuts",
            vars: ["r", "o"],
            obj_declaration: { type: "objective", direction: "maximize", terms: { r: "50", o: "30" } },
            const_declarations: [
              { type: "linear", limit: "200", terms: { r: "10", o: "8" }, operator: "LESS_OR_EQUAL" },
              { type: "xy", x_var: "r", y_var: "o", operator: "LESS_OR_EQUAL" },
            ],
          },
        })}\n`,
      ),
    );
    expect(nl.format).toBe("nl4opt");
    expectClose(nl.problems[0]?.answer, 8000 / 9, { rel: 1e-9 });
    expect(readAnswer("1e3")).toBe(1000);
    expect(readAnswer("about 5")).toBeNull();
  });

  it("names the file and line of a bad record", async () => {
    const bad = await file("b.jsonl", `${JSON.stringify({ Question: "q", Answer: "1" })}\n{oops\n`);
    await expect(loadDataset(bad)).rejects.toThrow(
      new RegExp(
        `^${bad.replace(/[./]/g, "\\$&")}: line 2: not valid JSON \\(.*\\); one JSON object per line$`,
      ),
    );
    const odd = await file("o.jsonl", `${JSON.stringify({ prompt: "q" })}\n`);
    await expect(loadDataset(odd)).rejects.toThrow(
      `${odd}: line 1: is not a record of a known benchmark format`,
    );
    const noQ = await file(
      "q.jsonl",
      `${JSON.stringify({ Question: "q", Answer: "1" })}\n${JSON.stringify({ Answer: "2" })}\n`,
    );
    await expect(loadDataset(noQ)).rejects.toThrow(
      `${noQ}: line 2: has no "Question" text; check the format (--format)`,
    );
    const dup = await file(
      "d.jsonl",
      `${JSON.stringify({ id: 1, Question: "a", Answer: "1" })}\n${JSON.stringify({ id: 1, Question: "b", Answer: "2" })}\n`,
    );
    await expect(loadDataset(dup)).rejects.toThrow(
      `${dup}: problem id 1 appears twice; give each record its own id`,
    );
  });

  const data = fileURLToPath(new URL("../../../shared/data/", import.meta.url));
  it.skipIf(!existsSync(`${data}mamo/complex_lp.jsonl`))(
    "loads the MAMO files: every ComplexLP and EasyLP problem has a numeric answer",
    async () => {
      const c = await loadDataset(`${data}mamo/complex_lp.jsonl`);
      const e = await loadDataset(`${data}mamo/easy_lp.jsonl`);
      expect([c.problems.length, e.problems.length]).toEqual([211, 652]);
      expect([...c.problems, ...e.problems].every((p) => p.answer !== null)).toBe(true);
    },
  );
});

describe("runEval", () => {
  it("stops at an interrupt with the finished rows (status interrupted); the CSV has them", async () => {
    const s = await startScriptedServer(toyAnswer);
    servers.push(s);
    const ac = new AbortController();
    const llm = new OpenAiClient({
      baseUrl: s.url,
      model: "toy",
      retry: { retries: 1, backoffMs: 1, maxBackoffMs: 2, timeoutMs: 10_000 },
    });
    const problems = [1, 2, 3].map((i) => ({ id: String(i), question: `${TOY_QUESTION} #${i}`, answer: 50 }));
    const r = await runEval({ llm, strategy: "cot", problems, signal: ac.signal, onRow: () => ac.abort() });
    expect(r.status).toBe("interrupted");
    expect(r.rows.map((x) => [x.id, x.status])).toEqual([["1", "correct"]]);
    expect(r.notes).toContain("interrupted after 1 of 3 problems");
    expect(evalCsv(r).trim().split("\n")).toHaveLength(2);
  });

  it("runs problems in parallel with the same rows as one at a time", async () => {
    const s = await startScriptedServer(toyAnswer);
    servers.push(s);
    const llm = new OpenAiClient({ baseUrl: s.url, model: "toy", concurrency: 8 });
    const problems = [1, 2, 3, 4].map((i) => ({
      id: String(i),
      question: `${TOY_QUESTION} #${i}`,
      answer: i % 2 ? 60 : 1,
    }));
    const r = await runEval({ llm, strategy: "greedy", problems, parallel: 3 });
    expect(r.rows.map((x) => [x.id, x.status])).toEqual([
      ["1", "correct"],
      ["2", "wrong"],
      ["3", "correct"],
      ["4", "wrong"],
    ]);
    expect(r.treeHasCorrect).toMatchObject({ successes: 2, total: 4 });
    expect(r.perProblem).toMatchObject({ policy: 9, prm: 9, preference: 0 });
  });
});
