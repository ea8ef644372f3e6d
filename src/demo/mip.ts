/** Demo section: the MIP engine solves a 3×3 job-shop (disjunctive MIP). */

import { buildJobShop, DEMO_JOBSHOP } from "../mip/examples/jobshop.js";
import { solveModel } from "../mip/index.js";
import { escapeHtml, htmlTable, PALETTE } from "../report/html.js";
import type { DemoSection } from "./section.js";

/** The MIP engine's demo section: a 3×3 job-shop solved by HiGHS. */
export const mipSection: DemoSection = {
  name: "mip",
  title: "MIP engine: a job-shop schedule by HiGHS",
  async run(ctx) {
    const inst = DEMO_JOBSHOP;
    const { model, start, makespan } = buildJobShop(inst);
    const r = await solveModel(model, { timeLimit: ctx.timeLimit, signal: ctx.signal });
    const bars: { job: number; op: number; machine: number; start: number; end: number }[] = [];
    if (r.values)
      inst.jobs.forEach((ops, j) =>
        ops.forEach(([machine, d], k) => {
          const s = r.values![start[j]![k]!]!;
          bars.push({ job: j, op: k, machine, start: s, end: s + d });
        }),
      );
    const C = r.values ? r.values[makespan]! : null;
    const machines = Math.max(...inst.jobs.flat().map(([m]) => m)) + 1;
    const scale = 60;
    const width = (C ?? 1) * scale + 110;
    const svg = `<svg width="${width}" height="${machines * 34 + 30}" role="img" aria-label="job-shop schedule">
${bars
  .map(
    (b) =>
      `<rect class="bar" x="${70 + b.start * scale}" y="${b.machine * 34 + 4}" width="${(b.end - b.start) * scale - 2}" height="28" fill="${PALETTE[b.job % PALETTE.length]}"><title>job ${b.job} op ${b.op}: ${b.start}–${b.end}</title></rect><text x="${74 + b.start * scale}" y="${b.machine * 34 + 23}" fill="#fff" font-size="12">J${b.job}.${b.op}</text>`,
  )
  .join("\n")}
${Array.from({ length: machines }, (_, m) => `<text x="4" y="${m * 34 + 23}" font-size="12">machine ${m}</text>`).join("")}
<text x="70" y="${machines * 34 + 22}" font-size="11" fill="#666">0</text><text x="${70 + (C ?? 0) * scale - 10}" y="${machines * 34 + 22}" font-size="11" fill="#666">${C ?? ""}</text>
</svg>`;
    const html = `<section><h2>${escapeHtml(this.title)}</h2>
<p>${inst.jobs.length} jobs on ${machines} machines; ${model.numVars} variables (${model.numIntegers} binary), ${model.numConstraints} constraints.</p>
${htmlTable(["status", "makespan", "bound", "gap", "seconds", "solver"], [[r.status, r.objective, r.bound, r.gap, r.seconds, r.solver]])}
${svg}</section>`;
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

/** Solver values carry feasibility-tolerance noise (10.999999); show six significant digits. */
function fmt(v: number | null): string {
  return v === null ? "-" : String(Number(v.toPrecision(6)));
}
