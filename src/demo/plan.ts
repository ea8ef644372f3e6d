/** Demo section: DualPipe's reference setting (8 stages × 20 micro-batches), baselines vs the planner. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadPreset, runPlan, scheduleHtml } from "../plan/index.js";
import { escapeHtml, htmlTable } from "../report/html.js";
import type { DemoSection } from "./section.js";

const PRESET = "dualpipe-8x20";

/** The planner's demo section: DualPipe's 8 × 20 preset, baselines vs the plan. */
export const planSection: DemoSection = {
  name: "plan",
  title: "Parallelism planning: DualPipe's 8 × 20 setting, baselines vs the planner",
  async run(ctx) {
    const p = loadPreset(PRESET);
    const run = await runPlan(
      p.graph,
      p.cluster,
      { ...p.options, timeLimitSeconds: Math.min(p.options.timeLimitSeconds, ctx.timeLimit) },
      { signal: ctx.signal },
    );
    const shown = run.candidates.filter((c) => c.kind !== "greedy" || c === run.best);
    const limit = Math.max(...run.memoryLimitBytes);
    const rows = shown.map((c) => [
      c.name,
      c.sim.makespan,
      c.sim.bubbleMax,
      c.sim.peakMemoryBytes,
      c.sim.peakMemoryBytes <= limit + 1e-9 ? "yes" : "no",
      c.formula ?? "",
    ]);
    const files: string[] = [];
    if (run.best) {
      await writeFile(
        join(ctx.dir, "plan.html"),
        scheduleHtml(
          run.best.graph,
          run.best.sim,
          run.best.name,
          `${PRESET}: ${p.description}`,
          limit,
          run.mip?.notes ?? [],
        ),
      );
      files.push("plan.html");
    }
    const dual = run.candidates.find((c) => c.name === "dualpipe");
    const best = run.best;
    const html = `<section><h2>${escapeHtml(this.title)}</h2>
<p>${escapeHtml(p.description)}. Memory limit per device: ${limit} activations. The chosen plan's Gantt chart: <a href="plan.html">plan.html</a>.</p>
${htmlTable(["schedule", "makespan", "bubble (max per device)", "peak memory", "fits", "closed-form bubble"], rows, 2)}
<p class="note">Lower bound ${run.mip?.lowerBound ?? "–"}; the planner's status: ${escapeHtml(run.mip?.status ?? "not run")}.</p></section>`;
    return {
      summary: [
        `DualPipe makespan ${dual?.sim.makespan ?? "-"} (bubble ${dual?.sim.bubbleMax ?? "-"}), plan ${best?.sim.makespan ?? "-"} (bubble ${best?.sim.bubbleMax ?? "-"}) at peak memory ${best?.sim.peakMemoryBytes ?? "-"} ≤ ${limit}`,
        `lower bound ${run.mip?.lowerBound ?? "-"}, status ${run.mip?.status ?? "-"}`,
      ],
      html,
      json: {
        preset: PRESET,
        memoryLimit: limit,
        schedules: shown.map((c) => ({
          name: c.name,
          makespan: c.sim.makespan,
          bubbleMax: c.sim.bubbleMax,
          peakMemory: c.sim.peakMemoryBytes,
        })),
        plan: best ? { name: best.name, makespan: best.sim.makespan, bubbleMax: best.sim.bubbleMax } : null,
        mip: run.mip
          ? {
              status: run.mip.status,
              lowerBound: run.mip.lowerBound,
              gap: run.mip.gap,
              seconds: run.mip.seconds,
            }
          : null,
      },
      files,
    };
  },
};
