/**
 * `frugal formulate solve | eval | strategies` as users run them (the built CLI in a child
 * process) against the scripted OpenAI-compatible server on loopback: a test double at the edge
 * this machine cannot reach (no LLM server runs here).
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readStructuredModel, solveStructured } from "../../src/formulate/solve-model.js";
import { runCli, spawnCli } from "../helpers/cli.js";
import {
  type Action,
  type Recorded,
  type ScriptedServer,
  startScriptedServer,
} from "../helpers/scripted-server.js";
import { PREFERRED_OBJECTIVE, TOY_QUESTION, toyAnswer } from "./helpers/toy-world.js";

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(script: (r: Recorded) => Action = toyAnswer): Promise<ScriptedServer> {
  const s = await startScriptedServer(script);
  servers.push(s);
  return s;
}

async function withEnv<T>(env: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const fast = ["--retries", "1", "--timeout", "20"];

describe("frugal formulate solve", () => {
  it("runs bpp against an OpenAI-compatible server: the chosen model, objective, calls, tokens; a trace and the model file", async () => {
    const s = await serve();
    const dir = await mkdtemp(join(tmpdir(), "frugal-formulate-"));
    const q = join(dir, "q.txt");
    await writeFile(q, TOY_QUESTION);
    const trace = join(dir, "tree.html");
    const out = join(dir, "model.json");
    const r = await runCli([
      "formulate",
      "solve",
      "--question-file",
      q,
      "--llm",
      s.url,
      "--model",
      "toy",
      "--strategy",
      "bpp",
      "--beam",
      "2",
      "--children",
      "3",
      "--trace",
      trace,
      "--out",
      out,
      ...fast,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^bpp: chose leaf 0\.\d\.\d\.\d, optimal\n/);
    expect(r.stdout).toMatch(/objective {2}51\n/);
    expect(r.stdout).toMatch(
      /calls {6}policy 15 \(formula 15\), process reward 9 \(9\), preference 30 \(30\), repairs 0/,
    );
    expect(r.stdout).toMatch(/tokens {5}4400 prompt, 880 completion; 44 requests, 0 retries, 0 cached/);
    expect(r.stdout).toMatch(/constraint capacity: sum_\{p in P\} x_p <= cap/);
    const html = await readFile(trace, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<circle /g)).toHaveLength(1 + 3 + 6 + 6);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const { result } = await solveStructured(await readStructuredModel(out), { inline: true });
    expect(result.objective).toBeCloseTo(PREFERRED_OBJECTIVE, 6);
  });

  it("takes the endpoint and model from the environment and the API key only from there; --json is one document", async () => {
    const s = await serve();
    const r = await withEnv(
      { FRUGAL_LLM_URL: s.url, FRUGAL_LLM_MODEL: "toy", FRUGAL_LLM_API_KEY: "sk-test-123" },
      () =>
        runCli(["formulate", "solve", "--question", TOY_QUESTION, "--strategy", "cot", "--json", ...fast]),
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      strategy: "cot",
      status: "chosen",
      endpoint: s.url,
      model: "toy",
      calls: { policy: 3, prm: 0, preference: 0, repair: 0 },
    });
    expect(j.chosen.objective).toBe(50);
    expect(j.tree).toHaveLength(4);
    expect(s.requests.every((q) => q.body.model === "toy" && q.authorization === "Bearer sk-test-123")).toBe(
      true,
    );
  });

  it("reports a server that answers garbage in one line, exit 1", async () => {
    const s = await serve(() => ({ kind: "raw", body: "<html>gateway</html>" }));
    const r = await runCli([
      "formulate",
      "solve",
      "--question",
      TOY_QUESTION,
      "--llm",
      s.url,
      "--model",
      "toy",
      "--strategy",
      "cot",
      "-q",
      ...fast,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `frugal: error: ${s.url}/chat/completions: the server answered with something that is not JSON (<html>gateway</html>) (2 attempts); check that the URL is an OpenAI-compatible API\n`,
    );
    expect(r.stdout).toBe("");
  });

  it("bad command lines: exit 2 with the flag named", async () => {
    const none = await withEnv({ FRUGAL_LLM_URL: undefined, OPENAI_BASE_URL: undefined }, () =>
      runCli(["formulate", "solve", "--question", "x", "--model", "m"]),
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      "frugal: error: --llm: no LLM endpoint given; pass --llm http://localhost:8000/v1 (vLLM), http://localhost:11434/v1 (Ollama) or a .gguf file, or set FRUGAL_LLM_URL\n",
    );
    const prm = await runCli([
      "formulate",
      "solve",
      "--question",
      "x",
      "--llm",
      "http://127.0.0.1:9/v1",
      "--model",
      "m",
      "--prm",
      "oracle",
    ]);
    expect(prm.code).toBe(2);
    expect(prm.stderr).toBe(
      'frugal: error: --prm: unknown scorer "oracle"; use one of llm-judge, classifier, solver\n',
    );
  });
});

describe("frugal formulate eval", () => {
  it("records a failing problem and goes on; accuracy with a Wilson interval, a per-problem CSV, an HTML report", async () => {
    const s = await serve((req) =>
      JSON.stringify(req.body).includes("BROKEN") ? { kind: "status", status: 500 } : toyAnswer(req),
    );
    const dir = await mkdtemp(join(tmpdir(), "frugal-formulate-"));
    const ds = join(dir, "toy.jsonl");
    await writeFile(
      ds,
      [
        { id: 1, Question: TOY_QUESTION, Answer: "51.0" },
        { id: 2, Question: `${TOY_QUESTION} (variant)`, Answer: "99" },
        { id: 3, Question: `${TOY_QUESTION} BROKEN`, Answer: "51" },
        { id: 4, Question: `${TOY_QUESTION} (no answer)`, Answer: "No Best Solution" },
      ]
        .map((x) => JSON.stringify(x))
        .join("\n"),
    );
    const csv = join(dir, "rows.csv");
    const report = join(dir, "eval.html");
    const r = await runCli([
      "formulate",
      "eval",
      "--dataset",
      ds,
      "--llm",
      s.url,
      "--model",
      "toy",
      "--strategy",
      "bpp",
      "--csv",
      csv,
      "--report",
      report,
      "--json",
      ...fast,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ format: "mamo", problems: 4, evaluated: 3, failures: 1, status: "complete" });
    expect(j.accuracy).toMatchObject({ successes: 1, total: 3 });
    expect(j.accuracy.low).toBeCloseTo(0.0615, 3);
    expect(j.accuracy.high).toBeCloseTo(0.7923, 3);
    expect(j.rows.map((x: { status: string }) => x.status)).toEqual([
      "correct",
      "wrong",
      "failed",
      "no_reference",
    ]);
    expect(j.rows[2].error).toMatch(/HTTP 500/);
    expect(j.rows[0].calls).toEqual({ policy: 15, repair: 0, prm: 9, preference: 30 });
    expect(j.perProblem.policy).toBeCloseTo((15 + 15 + 0) / 3, 9);
    const lines = (await readFile(csv, "utf8")).trim().split("\n");
    expect(lines[0]).toBe(
      "id,status,reference,predicted,solve_status,any_leaf_correct,policy_calls,repair_calls,prm_calls,preference_calls,prompt_tokens,completion_tokens,http_requests,cache_hits,seconds,error",
    );
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/^1,correct,51,51,optimal,true,15,0,9,30,4400,880,44,0,/);
    expect(lines[4]).toMatch(
      /^4,no_reference,,,,,0,0,0,0,0,0,0,0,0\.000,"no numeric answer \(""No Best Solution""\)"$/,
    );
    expect(await readFile(report, "utf8")).toMatch(/33\.3% \[6\.1, 79\.2\] \(1\/3\)/);
  });

  it("exit 1 when every problem failed (a dead server), after recording them", async () => {
    const s = await serve();
    const url = s.url;
    await s.close();
    const dir = await mkdtemp(join(tmpdir(), "frugal-formulate-"));
    const ds = join(dir, "toy.jsonl");
    await writeFile(
      ds,
      `${JSON.stringify({ en_question: TOY_QUESTION, en_answer: "51" })}\n${JSON.stringify({ en_question: "another", en_answer: "3" })}\n`,
    );
    const r = await runCli([
      "formulate",
      "eval",
      "--dataset",
      ds,
      "--llm",
      url,
      "--model",
      "toy",
      "--strategy",
      "cot",
      "--retries",
      "0",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/accuracy {12}0\.0%/);
    expect(r.stdout).toMatch(/failures {12}2/);
    expect(r.stderr).toMatch(
      /frugal: error: .*: every problem failed \(the first: .*the connection was refused \(is the server running\?\).*\); check the server and the model name/,
    );
  });

  it("Ctrl-C: the finished problems are written (status interrupted), exit 130", async () => {
    // the second problem's requests never get an answer: the run is certainly still going when SIGINT comes
    const s = await serve((req) =>
      JSON.stringify(req.body).includes("SECOND") ? { kind: "hang" } : toyAnswer(req),
    );
    const dir = await mkdtemp(join(tmpdir(), "frugal-formulate-"));
    const ds = join(dir, "toy.jsonl");
    await writeFile(
      ds,
      `${JSON.stringify({ id: "a", Question: TOY_QUESTION, Answer: "50" })}\n${JSON.stringify({ id: "b", Question: `${TOY_QUESTION} SECOND`, Answer: "50" })}\n`,
    );
    const csv = join(dir, "rows.csv");
    const cli = spawnCli([
      "formulate",
      "eval",
      "--dataset",
      ds,
      "--llm",
      s.url,
      "--model",
      "toy",
      "--strategy",
      "cot",
      "--csv",
      csv,
      "--json",
      "--verbose",
    ]);
    await cli.waitForStderr(/ {2}a: correct/);
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: "interrupted",
      rows: [{ id: "a", status: "correct" }],
    });
    expect((await readFile(csv, "utf8")).trim().split("\n")).toHaveLength(2);
  });

  it("--dry-run prints the plan without a call", async () => {
    const s = await serve();
    const dir = await mkdtemp(join(tmpdir(), "frugal-formulate-"));
    const ds = join(dir, "toy.jsonl");
    await writeFile(ds, `${JSON.stringify({ Question: "q", Answer: "1" })}\n`);
    const plan = await runCli([
      "formulate",
      "eval",
      "--dataset",
      ds,
      "--llm",
      s.url,
      "--model",
      "toy",
      "--strategy",
      "bpp",
      "--beam",
      "3",
      "--dry-run",
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /calls {8}policy 21, process reward 12, preference 72 per problem \(plus repairs\); 1 problems/,
    );
    expect(s.requests).toHaveLength(0);
  });
});
