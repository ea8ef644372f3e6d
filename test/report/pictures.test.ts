/**
 * The pictures of src/report: one number formatter (no float noise in labels), nice ticks, CDFs that
 * show the whole range, timelines with a colour scale, Gantt legends that match the cells and a
 * memory panel with a legend and time ticks. Structure is checked in headless Chromium where it
 * matters (playwright-core driving /usr/bin/chromium, as the plan's Gantt test does).
 */
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { cdfScale } from "../../src/report/cdf.js";
import { formatNumber, formatTick, logTicks, niceTicks, stepDecimals } from "../../src/report/format.js";
import { type GanttOptions, ganttPage } from "../../src/report/gantt.js";
import {
  builtinProfile,
  comparePolicies,
  type Request,
  servingReportHtml,
  type Trace,
} from "../../src/serving/index.js";

/** Text of every SVG <text> element and table cell of a page. */
function labels(html: string): string[] {
  return [...html.matchAll(/<(?:text|td)[^>]*>([^<]*)</g)].map((m) => m[1] ?? "");
}
/** Float noise: five or more 0s then a digit, or five or more 9s, after the point. */
const FLOAT_NOISE = /\d\.\d*(?:0{5,}[1-9]|9{5,})/;

describe("number formatter and ticks", () => {
  it("shows the issue's noisy numbers as people write them", () => {
    expect(formatNumber(10.999999)).toBe("11");
    expect(formatNumber(143.65999999999997)).toBe("143.7");
    expect(formatNumber(65.200000000007)).toBe("65.2");
    expect(formatNumber(0.1 + 0.2)).toBe("0.3");
    expect(formatNumber(1234567)).toBe("1234567");
    expect(formatNumber(3.2e-7)).toBe("3.2e-7");
    expect(formatNumber(Number.NaN)).toBe("–");
  });

  it("nice ticks: steps of 1, 2 or 5 × 10^k, labels with the step's decimals and no noise (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e7, noNaN: true }),
        fc.integer({ min: 2, max: 12 }),
        (lo, span, count) => {
          const { values, step } = niceTicks(lo, lo + span, count);
          const m = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
          expect([1, 2, 5, 10].some((k) => Math.abs(m - k) < 1e-9)).toBe(true);
          expect(values.length).toBeGreaterThanOrEqual(1);
          expect(values.length).toBeLessThanOrEqual(3 * count + 2);
          for (const v of values) {
            // inside the range up to float precision (a few ulps of lo when the span is that small)
            expect(v).toBeGreaterThanOrEqual(lo - Math.max(1e-6 * step, Math.abs(lo) * 1e-15));
            const label = formatTick(v, step);
            expect((label.split(".")[1] ?? "").length).toBe(stepDecimals(step));
            expect(Math.abs(Number(label) - v)).toBeLessThanOrEqual(step * 1e-6);
          }
        },
      ),
      { numRuns: 300 },
    );
    // Found by the property: a step of 0.005 (0.004 / 2 carried float noise) had no multiple inside.
    const lo = -0.004000000005000001;
    expect(niceTicks(lo, lo + 0.004000000000000001, 2)).toEqual({ values: [-0.004, -0.002], step: 0.002 });
  });

  it("log ticks are 1, 2, 5 × 10^k inside the range", () => {
    expect(logTicks(0.3, 120)).toEqual([0.5, 1, 2, 5, 10, 20, 50, 100]);
    expect(logTicks(1e-3, 1e4)).toEqual([0.001, 0.01, 0.1, 1, 10, 100, 1000, 10000]);
  });

  it("a CDF's axis covers every sample: linear from 0 up to at least the maximum, log over wide ranges", () => {
    const body = Array.from({ length: 990 }, (_, k) => 1 + k / 990);
    const tail = [...body, ...Array.from({ length: 10 }, (_, k) => 400 + k)];
    const lin = cdfScale(Float64Array.from(body).sort());
    expect(lin.kind).toBe("linear");
    expect(lin.hi).toBeGreaterThanOrEqual(Math.max(...body));
    expect(lin.ticks.at(-1)?.value).toBe(lin.hi);
    const log = cdfScale(Float64Array.from(tail).sort());
    expect(log.kind).toBe("log");
    expect(log.hi).toBe(409);
    expect(log.lo).toBe(1);
  });
});

/** One headless Chromium for the file's tests, launched on first use and closed after them. */
let browser: import("playwright-core").Browser | null = null;
afterAll(async () => {
  await browser?.close();
});

async function withPage<T>(
  html: string,
  fn: (page: import("playwright-core").Page) => Promise<T>,
): Promise<T> {
  if (!browser) {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
      ],
    });
  }
  const dir = await mkdtemp(join(tmpdir(), "frugal-report-"));
  const file = join(dir, "page.html");
  await writeFile(file, html);
  const page = await browser.newPage({ viewport: { width: 1240, height: 900 } });
  try {
    await page.goto(`file://${file}`);
    return await fn(page);
  } finally {
    await page.close();
  }
}

const chromium = existsSync("/usr/bin/chromium");
if (!chromium)
  process.stderr.write("skipping the headless-Chromium report tests: /usr/bin/chromium is absent\n");

describe("pictures in headless Chromium", () => {
  it.skipIf(!chromium)(
    "serving report: CDF curves reach the axis's end, timelines have a colour scale, no float noise",
    async () => {
      // A short body and a long tail: one request with a long prompt and output among small ones.
      const requests: Request[] = Array.from({ length: 40 }, (_, id) => ({
        id,
        arrival: id * 0.05,
        promptTokens: id === 7 ? 1000 : 40 + ((id * 37) % 90),
        outputTokens: id === 7 ? 3000 : 10 + ((id * 13) % 30),
      }));
      const trace: Trace = { name: "tail", source: "test", requests };
      const r = await comparePolicies(trace, builtinProfile("llama65b"), {
        clients: 2,
        policies: ["vllm-v0", "hybrid"],
        policyParams: { hybrid: { packing: "lpt" } },
      });
      const html = servingReportHtml(r);
      for (const l of labels(html)) expect(l).not.toMatch(FLOAT_NOISE);
      await withPage(html, async (page) => {
        // In the page (the test's tsconfig has no DOM types, so the script is text).
        const cdfs = (await page.evaluate(`[...document.querySelectorAll("svg.cdf")].map((svg) => {
          const frame = svg.querySelector("rect");
          const right = frame.x.baseVal.value + frame.width.baseVal.value;
          const xs = [...svg.querySelectorAll("polyline.cdf")].flatMap((p) =>
            (p.getAttribute("points") || "").split(" ").map((q) => Number(q.split(",")[0])));
          return { scale: svg.getAttribute("data-scale"), right, maxX: Math.max(...xs) };
        })`)) as { scale: string; right: number; maxX: number }[];
        expect(cdfs, JSON.stringify(cdfs)).toHaveLength(3);
        for (const c of cdfs) {
          expect(c.maxX).toBeLessThanOrEqual(c.right + 0.1);
          // The tail is drawn where it is (the maximum beyond ¾ of a nice linear axis, or at a log axis's end).
          expect(c.maxX).toBeGreaterThan(c.right - 0.3 * (c.right - 44));
        }
        expect(cdfs.some((c) => c.scale === "log")).toBe(true);
        expect(await page.locator("svg.timeline g.color-scale").count()).toBe(2);
        expect(await page.locator("svg.timeline g.color-scale text").count()).toBe(2 * 6);
      });
    },
  );

  it.skipIf(!chromium)(
    "Gantt: the overlapped F&B swatch is two-tone like its cells; the memory panel has a legend and time ticks",
    async () => {
      const o: GanttOptions = {
        rows: [0, 1].map((d) => ({
          name: `device ${d}`,
          bars: [
            { start: 0, end: 1.1, label: "0", category: "F" },
            { start: 1.1, end: 2.2, label: "0|1", category: "FB", category2: "B" },
            { start: 2.2, end: 3.3000000000000003, label: "1", category: "B" },
          ],
        })),
        categories: [
          { name: "F", color: "#F4B183", label: "forward (F)" },
          { name: "B", color: "#8FAADC", label: "backward (B)" },
          { name: "FB", color: "#F4B183", label: "overlapped F&B (top F, bottom B)" },
        ],
        curves: [
          {
            name: "device 0",
            points: [
              [0, 0],
              [1.1, 65.200000000007],
              [3.3, 0],
            ],
          },
          {
            name: "device 1",
            points: [
              [0, 0],
              [2.2, 10.999999],
              [3.3, 0],
            ],
          },
        ],
        curveLabel: "live activations",
        curveLimit: 143.65999999999997,
      };
      const html = ganttPage("t", "s", "", o);
      for (const l of labels(html)) expect(l).not.toMatch(FLOAT_NOISE);
      expect(html).toContain("limit 143.7");
      await withPage(html, async (page) => {
        const background = (cat: string) =>
          page.evaluate(
            `getComputedStyle(document.querySelector('.legend i[data-cat="${cat}"]')).backgroundImage`,
          ) as Promise<string>;
        const bg = await background("FB");
        expect(bg).toMatch(/linear-gradient/);
        expect(bg).toContain("rgb(244, 177, 131)"); // F on top
        expect(bg).toContain("rgb(143, 170, 220)"); // B below, as in the cells
        expect(await background("F")).toBe("none");
        expect(await page.locator("svg.curves g.curve-legend").count()).toBe(2);
        const ticks = await page.locator("svg.curves text.tick").allTextContents();
        expect(ticks.length).toBeGreaterThanOrEqual(3);
        expect(ticks[0]).toMatch(/^0(\.0+)?$/);
        expect(await page.locator("svg.gantt text.tick").allTextContents()).toEqual(ticks);
      });
    },
  );
});
