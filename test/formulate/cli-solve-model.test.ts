import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { solveModelFile } from "../../src/formulate/solve-model.js";
import { runCli } from "../helpers/cli.js";

describe("frugal formulate solve-model", () => {
  it("solves a shipped example and says whether it matches the recorded answer", async () => {
    const r = await runCli(["formulate", "solve-model", "examples/formulate/mamo-complex-001-diet.json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: optimal/);
    expect(r.stdout).toMatch(/objective\s+57\n/);
    expect(r.stdout).toMatch(/reference\s+57 \(MAMO ComplexLP #1\): matches/);
    expect(r.stdout).toMatch(/x\(Steak\)\s+6/);
  });

  it("exports an LP file that frugal solve solves to the same optimum, and prints one JSON document", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-formulate-"));
    const lp = join(dir, "model.lp");
    const r = await runCli([
      "formulate",
      "solve-model",
      "examples/formulate/mamo-complex-163-facility.json",
      "--export-lp",
      lp,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      status: "optimal",
      objective: 240385,
      exportLp: lp,
      reference: { answer: 240385, matches: true },
    });
    expect(await readFile(lp, "utf8")).toMatch(/^Minimize/m);
    const s = await runCli(["solve", lp, "--json"]);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).objective).toBeCloseTo(240385, 6);
    const again = await runCli([
      "formulate",
      "solve-model",
      "examples/formulate/mamo-complex-163-facility.json",
      "--export-lp",
      lp,
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`frugal: error: ${lp}: already exists; choose another path or pass --force\n`);
  });

  it("a model with a typo in a set name: one line naming the file, the element and the position, exit 1", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-formulate-"));
    const f = join(dir, "bad.json");
    await writeFile(
      f,
      JSON.stringify({
        sets: [{ name: "Foods", data: ["a", "b"] }],
        variables: [{ name: "x", domain: "f in Food", type: "INTEGER" }],
        objective: { sense: "min", function: "sum_{f in Foods} x_f" },
      }),
    );
    const r = await runCli(["formulate", "solve-model", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `frugal: error: ${f}: variables[0] (x).domain: at position 5: unknown set Food; did you mean Foods? (declared sets: Foods)\n`,
    );
    expect(r.stdout).toBe("");
  });

  it("a file that is not a model: the zod path and a pointer to the schema", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-formulate-"));
    const f = join(dir, "bad.json");
    await writeFile(
      f,
      JSON.stringify({ sets: [], variables: [{ name: "x", type: "REAL-ish" }], objective: [] }),
    );
    await expect(solveModelFile(f)).rejects.toThrow(
      new RegExp(
        `^${f.replace(/[./]/g, "\\$&")}: variables\\[0\\]\\.type: .*; see schemas/formulate-model\\.schema\\.json for the format$`,
      ),
    );
  });

  it("an infeasible model is a result, status infeasible", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-formulate-"));
    const f = join(dir, "inf.yaml");
    await writeFile(
      f,
      "variables:\n  - {name: x}\nobjective: {sense: max, function: x}\nconstraints:\n  - {name: a, function: x >= 5}\n  - {name: b, function: x <= 3}\n",
    );
    expect(await solveModelFile(f, { inline: true })).toMatchObject({
      status: "infeasible",
      objective: null,
      values: null,
    });
  });
});
