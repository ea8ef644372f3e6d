/**
 * The bad-input table of docs/conventions.md ("Bad input and what it gets"), enforced: every row's
 * command is run as written by the built CLI in a folder holding the files the table describes,
 * and its exit code and stderr line must be the table's. The table is the source; this test only
 * knows how to make the files it names.
 */
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../helpers/cli.js";

const DOC = fileURLToPath(new URL("../../docs/conventions.md", import.meta.url));

interface Row {
  input: string;
  args: string[];
  exit: number;
  stderr: string;
}

/** The rows of the table under "## Bad input and what it gets". */
function tableRows(md: string): Row[] {
  const start = md.indexOf("## Bad input and what it gets");
  if (start < 0) throw new Error("docs/conventions.md has no section 'Bad input and what it gets'");
  const end = md.indexOf("\n## ", start + 1);
  const section = md.slice(start, end < 0 ? md.length : end);
  const rows: Row[] = [];
  for (const line of section.split("\n")) {
    // Cells may be padded (the table is formatted); stderr is a code span in ` or `` (when it holds a `).
    const m = /^\|\s*(.+?)\s*\|\s*`frugal ([^`]+)`\s*\|\s*(\d+)\s*\|\s*(``?)(.+?)\4\s*\|$/.exec(line);
    if (!m) {
      if (line.startsWith("|") && !/^\|\s*input\s*\|/.test(line) && !/^\|\s*-/.test(line))
        throw new Error(`a table row this test cannot read: ${line}`);
      continue;
    }
    const [, input = "", command = "", exit = "", , stderr = ""] = m;
    // A | inside a cell is written \| (GitHub's table syntax).
    rows.push({ input, args: command.split(" "), exit: Number(exit), stderr: stderr.replaceAll("\\|", "|") });
  }
  return rows;
}

const profile = (prefill: string, client = '"maxBatchSize":16,"kvBlocks":100') =>
  `{"name":"p","timeModel":{"prefill":${prefill},"decode":{"alpha":0.05}},"client":{${client}}}\n`;
const HEADER = "arrival_s,prompt_tokens,output_tokens\n";
/** A plan graph: a chain of operators (the first with forward time `first`). */
const graph = (microBatches: number, ids: string[], first = 1) =>
  `${JSON.stringify({
    microBatches,
    operators: ids.map((id, i) => ({ id, forward: i === 0 ? first : 1, backward: 2 })),
    edges: ids.slice(1).map((id, i) => ({ from: ids[i], to: id })),
  })}\n`;
const batchLine = (id: string) =>
  JSON.stringify({
    custom_id: id,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 5 },
  });

/** The files the table's introduction describes. */
const FILES: Record<string, string | Uint8Array> = {
  "t.csv": `${HEADER}0,100,20\n0.1,50,10\n`,
  "binary.csv": Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, ...Buffer.from("binary")]),
  "latin1.csv": Buffer.concat([Buffer.from(`${HEADER}0,caf`), Buffer.from([0xe9]), Buffer.from(",20\n")]),
  "nan.csv": `${HEADER}0,abc,20\n`,
  "huge.csv": `${HEADER}0,20000000,20\n`,
  "long.csv": HEADER + "0,100,1000000\n".repeat(40),
  "inf.profile.json": profile('{"alpha":1e400,"beta":0.001}'),
  "zero.profile.json": profile('{"alpha":0,"beta":0}'),
  "batch.profile.json": profile('{"alpha":0.05,"beta":0.001}', '"maxBatchSize":1e9,"kvBlocks":100'),
  "exists.html": "<html></html>\n",
  // plan
  "two.graph.json": graph(4, ["a", "b"]),
  "mb.graph.json": graph(1e9, ["a", "b"]),
  "fwd.graph.json": graph(4, ["a", "b"], 1e308),
  "jobs.graph.json": graph(1024, [..."abcdefghijklmnop"]),
  "c.cluster.json": '{"devices":2}\n',
  "c4.cluster.json": '{"devices":4}\n',
  "big.cluster.json": '{"devices":1000000}\n',
  "dup.cluster.json": '{"devices":[{"id":"gpu"},{"id":"gpu"}]}\n',
  // solve
  "ok.lp": "Maximize\n obj: x + y\nSubject To\n c1: x + 2 y <= 4\nEnd\n",
  "inf.lp": "Maximize\n obj: x + 1e400 y\nSubject To\n c1: x + 2 y <= 4\nEnd\n",
  "cost.lp": "Maximize\n obj: x + 1e30 y\nSubject To\n c1: x + 2 y <= 4\nEnd\n",
  "notlp.lp": "hello\n",
  "inf.mps": "NAME t\nROWS\n N obj\n L c1\nCOLUMNS\n x obj 1 c1 1e400\nRHS\n rhs c1 4\nENDATA\n",
  "bad.jsonl": `${batchLine("a")}\n{"method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]}}\n`,
  "dup.jsonl": `${batchLine("a")}\n${batchLine("a")}\n`,
  "emb.jsonl": '{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"x"}}\n',
};

let dir = "";
let rows: Row[] = [];
const results = new Map<string, Promise<CliRun>>();

beforeAll(async () => {
  rows = tableRows(await readFile(DOC, "utf8"));
  dir = await mkdtemp(join(tmpdir(), "frugal-bad-input-"));
  for (const [name, data] of Object.entries(FILES)) await writeFile(join(dir, name), data);
  await mkdir(join(dir, "out-dir"));
  // Three CLIs at a time: the rows are independent.
  const queue = [...rows];
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      const run = runCli(row.args, { cwd: dir });
      results.set(row.input, run);
      await run;
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}, 180_000);

describe("docs/conventions.md: bad input and what it gets", () => {
  it("has the serving, plan and solve rows, each naming only files the test makes (URLs aside)", () => {
    expect(rows.length).toBeGreaterThanOrEqual(37);
    for (const cmd of ["serving", "plan", "solve"])
      expect(
        rows.some((r) => r.args[0] === cmd),
        cmd,
      ).toBe(true);
    const known = new Set([
      ...Object.keys(FILES),
      "out-dir",
      "missing.csv",
      "same.out",
      "t.csv/r.html",
      "s.csv",
      "p.json",
      "missing.lp",
      "r.jsonl",
    ]);
    for (const r of rows)
      for (const a of r.args)
        if (!/^[a-z]+:\/\//.test(a) && /\.(csv|json|jsonl|html|out|lp|mps)$|\/|-dir$/.test(a))
          expect(known, a).toContain(a);
  });

  it("every row: the exit code and the one stderr line of the table, nothing on stdout, nothing written", async () => {
    for (const row of rows) {
      const r = await results.get(row.input);
      expect(r, row.input).toBeDefined();
      if (!r) continue;
      expect({ input: row.input, exit: r.code, stderr: r.stderr.trim() }).toEqual({
        input: row.input,
        exit: row.exit,
        stderr: row.stderr,
      });
      expect(r.stdout, row.input).toBe("");
    }
    // No row got far enough to write a file.
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(dir).sort()).toEqual([...Object.keys(FILES), "out-dir"].sort());
  });
});
