/**
 * Ctrl-C on `frugal plan` as a real child process: the signal is sent once the MIP planner has
 * reported progress (its window search runs far longer than the test waits: a 600 s time limit),
 * so no assertion depends on how fast the machine is. The plan is the best one so far, status
 * `interrupted`, written atomically; exit 130. A second signal exits 130 at once and leaves no
 * temporary file.
 */
import { readdirSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnCli } from "../helpers/cli.js";

const LONG = ["--preset", "dualpipe-8x20-overlap", "--time-limit", "600"];
/** A progress line of the MIP planner (a window round, or the whole model's incumbent). */
const MIP_PROGRESS = /\nmip: \d+\/\d+ /;

describe("Ctrl-C in plan", () => {
  it("solve: SIGINT during the MIP writes the best plan so far (status interrupted) and exits 130", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-int-"));
    const out = join(dir, "plan.json");
    const trace = join(dir, "trace.json");
    const cli = spawnCli(["plan", "solve", ...LONG, "--out", out, "--trace", trace, "--json"], {
      timeoutMs: 120_000,
    });
    await cli.waitForStderr(MIP_PROGRESS);
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.status).toBe("interrupted");
    expect(doc.mip.status).toBe("interrupted");
    expect(doc.written).toEqual([out, trace]);
    const plan = JSON.parse(await readFile(out, "utf8"));
    expect(plan.status).toBe("interrupted");
    // never worse than the warm start it began from
    expect(plan.schedule.summary.makespanSeconds).toBeLessThanOrEqual(plan.mip.warmStartMakespanSeconds);
    JSON.parse(await readFile(trace, "utf8"));
    expect(readdirSync(dir).sort()).toEqual(["plan.json", "trace.json"]);
  }, 120_000);

  it("compare: SIGTERM during the MIP prints the comparison so far with status interrupted, exits 130", async () => {
    const cli = spawnCli(["plan", "compare", ...LONG, "--json"], { timeoutMs: 120_000 });
    await cli.waitForStderr(MIP_PROGRESS);
    cli.signal("SIGTERM");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.status).toBe("interrupted");
    expect(doc.mip.status).toBe("interrupted");
    expect(doc.schedules.some((s: { kind: string }) => s.kind === "mip")).toBe(true);
  }, 120_000);

  it("solve: a second Ctrl-C exits 130 at once; no temporary file is left, any output is complete", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-int-"));
    const out = join(dir, "plan.json");
    const html = join(dir, "plan.html");
    const cli = spawnCli(["plan", "solve", ...LONG, "--out", out, "--html", html], { timeoutMs: 120_000 });
    await cli.waitForStderr(MIP_PROGRESS);
    cli.signal("SIGINT");
    // Unix merges a signal sent while the same one is pending: send the second after the first is handled.
    await cli.waitForStderr(/interrupted; stopping/);
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    const left = readdirSync(dir);
    expect(left.filter((f) => f.includes(".tmp-"))).toEqual([]);
    if (left.includes("plan.json"))
      expect(JSON.parse(await readFile(out, "utf8")).status).toBe("interrupted");
    if (left.includes("plan.html")) expect(await readFile(html, "utf8")).toMatch(/<\/html>\s*$/);
  }, 120_000);
});
