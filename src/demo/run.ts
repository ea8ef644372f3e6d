/** Runs every demo section into one output folder (written atomically) with an HTML report. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { throwIfAborted } from "../errors/index.js";
import { htmlPage } from "../report/html.js";
import { writeFolderAtomic } from "../util/files.js";
import type { OnProgress } from "../util/progress.js";
import { frugalVersion } from "../util/version.js";
import { formulateSection } from "./formulate.js";
import { mergeSection } from "./merge.js";
import { mipSection } from "./mip.js";
import { moleSection } from "./mole.js";
import { planSection } from "./plan.js";
import type { DemoOutcome, DemoSection } from "./section.js";
import { servingSection } from "./serving.js";
import { tensorSection } from "./tensor.js";

/** The sections, in report order. Each capability adds its own. */
export const demoSections: DemoSection[] = [
  mipSection,
  planSection,
  servingSection,
  tensorSection,
  moleSection,
  formulateSection,
  mergeSection,
];

/** Options of `runDemo`. */
export interface DemoOptions {
  /** The output folder (written atomically: complete or absent). */
  out: string;
  /** Replace an existing output folder. */
  force?: boolean;
  /** Run only these sections (by name); all when empty. */
  only?: string[];
  /** Seconds each section may spend in solvers (default 30). */
  timeLimit?: number;
  /** Cancels between sections; no folder is left at `out`. */
  signal?: AbortSignal;
  /** Called as each section starts and when all are done. */
  onProgress?: OnProgress;
}

/** What `runDemo` did: the output folder, one record per section, the report's path, the frugal version. */
export interface DemoResult {
  /** The output folder. */
  out: string;
  /** Per section: its name, title, seconds taken, summary lines, JSON result and files written. */
  sections: {
    name: string;
    title: string;
    seconds: number;
    summary: string[];
    result: unknown;
    files: string[];
  }[];
  /** The HTML report: `<out>/report.html`. */
  report: string;
  /** The frugal version that ran. */
  version: string;
}

/**
 * Runs the demo sections (every capability's built-in example, offline) into `opts.out`: an HTML
 * report, `demo.json` and each section's files, written atomically.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const chosen = opts.only?.length ? demoSections.filter((s) => opts.only!.includes(s.name)) : demoSections;
  const done: DemoResult["sections"] = [];
  const htmls: string[] = [];
  await writeFolderAtomic(
    opts.out,
    async (dir) => {
      for (const [i, s] of chosen.entries()) {
        throwIfAborted(opts.signal, "demo");
        opts.onProgress?.({ label: `demo: ${s.name}`, done: i, total: chosen.length });
        const t0 = performance.now();
        const o: DemoOutcome = await s.run({
          dir,
          signal: opts.signal,
          onProgress: opts.onProgress,
          timeLimit: opts.timeLimit ?? 30,
        });
        done.push({
          name: s.name,
          title: s.title,
          seconds: (performance.now() - t0) / 1000,
          summary: o.summary,
          result: o.json,
          files: o.files,
        });
        htmls.push(o.html);
      }
      opts.onProgress?.({ label: "demo", done: chosen.length, total: chosen.length });
      const page = htmlPage(
        {
          title: "Frugal demo",
          subtitle: `frugal ${frugalVersion()} · ${new Date().toISOString()} · built-in examples, offline`,
        },
        htmls.join("\n"),
      );
      await writeFile(join(dir, "report.html"), page);
      await writeFile(
        join(dir, "demo.json"),
        `${JSON.stringify({ version: frugalVersion(), sections: done }, null, 2)}\n`,
      );
    },
    { force: opts.force },
  );
  return { out: opts.out, sections: done, report: join(opts.out, "report.html"), version: frugalVersion() };
}
