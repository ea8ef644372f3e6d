/** Runs every demo section into one output folder (written atomically) with an HTML report. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { throwIfAborted } from "../errors/index.js";
import { htmlPage } from "../report/html.js";
import { writeFolderAtomic } from "../util/files.js";
import type { OnProgress } from "../util/progress.js";
import { frugalVersion } from "../util/version.js";
import { mergeSection } from "./merge.js";
import { mipSection } from "./mip.js";
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
  mergeSection,
];

export interface DemoOptions {
  out: string;
  force?: boolean;
  only?: string[];
  timeLimit?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

export interface DemoResult {
  out: string;
  sections: {
    name: string;
    title: string;
    seconds: number;
    summary: string[];
    result: unknown;
    files: string[];
  }[];
  report: string;
  version: string;
}

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
