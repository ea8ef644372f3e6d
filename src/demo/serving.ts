/** Demo section: the gsm8k-llama65b serving preset, every policy against the lower bound. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { throwIfAborted } from "../errors/index.js";
import { escapeHtml, htmlTable } from "../report/html.js";
import { comparePolicies, loadPreset, servingReportHtml } from "../serving/index.js";
import type { DemoSection } from "./section.js";

/** The serving demo section: the gsm8k-llama65b preset, every policy against the lower bound. */
export const servingSection: DemoSection = {
  name: "serving",
  title: "Serving: GSM8K on LLaMA-65B, vLLM-style baselines vs the hybrid method",
  async run(ctx) {
    const p = loadPreset("gsm8k-llama65b");
    const r = await comparePolicies(p.trace, p.profile, {
      clients: p.spec.clients,
      policyParams: p.spec.policyParams,
      packingTimeLimit: Math.min(10, ctx.timeLimit),
      signal: ctx.signal,
    });
    // A demo that was interrupted writes nothing (the comparison keeps finished policies; the demo does not).
    if (r.status === "interrupted") throwIfAborted(ctx.signal, "demo");
    await writeFile(
      join(ctx.dir, "serving.html"),
      servingReportHtml(r, { title: "Serving: gsm8k-llama65b" }),
    );
    const rows = r.policies.map((x) => [
      x.name,
      x.metrics.makespanSeconds,
      100 * x.metrics.slotUtilization,
      100 * x.metrics.busyUtilization,
      x.metrics.gapToLowerBound === null ? null : 100 * x.metrics.gapToLowerBound,
    ]);
    const html = `<section><h2>${escapeHtml(this.title)}</h2>
<p>${r.requests} requests on ${r.clients} clients (profile ${escapeHtml(r.profile)}); lower bound ${r.lowerBound.seconds.toFixed(2)} s.
Full report with utilization timelines and latency CDFs: <a href="serving.html">serving.html</a>.</p>
${htmlTable(["policy", "makespan s", "slot util %", "busy util %", "gap to bound %"], rows, 2)}
<p class="note">The baseline's 201 s / 80% are calibrated to the paper; the hybrid policy's numbers under the same profile are the prediction.</p></section>`;
    const by = (n: string) => r.policies.find((x) => x.name === n)?.metrics;
    const v0 = by("vllm-v0");
    const hy = by("hybrid");
    return {
      summary: r.policies.map(
        (x) =>
          `${x.name.padEnd(8)} makespan ${x.metrics.makespanSeconds.toFixed(1)} s, slot utilization ${(100 * x.metrics.slotUtilization).toFixed(1)}%`,
      ),
      html,
      json: {
        preset: "gsm8k-llama65b",
        lowerBoundSeconds: r.lowerBound.seconds,
        policies: r.policies.map((x) => x.metrics),
        hybridGainPoints: v0 && hy ? 100 * (hy.slotUtilization - v0.slotUtilization) : null,
      },
      files: ["serving.html"],
    };
  },
};
