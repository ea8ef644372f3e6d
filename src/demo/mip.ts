/** Demo section: the MIP engine solves a 3×3 job-shop (disjunctive MIP), drawn as a Gantt chart. */

import { buildJobShop, DEMO_JOBSHOP, type JobShop } from "../mip/examples/jobshop.js";
import { solveModel } from "../mip/index.js";
import { GANTT_CSS, type GanttOptions, ganttSvg, legendHtml } from "../report/gantt.js";
import { escapeHtml, htmlTable, PALETTE } from "../report/html.js";
import type { DemoSection } from "./section.js";

interface Bar {
  job: number;
  op: number;
  machine: number;
  start: number;
  end: number;
}

/** The MIP engine's demo section: a 3×3 job-shop solved by HiGHS, drawn as a Gantt chart. */
export const mipSection: DemoSection = {
  name: "mip",
  title: "MIP engine: a job-shop schedule by HiGHS",
  async run(ctx) {
    const inst = DEMO_JOBSHOP;
    const { model, start } = buildJobShop(inst);
    const r = await solveModel(model, { timeLimit: ctx.timeLimit, signal: ctx.signal });
    const values = r.values;
    const bars: Bar[] = values
      ? inst.jobs.flatMap((ops, j) =>
          ops.map(([machine, d], k) => {
            const s = values[start[j]?.[k] ?? -1] ?? 0;
            return { job: j, op: k, machine, start: s, end: s + d };
          }),
        )
      : [];
    const machines = Math.max(...inst.jobs.flat().map(([m]) => m)) + 1;
    const chart = jobShopGantt(inst, bars, machines);
    const html = `<section><h2>${escapeHtml(this.title)}</h2>
<p>${inst.jobs.length} jobs on ${machines} machines; ${model.numVars} variables (${model.numIntegers} binary), ${model.numConstraints} constraints.</p>
${htmlTable(["status", "makespan", "bound", "gap", "seconds", "solver"], [[r.status, r.objective, r.bound, r.gap, r.seconds, r.solver]])}
<style>${GANTT_CSS}</style>${legendHtml(chart)}${ganttSvg(chart)}</section>`;
    return {
      summary: [
        `job-shop 3×3: ${r.status}, makespan ${fmt(r.objective)} (bound ${fmt(r.bound)}) in ${r.seconds.toFixed(2)} s`,
      ],
      html,
      json: {
        instance: inst.name,
        status: r.status,
        objective: r.objective,
        bound: r.bound,
        gap: r.gap,
        seconds: r.seconds,
        schedule: bars,
        solver: r.solver,
      },
      files: [],
    };
  },
};

/** Machines as rows, one bar per operation coloured by job. */
function jobShopGantt(inst: JobShop, bars: readonly Bar[], machines: number): GanttOptions {
  return {
    rows: Array.from({ length: machines }, (_, m) => ({
      name: `machine ${m}`,
      bars: bars
        .filter((b) => b.machine === m)
        .map((b) => ({
          start: b.start,
          end: b.end,
          label: `J${b.job}.${b.op}`,
          category: `job${b.job}`,
          title: `job ${b.job} op ${b.op}: ${fmt(b.start)}–${fmt(b.end)}`,
        })),
    })),
    categories: inst.jobs.map((_, j) => ({
      name: `job${j}`,
      color: PALETTE[j % PALETTE.length] ?? "#999",
      label: `job ${j}`,
    })),
    width: 640,
  };
}

/** Solver values carry feasibility-tolerance noise (10.999999); show six significant digits. */
function fmt(v: number | null): string {
  return v === null ? "-" : String(Number(v.toPrecision(6)));
}
