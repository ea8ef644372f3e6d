/**
 * `frugal demo` is a list of sections, one per capability, each running a built-in example offline
 * and contributing a summary, a part of the HTML report, a JSON record and optional files.
 */
import type { OnProgress } from "../util/progress.js";

/** What a demo section gets to run with. */
export interface DemoContext {
  /** The (temporary) output folder; write extra files here. */
  dir: string;
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Seconds the section may spend in solvers. */
  timeLimit: number;
}

/** What a demo section returns. */
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

/** One section of `frugal demo`: a capability's built-in example, listed in `demoSections`. */
export interface DemoSection {
  /** Short name, used by `frugal demo --only`. */
  name: string;
  /** The report heading. */
  title: string;
  /** Runs the example offline, in a few seconds. */
  run(ctx: DemoContext): Promise<DemoOutcome>;
}
