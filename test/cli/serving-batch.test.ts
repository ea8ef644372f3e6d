/**
 * `frugal serving batch` as a user runs it: the built CLI in a child process against the loopback
 * continuous-batching emulator (test/helpers/batching-server.ts), a TEST DOUBLE for real
 * OpenAI-compatible servers. Kill and resume, Ctrl-C, the dry run, bad input, --help.
 * Signals are sent when the results file holds a few lines of a batch whose remaining requests need
 * hundreds of emulated steps, so no assertion depends on the machine's speed.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type BatchingServer, startBatchingServer } from "../helpers/batching-server.js";
import { runCli, spawnCli } from "../helpers/cli.js";

let dir = "";
const servers: BatchingServer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "frugal-batch-cli-"));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(stepMs: number): Promise<BatchingServer> {
  const s = await startBatchingServer({ stepMs, perRequestMs: 0, maxBatch: 8 });
  servers.push(s);
  return s;
}

let n = 0;
async function batchFile(count: number, maxTokens: (k: number) => number): Promise<string> {
  const f = join(dir, `in-${++n}.jsonl`);
  const lines = Array.from({ length: count }, (_, k) =>
    JSON.stringify({
      custom_id: `q${k}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "m", messages: [{ role: "user", content: `q${k}` }], max_tokens: maxTokens(k) },
    }),
  );
  await writeFile(f, `${lines.join("\n")}\n`);
  return f;
}

const linesOf = (f: string) =>
  existsSync(f)
    ? readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
    : [];
/** Complete lines only (a killed run may leave a torn last line, which the next run repairs). */
const idsOf = (f: string) =>
  readFileSync(f, "utf8")
    .split("\n")
    .slice(0, -1)
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);

async function waitForLines(f: string, k: number): Promise<void> {
  for (let i = 0; i < 6000 && linesOf(f).length < k; i++) await new Promise((r) => setTimeout(r, 10));
}

describe("serving batch CLI (against the loopback emulator, a test double)", () => {
  it("resumes after a kill: every custom_id once in the results file", async () => {
    const s = await serve(10);
    // 3 in flight, 30 requests of 15–25 tokens: about 10 waves of ≥ 150 ms of emulated steps
    const input = await batchFile(30, (k) => 15 + ((k * 7) % 11));
    const out = join(dir, "killed.jsonl");
    const args = ["serving", "batch", input, "--endpoint", s.url, "--out", out, "--max-concurrency", "3"];
    const first = spawnCli(args);
    await waitForLines(out, 4);
    first.signal("SIGKILL");
    const killed = await first.done;
    expect(killed.code).toBe(137);
    const before = idsOf(out).length;
    expect(before).toBeGreaterThanOrEqual(4);
    expect(before).toBeLessThan(30);
    const second = await runCli([...args, "--json"]);
    expect(second.code, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout);
    expect(summary.status).toBe("completed");
    // progress on stderr: done/total, failed, in flight (and an ETA while running)
    expect(second.stderr).toMatch(/batch: \d+\/\d+ 0 failed, \d+ in flight/);
    expect(summary.requests.alreadyDone).toBe(before);
    expect(summary.requests.succeeded).toBe(30 - before);
    const ids = idsOf(out);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(summary.predicted.makespanSeconds).toBeGreaterThan(0);
    expect(summary.measured.endpoints).toHaveLength(1);
  });

  it("Ctrl-C stops sending, waits for the requests in flight, leaves a valid file and exits 130", async () => {
    const s = await serve(10);
    const input = await batchFile(30, (k) => 15 + ((k * 7) % 11));
    const out = join(dir, "interrupted.jsonl");
    const report = join(dir, "interrupted.html");
    const cli = spawnCli([
      "serving",
      "batch",
      input,
      "--endpoint",
      s.url,
      "--out",
      out,
      "--max-concurrency",
      "3",
      "--json",
      "--report",
      report,
    ]);
    await waitForLines(out, 3);
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted; no new requests are sent/);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe("interrupted");
    expect(summary.requests.cancelled).toBe(0);
    const ids = idsOf(out);
    expect(ids.length).toBe(summary.requests.succeeded);
    expect(ids.length).toBeLessThan(30);
    expect(summary.requests.notSent).toBe(30 - ids.length);
    expect(readFileSync(out, "utf8").endsWith("\n")).toBe(true);
    expect(readFileSync(report, "utf8")).toMatch(/<svg/);
  });

  it("--dry-run plans without sending; bad input is one error line naming the file and line", async () => {
    const s = await serve(5);
    const input = await batchFile(12, (k) => 5 + k);
    const out = join(dir, "dry.jsonl");
    const dry = await runCli([
      "serving",
      "batch",
      input,
      "--endpoint",
      s.url,
      "--out",
      out,
      "--dry-run",
      "--json",
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan.requests.toSend).toBe(12);
    expect(plan.endpoints[0].queued).toBe(12);
    expect(plan.predictedMakespanSeconds).toBeGreaterThan(0);
    expect(s.served).toHaveLength(0);
    expect(existsSync(out)).toBe(false);

    const bad = join(dir, "bad.jsonl");
    await writeFile(
      bad,
      `${JSON.stringify({ custom_id: "a", method: "POST", url: "/v1/completions", body: { model: "", prompt: "x" } })}\n`,
    );
    const r = await runCli(["serving", "batch", bad, "--endpoint", s.url, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.jsonl: line 1: body\.model/);
    const noEndpoint = await runCli(["serving", "batch", input, "--out", out, "--endpoint", "not a url"]);
    expect(noEndpoint.code).toBe(2);
  });

  it("the shipped example (examples/serving/gsm8k-64.jsonl) plans offline with the local tokenizer", async () => {
    const example = fileURLToPath(new URL("../../examples/serving/gsm8k-64.jsonl", import.meta.url));
    const out = join(dir, "example.jsonl");
    const args = ["serving", "batch", example, "--endpoint", "http://127.0.0.1:9/v1", "--out", out];
    const dry = await runCli([...args, "--tokenizer", "local", "--dry-run", "--json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan.requests.toSend).toBe(64);
    expect(plan.predictedMakespanSeconds).toBeGreaterThan(0);
    expect(existsSync(out)).toBe(false);
  });

  it("--help shows examples", async () => {
    const r = await runCli(["serving", "batch", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/--max-concurrency/);
    expect(r.stdout).toMatch(/--dry-run/);
  });
});
