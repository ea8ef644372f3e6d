/**
 * `frugal demo` is a list of sections, one per capability, each running a built-in example offline
 * and contributing a summary, a part of the HTML report, a JSON record and optional files.
 */
import type { OnProgress } from "../util/progress.js";

export interface DemoContext {
  /** The (temporary) output folder; write extra files here. */
  dir: string;
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Seconds the section may spend in solvers. */
  timeLimit: number;
}

export interface DemoOutcome {
  /** Lines for the terminal summary. */
  summary: string[];
  /** An HTML fragment for the report (a <section>). */
  html: string;
  /** The section's machine-readable result. */
  json: unknown;
  /** Files the section wrote, relative to the output folder. */
  files: string[];
}

export interface DemoSection {
  name: string;
  title: string;
  run(ctx: DemoContext): Promise<DemoOutcome>;
}
