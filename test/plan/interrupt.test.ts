/**
 * Cancelling a plan run through its AbortSignal: it stops and returns the best plan so far with
 * status `interrupted`, or throws AbortedError when it has none yet. The signal is fired from the
 * run's own progress report, so the point of the stop does not depend on the machine's speed.
 */
import { describe, expect, it } from "vitest";
import { AbortedError } from "../../src/errors/index.js";
import { loadPreset } from "../../src/plan/presets.js";
import { runPlan } from "../../src/plan/run.js";

describe("plan run cancelled", () => {
  it("before any candidate: AbortedError (nothing to report)", async () => {
    const p = loadPreset("dualpipe-8x20");
    const ac = new AbortController();
    ac.abort();
    await expect(runPlan(p.graph, p.cluster, p.options, { signal: ac.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
  });

  it("at the MIP's first progress report: the incumbent so far, status interrupted, never worse than its start", async () => {
    const p = loadPreset("dualpipe-8x20-overlap");
    const ac = new AbortController();
    const run = await runPlan(
      p.graph,
      p.cluster,
      { ...p.options, timeLimitSeconds: 600, nodeLimit: 200 },
      {
        signal: ac.signal,
        onProgress: (e) => {
          if (e.label === "mip") ac.abort();
        },
      },
    );
    expect(run.interrupted).toBe(true);
    expect(run.mip?.status).toBe("interrupted");
    expect(run.best?.kind).toBe("mip");
    expect(run.best!.sim.makespan).toBeLessThanOrEqual(run.mip!.warmStartMakespan!);
    expect(run.mip?.notes.join(" ")).toMatch(/interrupted/);
  });
});
