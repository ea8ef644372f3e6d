/** `frugal demo`: every capability's built-in example, offline, into one folder with an HTML report. */
export { type DemoOptions, type DemoResult, demoSections, runDemo } from "./run.js";
export type { DemoContext, DemoOutcome, DemoSection } from "./section.js";
