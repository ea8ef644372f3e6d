/** Demo section: DualPipe's reference setting (8 stages × 20 micro-batches), baselines vs the planner. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { comparisonRows, loadPreset, planTable, runPlan, scheduleHtml } from "../plan/index.js";
import { escapeHtml, htmlTable } from "../report/html.js";
import type { DemoSection } from "./section.js";

const PRESET = "dualpipe-8x20";

/** The planner's demo section: DualPipe's 8 × 20 preset, baselines vs the plan. */
export const planSection: DemoSection = {
  name: "plan",
  title: "Parallelism planning: DualPipe's 8 × 20 setting, baselines vs the planner",
  async run(ctx) {
    const p = loadPreset(PRESET);
    const options = { ...p.options, timeLimitSeconds: Math.min(p.options.timeLimitSeconds, ctx.timeLimit) };
    const run = await runPlan(p.graph, p.cluster, options, { signal: ctx.signal });
    const rows = comparisonRows(run);
    const table = planTable(rows, { greedy: "best" });
    const shown = new Set(table.rows.map((r) => r[0]));
    const limit = Math.max(...run.memoryLimitBytes);
    const { best, mip } = run;
    const files: string[] = [];
    if (best) {
      const page = scheduleHtml(
        best.graph,
        best.sim,
        best.name,
        `${PRESET}: ${p.description}`,
        limit,
        mip?.notes ?? [],
        table,
      );
      await writeFile(join(ctx.dir, "plan.html"), page);
      files.push("plan.html");
    }
    const dual = run.candidates.find((c) => c.name === "dualpipe");
    const html = `<section><h2>${escapeHtml(this.title)}</h2>
<p>${escapeHtml(p.description)}. Memory limit per device: ${limit} activations. The chosen plan's Gantt chart: <a href="plan.html">plan.html</a>.</p>
${htmlTable(table.header, table.rows, 2)}
<p class="note">Lower bound ${mip?.lowerBound ?? "–"}; the planner's status: ${escapeHtml(mip?.status ?? "not run")}${mip?.optimalFor ? ` (${escapeHtml(mip.optimalFor)})` : ""}; the plan comes from ${escapeHtml(mip?.planFrom ?? "the best candidate")}.</p></section>`;
    return {
      summary: [
        `DualPipe makespan ${dual?.sim.makespan ?? "-"} (bubble ${dual?.sim.bubbleMax ?? "-"}), plan ${best?.sim.makespan ?? "-"} (bubble ${best?.sim.bubbleMax ?? "-"}) at peak memory ${best?.sim.peakMemoryBytes ?? "-"} ≤ ${limit}`,
        `lower bound ${mip?.lowerBound ?? "-"}, status ${mip?.status ?? "-"}${mip?.optimalFor ? ` (${mip.optimalFor})` : ""}`,
      ],
      html,
      json: {
        preset: PRESET,
        memoryLimit: limit,
        schedules: rows
          .filter((r) => shown.has(r.name))
          .map((r) => ({
            name: r.name,
            makespan: r.makespanSeconds,
            bubbleMax: r.bubbleMaxSeconds,
            peakMemory: r.peakMemoryMaxBytes,
          })),
        plan: best ? { name: best.name, makespan: best.sim.makespan, bubbleMax: best.sim.bubbleMax } : null,
        mip: mip
          ? {
              status: mip.status,
              optimalFor: mip.optimalFor,
              planFrom: mip.planFrom,
              lowerBound: mip.lowerBound,
              gap: mip.gap,
              seconds: mip.seconds,
            }
          : null,
      },
      files,
    };
  },
};
