/** `frugal serving`: the built CLI in a child process (streams, exit codes, files, the error lines). */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

async function folder(): Promise<string> {
  return mkdtemp(join(tmpdir(), "frugal-serving-"));
}

async function smallTrace(dir: string): Promise<string> {
  const tr = join(dir, "t.csv");
  await writeFile(tr, "arrival_s,prompt_tokens,output_tokens\n0,100,20\n0.1,50,10\n0.2,500000,2\n");
  return tr;
}

describe("frugal serving simulate / compare", () => {
  it("simulate --json prints one JSON document and writes the CSV of every run, Chrome trace and HTML", async () => {
    const dir = await folder();
    const tr = await smallTrace(dir);
    const files = ["--requests-csv", "r.csv", "--chrome-trace", "c.json", "--report", "r.html"];
    const r = await runCli(
      [
        "serving",
        "simulate",
        "--trace",
        "t.csv",
        "--policy",
        "vllm-v0",
        "--clients",
        "2",
        "--json",
        "--quiet",
        ...files,
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout);
    expect(j.policies.map((p: { name: string }) => p.name)).toEqual(["vllm-v0"]);
    expect(j.policies[0]).toMatchObject({ rejected: 1, completed: 2 });
    expect(j.policies[0].gapBreakdown.clients).toHaveLength(2);
    expect(j.versions.solver).toBeNull(); // no MIP was solved for this trace (arrivals over time)
    const csv = readFileSync(join(dir, "r.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toMatch(/^id,policy,client,arrival_s,/);
    expect(csv).toHaveLength(4);
    expect(csv[3]).toBe("2,vllm-v0,0,0.2,500000,2,,,,,,0,1");
    expect(JSON.parse(readFileSync(join(dir, "c.json"), "utf8")).traceEvents.length).toBeGreaterThan(3);
    expect(readFileSync(join(dir, "r.html"), "utf8")).toContain("Where the time above the bound goes");
    expect(tr).toBe(join(dir, "t.csv"));

    // Outputs are checked before any work: an existing one is refused without --force.
    const again = await runCli(["serving", "compare", "--trace", "t.csv", "--report", "r.html"], {
      cwd: dir,
    });
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(
      "frugal: error: r.html: already exists; choose another path or pass --force",
    );
    expect(again.stdout).toBe("");
  });

  it("compare --policies writes one per-request CSV with a row per request of each run", async () => {
    const dir = await folder();
    await smallTrace(dir);
    const r = await runCli(
      [
        "serving",
        "compare",
        "--trace",
        "t.csv",
        "--policies",
        "orca,hybrid",
        "--requests-csv",
        "r.csv",
        "--quiet",
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^t\.csv: 3 requests on 4 clients/);
    const rows = readFileSync(join(dir, "r.csv"), "utf8").trim().split("\n");
    expect(rows.filter((l) => l.startsWith("id,"))).toHaveLength(1);
    expect(rows.slice(1).map((l) => l.split(",")[1])).toEqual([
      "orca",
      "orca",
      "orca",
      "hybrid",
      "hybrid",
      "hybrid",
    ]);
  });

  it("routing: least-work spreads the preset over every client (it sent everything to client 0)", async () => {
    const r = await runCli([
      "serving",
      "simulate",
      "--preset",
      "gsm8k-llama65b",
      "--policy",
      "vllm-v0",
      "--param",
      "routing=least-work",
      "--json",
      "--quiet",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.policyParams).toEqual({ hybrid: { lambda: 1 }, "vllm-v0": { routing: "least-work" } });
    const counts = j.policies[0].gapBreakdown.clients.map((c: { requests: number }) => c.requests);
    expect(counts).toHaveLength(4);
    for (const n of counts) expect(n).toBeGreaterThan(300);
  });
});

describe("frugal serving: results that cannot be computed, --verbose", () => {
  it("no request served: metrics are null with the reason in notes, '-' in the table, never NaN or Infinity", async () => {
    const dir = await folder();
    // Both prompts exceed the KV cache (324 blocks of 16 tokens): every request is rejected.
    await writeFile(join(dir, "r.csv"), "arrival_s,prompt_tokens,output_tokens\n0,9000,5\n1,9500,5\n");
    const json = await runCli(["serving", "simulate", "--trace", "r.csv", "--policy", "vllm-v0", "--json"], {
      cwd: dir,
    });
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toMatch(/NaN|Infinity/);
    const p = JSON.parse(json.stdout).policies[0];
    expect(p).toMatchObject({ rejected: 2, completed: 0, ttftSeconds: null, latencySeconds: null });
    expect(p.gapToLowerBound).toBeNull();
    expect(p.notes).toEqual([
      "ttftSeconds, tpotSeconds and latencySeconds are null: no request was served",
      "gapToLowerBound is null: 2 request(s) were rejected, and the bound assumes every request is served",
    ]);
    const text = await runCli(["serving", "simulate", "--trace", "r.csv", "--policy", "vllm-v0"], {
      cwd: dir,
    });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(/NaN|Infinity/);
    const row = text.stdout.split("\n").find((l) => l.startsWith("vllm-v0 "));
    expect(row?.split(/\s+/)).toEqual(["vllm-v0", "0", "0", "0", "-", "-", "-", "-", "0", "0", "2"]);
    expect(text.stdout).toContain(
      "vllm-v0: ttftSeconds, tpotSeconds and latencySeconds are null: no request was served",
    );
  });

  it("--verbose logs each policy's iterations, events and events/s", async () => {
    const dir = await folder();
    await smallTrace(dir);
    const r = await runCli(
      ["serving", "compare", "--trace", "t.csv", "--policies", "orca,hybrid", "--verbose"],
      {
        cwd: dir,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^orca: simulating$/m);
    expect(r.stderr).toMatch(/^orca: \d+ iterations, \d+ events in [\d.]+ s \(\d+ events\/s\)$/m);
    expect(r.stderr).toMatch(/^hybrid: \d+ iterations/m);
  });
});

describe("frugal serving errors", () => {
  // The library pins the text of the errors it raises (test/serving/presets.test.ts); these check
  // that the CLI shows them as one line with the right exit code.
  const cases: [string, string[], number, string][] = [
    [
      "no workload",
      ["serving", "compare"],
      2,
      "frugal: error: --trace: no workload given; pass --trace FILE or --preset gsm8k-llama65b",
    ],
    [
      "unknown policy",
      ["serving", "simulate", "--preset", "gsm8k-llama65b", "--policy", "fifo"],
      2,
      'frugal: error: --policy: "fifo" is not one of vllm-v0, vllm-v1, orca, hybrid; run `frugal serving simulate --help` for usage',
    ],
    [
      "a policy list with an unknown name",
      ["serving", "compare", "--preset", "gsm8k-llama65b", "--policies", "orca,fifo"],
      2,
      'frugal: error: --policies: "orca,fifo" has "fifo", which is not one of vllm-v0, vllm-v1, orca, hybrid; run `frugal serving compare --help` for usage',
    ],
    [
      "unknown parameter",
      ["serving", "compare", "--preset", "gsm8k-llama65b", "--param", "hybrid.bogus=1"],
      2,
      'frugal: error: --param hybrid: Unrecognized key: "bogus"; hybrid takes lambda, order, packingTimeLimit, maxBinaries, packing, insertion, rule, select, window, tail, steal',
    ],
    [
      "unknown profile name",
      ["serving", "compare", "--preset", "gsm8k-llama65b", "--profile", "llama7b"],
      2,
      'frugal: error: --profile: unknown profile "llama7b"; use one of llama65b',
    ],
  ];
  for (const [label, args, code, line] of cases)
    it(`${label}: exit ${code} with one line`, async () => {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr.trim()).toBe(line);
      expect(r.stdout).toBe("");
    });

  it("both --preset and --trace: a usage error", async () => {
    const r = await runCli(["serving", "compare", "--preset", "gsm8k-llama65b", "--trace", "t.csv"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "frugal: error: --preset: cannot be used with --trace; run `frugal serving compare --help` for usage\n",
    );
  });

  it("a malformed trace row exits 1 naming file and line", async () => {
    const dir = await folder();
    await writeFile(join(dir, "bad.csv"), "arrival_s,prompt_tokens,output_tokens\n0,10,5\n1,0,5\n");
    const r = await runCli(["serving", "simulate", "--trace", "bad.csv", "--policy", "orca"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      "frugal: error: bad.csv: line 3: prompt_tokens 0 is not positive; every request needs ≥ 1 prompt and ≥ 1 output token",
    );
  });
});

describe("frugal serving fit / trace", () => {
  it("fit reads quoted CSV fields and writes the fitted profile", async () => {
    const dir = await folder();
    const rows = ["phase,batch,tokens,seconds", "# measured by hand"];
    for (const b of [1, 2, 4, 8]) {
      rows.push(`"prefill",${b},${100 * b},${0.05 + 2e-4 * 100 * b}`);
      rows.push(`"decode",${b},"${500 * b}",${0.04 + 1e-4 * b + 1e-6 * 500 * b}`);
    }
    await writeFile(join(dir, "m.csv"), `${rows.join("\r\n")}\r\n`);
    const r = await runCli(["serving", "fit", "--input", "m.csv", "--out", "p.json", "--json", "--quiet"], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.prefill.rows).toBe(4);
    expect(j.decode.r2).toBeGreaterThan(0.999);
    const written = JSON.parse(readFileSync(join(dir, "p.json"), "utf8"));
    expect(written).toEqual(j.profile);
    expect(written.client.maxBatchSize).toBe(16); // from the default base profile
  });

  it("trace synthetic writes a seeded trace that simulate reads back", async () => {
    const dir = await folder();
    const r = await runCli(
      [
        "serving",
        "trace",
        "synthetic",
        "--requests",
        "50",
        "--rate",
        "5",
        "--seed",
        "7",
        "--out",
        "s.csv",
        "--json",
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ out: "s.csv", requests: 50 });
    expect(existsSync(join(dir, "s.csv"))).toBe(true);
    const sim = await runCli(["serving", "simulate", "--trace", "s.csv", "--policy", "vllm-v1", "--json"], {
      cwd: dir,
    });
    expect(sim.code, sim.stderr).toBe(0);
    expect(JSON.parse(sim.stdout).policies[0]).toMatchObject({ requests: 50, completed: 50 });
  });
});

describe("start-up", () => {
  it("loads llama-tokenizer-js only when a GSM8K trace is built", async () => {
    // A module-resolution hook (node:module register) reports every module the CLI imports on stderr.
    const dir = await folder();
    const hook = join(dir, "hook.mjs");
    await writeFile(
      hook,
      'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write("LOADED " + r.url + "\\n"); return r; }\n',
    );
    const reg = join(dir, "register.mjs");
    await writeFile(
      reg,
      `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hook).href)});\n`,
    );
    const bin = fileURLToPath(new URL("../../bin/frugal.js", import.meta.url));
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--import", pathToFileURL(reg).href, bin, ...args], {
        cwd: dir,
        encoding: "utf8",
      });

    const failed = run(["serving", "trace", "gsm8k", "--input", "missing.jsonl", "--out", "g.csv"]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/LOADED .*dist\/serving\/index\.js/);
    expect(failed.stderr).not.toMatch(/llama-tokenizer/);

    await writeFile(join(dir, "t.jsonl"), `${JSON.stringify({ question: "1+1?", answer: "2 #### 2" })}\n`);
    const built = run(["serving", "trace", "gsm8k", "--input", "t.jsonl", "--out", "g.csv"]);
    expect(built.status, built.stderr).toBe(0);
    expect(built.stderr).toMatch(/LOADED .*llama-tokenizer/);
  });
});
