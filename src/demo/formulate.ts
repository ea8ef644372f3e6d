/**
 * Demo section: the structured models shipped in examples/formulate (hand-written for MAMO and
 * NL4OPT problems) compiled to MIPs and solved with HiGHS, each against its reference answer;
 * one is written as a CPLEX LP file. The LLM search (BPP-Search) runs only when an endpoint is
 * configured (FRUGAL_LLM_URL and FRUGAL_LLM_MODEL): nothing is downloaded, nothing is canned.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { throwIfAborted } from "../errors/index.js";
import { answersMatch } from "../formulate/eval/match.js";
import { readExamples } from "../formulate/examples.js";
import { searchTraceHtml } from "../formulate/report.js";
import { runSearch } from "../formulate/search/run.js";
import { solveStructured } from "../formulate/solve-model.js";
import { OpenAiClient } from "../llm/openai.js";
import { toLpText } from "../mip/index.js";
import { escapeHtml, htmlTable } from "../report/html.js";
import type { DemoSection } from "./section.js";

const fmt = (v: number | null) => (v === null ? "-" : String(Number(v.toPrecision(8))));

/** The demo section of `formulate`. */
export const formulateSection: DemoSection = {
  name: "formulate",
  title: "Formulate: structured models of MAMO and NL4OPT problems, solved by HiGHS",
  async run(ctx) {
    const examples = await readExamples();
    const rows: {
      name: string;
      dataset: string;
      id: string | number;
      reference: number;
      objective: number | null;
      status: string;
      matches: boolean;
      variables: number;
      constraints: number;
      seconds: number;
    }[] = [];
    const files: string[] = [];
    for (const [i, ex] of examples.entries()) {
      throwIfAborted(ctx.signal, "demo formulate");
      ctx.onProgress?.({ label: "demo: formulate", done: i, total: examples.length });
      const { compiled, result } = await solveStructured(ex.model, {
        inline: true,
        timeLimit: ctx.timeLimit,
        name: ex.name,
      });
      const src = ex.model.source!;
      rows.push({
        name: ex.name,
        dataset: src.dataset,
        id: src.id,
        reference: src.answer,
        objective: result.objective,
        status: result.status,
        matches: answersMatch(result.objective, src.answer),
        variables: compiled.model.numVars,
        constraints: compiled.model.numConstraints,
        seconds: result.seconds,
      });
      if (ex.name === "mamo-complex-163-facility") {
        await writeFile(join(ctx.dir, `${ex.name}.lp`), toLpText(compiled.model, { names: "escape" }).text);
        files.push(`${ex.name}.lp`);
      }
    }
    const matched = rows.filter((r) => r.matches).length;
    const summary = [
      `${matched} of ${rows.length} hand-written structured models (MAMO, NL4OPT dev) solve to their reference answers`,
    ];
    let searchHtml = `<p class="note">The LLM search did not run: no endpoint. Set FRUGAL_LLM_URL (an OpenAI-compatible base URL such as http://localhost:8000/v1) and FRUGAL_LLM_MODEL to run BPP-Search on a shipped question here.</p>`;
    let search: unknown = null;
    const url = process.env.FRUGAL_LLM_URL;
    const model = process.env.FRUGAL_LLM_MODEL;
    if (url && model) {
      const ex = examples.find((e) => e.name === "nl4opt-coconuts") ?? examples[0]!;
      const llm = new OpenAiClient({
        baseUrl: url,
        model,
        apiKey: process.env.FRUGAL_LLM_API_KEY ?? process.env.OPENAI_API_KEY,
      });
      const r = await runSearch({
        question: ex.model.source!.question,
        llm,
        strategy: "bpp",
        params: { children: 3, beam: 2 },
        signal: ctx.signal,
      });
      await writeFile(join(ctx.dir, "formulate-trace.html"), searchTraceHtml(r));
      files.push("formulate-trace.html");
      const ok = answersMatch(r.chosen?.objective ?? null, ex.model.source!.answer);
      summary.push(
        `BPP-Search with ${model}: objective ${fmt(r.chosen?.objective ?? null)} (reference ${fmt(ex.model.source!.answer)}, ${ok ? "correct" : "not correct"}), ${r.calls.policy + r.calls.prm + r.calls.preference} calls, ${r.tokens.prompt + r.tokens.completion} tokens`,
      );
      search = {
        example: ex.name,
        strategy: r.strategy,
        objective: r.chosen?.objective ?? null,
        reference: ex.model.source!.answer,
        correct: ok,
        calls: r.calls,
        tokens: r.tokens,
        seconds: r.seconds,
      };
      searchHtml = `<p>BPP-Search (n = 3, b = 2) with ${escapeHtml(model)} on ${escapeHtml(ex.name)}: objective ${fmt(r.chosen?.objective ?? null)}, reference ${fmt(ex.model.source!.answer)}; the whole tree is in formulate-trace.html.</p>`;
    } else summary.push("LLM search skipped: set FRUGAL_LLM_URL and FRUGAL_LLM_MODEL to run it");
    const html = `<section><h2>${escapeHtml(this.title)}</h2>
<p>Each model was written by hand in the structured format (sets, parameters, variables, objective, constraints with <code>function</code> strings), compiled to a MIP and solved; the reference is the dataset's answer (NL4OPT: the optimum of its annotated LP).</p>
${htmlTable(
  [
    "example",
    "dataset",
    "id",
    "reference",
    "objective",
    "status",
    "matches",
    "variables",
    "constraints",
    "seconds",
  ],
  rows.map((r) => [
    r.name,
    r.dataset,
    String(r.id),
    fmt(r.reference),
    fmt(r.objective),
    r.status,
    r.matches ? "yes" : "NO",
    r.variables,
    r.constraints,
    r.seconds,
  ]),
)}
${searchHtml}</section>`;
    return { summary, html, json: { examples: rows, matched, total: rows.length, search }, files };
  },
};
