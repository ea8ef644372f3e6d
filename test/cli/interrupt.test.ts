/**
 * Ctrl-C on real child processes: the CLI is spawned, SIGINT/SIGTERM are sent to it, and the exit
 * code, stdout and the output folder are checked afterwards. The signals are sent while the work is
 * certainly in progress (a job shop HiGHS cannot prove within minutes; the demo's temporary folder
 * on disk), so no assertion depends on how fast the machine is.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildJobShop } from "../../src/mip/examples/jobshop.js";
import { toLpText } from "../../src/mip/lp-writer.js";
import { mulberry32 } from "../../src/util/random.js";
import { spawnCli } from "../helpers/cli.js";

/** A 12 × 6 job shop: thousands of big-M rows, far from proven in the few seconds the test waits. */
function hardJobShopLp(): string {
  const rand = mulberry32(11);
  const jobs = Array.from({ length: 12 }, () => {
    const machines = [0, 1, 2, 3, 4, 5].sort(() => rand() - 0.5);
    return machines.map((m) => [m, 1 + Math.floor(rand() * 9)] as [number, number]);
  });
  return toLpText(buildJobShop({ name: "hard", jobs }).model).text;
}

async function waitForTemp(dir: string, prefix: string): Promise<void> {
  for (;;) {
    if (readdirSync(dir).some((f) => f.startsWith(prefix))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("Ctrl-C", () => {
  it("solve: SIGINT stops HiGHS, prints the best solution so far with status interrupted, exits 130", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-int-"));
    const lp = join(dir, "hard.lp");
    await writeFile(lp, hardJobShopLp());
    const cli = spawnCli(["solve", lp, "--json"]);
    await cli.waitForStderr(/incumbent \d/);
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.status).toBe("interrupted");
    expect(doc.objective).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/frugal: interrupted; stopping/);
  });

  it("demo: SIGINT during the run writes no output folder and leaves no temporary folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-int-"));
    const cli = spawnCli(["demo", "--out", join(dir, "out")]);
    await waitForTemp(dir, ".out.tmp-");
    cli.signal("SIGINT");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      /^frugal: error: demo: the operation was cancelled; no output was written$/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("demo: a second Ctrl-C (or SIGTERM) leaves no output and no temporary folder either", async () => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      const dir = await mkdtemp(join(tmpdir(), "frugal-int-"));
      const cli = spawnCli(["demo", "--out", join(dir, "out")]);
      await waitForTemp(dir, ".out.tmp-");
      cli.signal(sig);
      // Unix merges a signal sent while the same one is pending: send the second after the first is handled.
      await cli.waitForStderr(/interrupted; stopping/);
      cli.signal(sig);
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(130);
      expect(existsSync(join(dir, "out"))).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});
