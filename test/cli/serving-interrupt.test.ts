/**
 * Ctrl-C in `frugal serving` on real child processes: SIGINT, SIGTERM and a double SIGINT, with the
 * exit code, stdout and the output folder checked afterwards. Signals are sent when stderr shows
 * that a given policy (or case) has started on a trace of 1,500 Azure-sized requests, whose runs
 * take seconds each: none can finish in the milliseconds the signal takes to arrive, so nothing
 * depends on the machine's speed.
 */
import { readdirSync, readFileSync, watch } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { chromeTraceProblems } from "../../src/report/chrome-trace.js";
import { lognormalTrace, traceToCsv } from "../../src/serving/index.js";
import { parseCsv } from "../../src/util/csv.js";
import { spawnCli } from "../helpers/cli.js";

let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "frugal-serving-int-"));
  const t = lognormalTrace({
    requests: 1500,
    ratePerSecond: 4,
    promptMedian: 1000,
    outputMedian: 200,
    seed: 3,
  });
  await writeFile(join(dir, "big.csv"), traceToCsv(t));
});

async function outDir(): Promise<string> {
  return mkdtemp(join(dir, "out-"));
}

const temps = (d: string) => readdirSync(d).filter((f) => f.includes(".tmp-"));
const outputs = (d: string) => [
  "--requests-csv",
  join(d, "r.csv"),
  "--chrome-trace",
  join(d, "c.json"),
  "--report",
  join(d, "r.html"),
];

describe("serving: Ctrl-C", () => {
  it("compare: SIGINT during the second policy reports the first (status interrupted), writes only it, exits 130", async () => {
    const out = await outDir();
    const cli = spawnCli(
      [
        "serving",
        "compare",
        "--trace",
        join(dir, "big.csv"),
        "--policies",
        "orca,vllm-v0,vllm-v1",
        "--json",
        "--verbose",
        ...outputs(out),
      ],
      { timeoutMs: 120_000 },
    );
    await cli.waitForStderr(/vllm-v0: simulating/);
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/frugal: interrupted; stopping/);
    const doc = JSON.parse(r.stdout);
    expect(doc.status).toBe("interrupted");
    const [orca, v0, v1] = doc.policies;
    expect(orca).toMatchObject({ name: "orca", status: "completed", requests: 1500 });
    expect(orca.completed + orca.rejected).toBe(1500);
    expect(orca.makespanSeconds).toBeGreaterThan(0);
    for (const [p, name] of [
      [v0, "vllm-v0"],
      [v1, "vllm-v1"],
    ] as const) {
      expect(p).toMatchObject({ name, status: "interrupted", makespanSeconds: null, gapBreakdown: null });
      expect(Object.keys(p).sort()).toEqual(Object.keys(orca).sort());
    }
    expect(v0.notes[0]).toMatch(/^vllm-v0: interrupted after [\d.]+ s of simulation/);
    expect(v1.notes[0]).toMatch(/^vllm-v1: not started/);
    // Files hold the finished policy only, complete and parseable.
    expect(temps(out)).toEqual([]);
    const rows = parseCsv(readFileSync(join(out, "r.csv"), "utf8"));
    expect(rows).toHaveLength(1501);
    expect(new Set(rows.slice(1).map((x) => x.fields[1]))).toEqual(new Set(["orca"]));
    const trace = JSON.parse(readFileSync(join(out, "c.json"), "utf8"));
    expect(chromeTraceProblems(trace)).toEqual([]);
    expect(trace.traceEvents.find((e: { name: string }) => e.name === "process_name").args.name).toBe("orca");
    const html = readFileSync(join(out, "r.html"), "utf8");
    expect(html).toContain("Interrupted: 1 of 3 policies finished");
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
  });

  it("simulate: SIGTERM while the only policy runs writes nothing and says so in one line", async () => {
    const out = await outDir();
    const cli = spawnCli(
      [
        "serving",
        "simulate",
        "--trace",
        join(dir, "big.csv"),
        "--policy",
        "hybrid",
        "--verbose",
        ...outputs(out),
      ],
      { timeoutMs: 120_000 },
    );
    await cli.waitForStderr(/hybrid: simulating/);
    cli.signal("SIGTERM");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n").at(-1)).toBe(
      "frugal: error: simulate hybrid: the operation was cancelled; no output was written",
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it("compare: a double SIGINT while the Chrome trace is written quits at once, leaving no temporary and no truncated file", async () => {
    const out = await outDir();
    const cli = spawnCli(
      [
        "serving",
        "compare",
        "--trace",
        join(dir, "big.csv"),
        "--policies",
        "orca,vllm-v0",
        "--quiet",
        ...outputs(out),
      ],
      { timeoutMs: 120_000 },
    );
    // The trace is streamed in pieces; the watcher sees its temporary the moment it is created.
    await new Promise<void>((resolve) => {
      const w = watch(out, (_event, name) => {
        if (name?.startsWith(".c.json.tmp-")) {
          w.close();
          resolve();
        }
      });
    });
    // Two signals sent back to back can merge into one pending signal: wait for the first's echo.
    cli.signal("SIGINT");
    await cli.waitForStderr(/interrupted; stopping/);
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    expect(temps(out)).toEqual([]);
    const files = readdirSync(out).sort();
    // The CSV was finished before the trace started; the trace and the report are not there.
    expect(files).toEqual(["r.csv"]);
    expect(parseCsv(readFileSync(join(out, "r.csv"), "utf8"))).toHaveLength(3001);
  });

  it("study: SIGINT after the first case reports the finished cases (status interrupted), exits 130", async () => {
    const cli = spawnCli(
      [
        "serving",
        "study",
        "--trace",
        join(dir, "big.csv"),
        "--cases",
        "40",
        "--requests-per-case",
        "1000",
        "--json",
      ],
      { timeoutMs: 120_000 },
    );
    await cli.waitForStderr(/study: 1\/40/);
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.status).toBe("interrupted");
    expect(doc.casesRequested).toBe(40);
    expect(doc.cases.length).toBeGreaterThanOrEqual(1);
    expect(doc.cases.length).toBeLessThan(40);
    expect(doc.notes.at(-1)).toMatch(/^interrupted after \d+ of 40 cases/);
    expect(Number.isFinite(doc.utilizationGainPoints.mean)).toBe(true);
  });
});
