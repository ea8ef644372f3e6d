/** Exports: PyTorch compute-only CSV grammar, Chrome trace, and the HTML Gantt in headless Chromium. */
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toChromeTrace } from "../../src/plan/export/chrome-trace.js";
import { scheduleHtml } from "../../src/plan/export/html.js";
import { parseTorchCsv, TORCH_ACTION_RE, toTorchCsv } from "../../src/plan/export/torch-csv.js";
import { countActions } from "../../src/plan/schedule.js";
import { dualpipe, dualpipeV, zb1p } from "../../src/plan/schedules/index.js";
import { simulate } from "../../src/plan/simulate.js";
import { chromeTraceProblems } from "../../src/report/chrome-trace.js";
import { chain } from "./helpers.js";

describe("PyTorch torch.distributed.pipelining CSV", () => {
  it("writes one row per rank, every cell in _Action.from_str's grammar, every pass once", () => {
    const { ug, cluster } = chain({ stages: 4, microBatches: 6 });
    const s = zb1p.generate({ stages: ug, cluster }, {});
    const csv = toTorchCsv(s);
    const rows = parseTorchCsv(csv);
    expect(rows.length).toBe(4);
    rows.forEach((row, rank) => {
      for (const a of row) expect(a.stage).toBe(rank);
      for (const t of ["F", "I", "W"])
        expect(
          row
            .filter((a) => a.type === t)
            .map((a) => a.mb)
            .sort(),
        ).toEqual([0, 1, 2, 3, 4, 5]);
    });
    expect(csv.split("\n")[0]!.split(",")[0]).toBe("0F0");
  });
  it("DualPipeV (a V: two stages per rank) exports; DualPipe (one stage on two ranks) is refused with a hint", () => {
    const { ug, cluster } = chain({ stages: 8, microBatches: 20, forwardBackward: 3 });
    expect(() => toTorchCsv(dualpipe.generate({ stages: ug, cluster }, {}))).toThrow(
      /needs one rank per stage; export a schedule without duplicated stages/,
    );
    const v = chain({ stages: 8, microBatches: 10, forwardBackward: 3 }, 4);
    const rows = parseTorchCsv(toTorchCsv(dualpipeV.generate({ stages: v.ug, cluster: v.cluster }, {})));
    expect(new Set(rows[0]!.map((a) => a.stage))).toEqual(new Set([0, 7]));
  });
  it("the action regex accepts PyTorch's examples and rejects others (property)", () => {
    for (const ok of ["2F0", "1I0", "1W0", "2B3", "3SEND_F1", "1UNSHARD"])
      expect(TORCH_ACTION_RE.test(ok)).toBe(true);
    fc.assert(
      fc.property(fc.nat(99), fc.constantFrom("F", "I", "W", "B"), fc.nat(999), (st, t, mb) => {
        const [a] = parseTorchCsv(`${st}${t}${mb}\n`)[0]!;
        expect(a).toEqual({ stage: st, type: t, mb });
      }),
    );
    expect(() => parseTorchCsv("F0\n")).toThrow('torch csv: invalid action "F0"; expected e.g. 2F0');
  });
});

describe("Chrome trace", () => {
  it("has one complete event per action with pid = device and µs times", () => {
    const { ug, cluster } = chain({ stages: 4, microBatches: 8, forwardBackward: 2.5 });
    const s = dualpipe.generate({ stages: ug, cluster }, {});
    const sim = simulate(ug, cluster, s);
    const text = toChromeTrace(ug, sim, "dualpipe");
    expect(chromeTraceProblems(text)).toEqual([]);
    const t = JSON.parse(text) as {
      traceEvents: { ph: string; pid: number; ts: number; dur: number }[];
    };
    const x = t.traceEvents.filter((e) => e.ph === "X");
    expect(x.length).toBe(countActions(s));
    expect(Math.max(...x.map((e) => e.ts + e.dur))).toBeCloseTo(sim.makespan * 1e6, 3);
    expect(new Set(x.map((e) => e.pid))).toEqual(new Set([0, 1, 2, 3]));
  });
});

describe("HTML Gantt in headless Chromium", () => {
  const chromium = "/usr/bin/chromium";
  if (!existsSync(chromium))
    process.stderr.write(
      "skipping the headless-Chromium Gantt test: /usr/bin/chromium is absent (apt-get install chromium)\n",
    );
  it.skipIf(!existsSync(chromium))("renders one SVG bar per action", async () => {
    const { chromium: pw } = await import("playwright-core");
    const { ug, cluster } = chain({ stages: 8, microBatches: 20, forwardBackward: 2.5 });
    const s = dualpipe.generate({ stages: ug, cluster }, {});
    const sim = simulate(ug, cluster, s);
    const html = scheduleHtml(ug, sim, "dualpipe", "dualpipe-8x20-overlap", 9);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const dir = await mkdtemp(join(tmpdir(), "frugal-plan-"));
    const file = join(dir, "gantt.html");
    await writeFile(file, html);
    const browser = await pw.launch({
      executablePath: chromium,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1240, height: 800 } });
      await page.goto(`file://${file}`);
      expect(await page.locator("svg.gantt rect.bar").count()).toBe(countActions(s));
      expect(await page.locator("svg.gantt rect.bar[data-cat=FB]").count()).toBe(
        s.devices.flat().filter((a) => a.pass === "FB").length,
      );
      expect(await page.locator("svg.curves path.curve").count()).toBe(8);
      const shot = join(dir, "gantt.png");
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
      process.stderr.write(`plan gantt screenshot: ${shot}\n`);
    } finally {
      await browser.close();
    }
  });
});
