import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import GLPK from "glpk.js/node";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { expectClose } from "../helpers/tolerance.js";
import { randomMip, toGlpk } from "../mip/helpers.js";

describe("frugal solve", () => {
  it("solves a valid LP file: exit 0, the optimum on stdout", async () => {
    const r = await runCli(["solve", "examples/mip/workshop.lp"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/optimal/);
    expect(r.stdout).toMatch(/objective\s+1100/);
    expect(r.stdout).toMatch(/chairs\s+20/);
  });

  it("an LP file written by GLPK gets GLPK's optimum", async () => {
    const g = await GLPK();
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const lp = toGlpk(g, randomMip(31, 10, 6));
    const f = join(dir, "glpk.lp");
    await writeFile(f, g.write(lp));
    const theirs = g.solve(lp, { msglev: g.GLP_MSG_OFF });
    expect(theirs.result.status).toBe(g.GLP_OPT);
    const r = await runCli(["solve", f, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const ours = JSON.parse(r.stdout);
    expect(ours.status).toBe("optimal");
    expectClose(ours.objective, theirs.result.z, { abs: 1e-6 });
  });

  it("solves an MPS file (format from the extension)", async () => {
    const r = await runCli(["solve", "examples/mip/workshop.mps", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "optimal", objective: 1100 });
  });

  it("--json prints exactly one JSON document with status, objective, bound, gap, seconds", async () => {
    const r = await runCli(["solve", "examples/mip/workshop.lp", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      status: "optimal",
      objective: 1100,
      bound: 1100,
      gap: 0,
      values: { chairs: 20, tables: 10 },
    });
    expect(typeof j.seconds).toBe("number");
    expect(j.versions.solver).toMatch(/^HiGHS /);
  });

  it("a missing file: exit 1 and one line naming the file", async () => {
    const r = await runCli(["solve", "no/such/model.lp"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("frugal: error: no/such/model.lp: no such file; check the path");
    expect(r.stdout).toBe("");
  });

  it("an unparsable file: exit 1 and a clear message", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const f = join(dir, "bad.lp");
    await writeFile(f, "this is not a model\n");
    const r = await runCli(["solve", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.lp: not a CPLEX LP file: no Minimize\/Maximize section; give an LP file/);
    const g = join(dir, "broken.lp");
    await writeFile(g, "Minimize\n obj: x +\nSubject To\n c: 1 <= x + y <= 3\nEnd\n");
    const r2 = await runCli(["solve", g]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(
      /broken\.lp: the solver could not read the model \(HiGHS.s LP reader rejected it; it reports no line\); check that it is valid LP/,
    );
    expect(r2.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("an infeasible model is a result (exit 0), and usage errors exit 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const f = join(dir, "inf.lp");
    await writeFile(f, "Minimize\n obj: x\nSubject To\n c1: x >= 5\n c2: x <= 3\nEnd\n");
    const r = await runCli(["solve", f, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("infeasible");
    const u = await runCli(["solve", f, "--time-limit", "soon"]);
    expect(u.code).toBe(2);
    expect(u.stderr).toBe(
      'frugal: error: --time-limit: "soon" must be a number > 0; run `frugal solve --help` for usage\n',
    );
    const v = await runCli(["solve"]);
    expect(v.code).toBe(2);
    const w = await runCli(["solve", f, "--bogus"]);
    expect(w.code).toBe(2);
    expect(w.stderr).toBe("frugal: error: --bogus: unknown option; run `frugal solve --help` for usage\n");
  });
});

describe("frugal solve --start", () => {
  it("passes a MIP start by name, and names the bad entry of a bad start file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const good = join(dir, "start.json");
    await writeFile(good, JSON.stringify({ chairs: 10, tables: 15 }));
    const r = await runCli(["solve", "examples/mip/workshop.lp", "--start", good, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).notes).toContain("warm start accepted (objective 1050)");
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ chairs: "ten" }));
    const b = await runCli(["solve", "examples/mip/workshop.lp", "--start", bad]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(
      /bad\.json: chairs: Invalid input: expected number, received string; give an object like/,
    );
  });
});

describe("frugal --help", () => {
  it("lists every command with a purpose and an example", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/solve\s+solve an LP\/MIP file/);
    expect(r.stdout).toMatch(/\$ frugal demo/);
    const s = await runCli(["solve", "--help"]);
    expect(s.stdout).toMatch(/Examples:/);
  });

  it("an unbounded LP: status unbounded, objective null with the reason in notes (not a number)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const f = join(dir, "unb.lp");
    await writeFile(f, "Maximize\n obj: x + y\nSubject To\n c1: x - y <= 4\nEnd\n");
    const r = await runCli(["solve", f, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ status: "unbounded", objective: null, bound: null, gap: null, values: null });
    expect(j.notes.join(" ")).toMatch(/the objective is unbounded: .* no optimal value/);
    const human = await runCli(["solve", f]);
    expect(human.stdout).toMatch(/objective\s+-\n/);
  });

  it("--log prints HiGHS's log on stderr; stdout stays the one result", async () => {
    const r = await runCli(["solve", "examples/mip/workshop.lp", "--log", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Coefficient ranges:/);
    expect(r.stderr).toMatch(/Solving MIP model with:/);
    expect(JSON.parse(r.stdout).objective).toBe(1100);
    const quiet = await runCli(["solve", "examples/mip/workshop.lp", "--json"]);
    expect(quiet.stderr).not.toMatch(/Coefficient ranges/);
  });
});
