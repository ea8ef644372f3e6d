/** The HTML report of a conversion: tables, error and rank per layer, and the spectrum of every stacked group. */
import { escapeHtml, htmlPage, htmlTable, lineChartSvg } from "../report/index.js";
import type { MoleConfig } from "./format.js";
import { KINDS } from "./layout.js";
import type { MoleReport } from "./report.js";

/** The table rows shared by the terminal, the HTML report and the demo. */
export function kindTableRows(r: MoleReport): (string | number | null)[][] {
  return r.kinds.map((k) => [
    k.name,
    k.rank,
    k.groups,
    k.paramsBefore,
    k.paramsAfter,
    Number(k.ratio.toFixed(4)),
    Number(k.relativeError.toPrecision(4)),
    k.verifiedRelativeError === null ? null : Number(k.verifiedRelativeError.toPrecision(4)),
    k.calibrated ? "yes" : "no",
  ]);
}

/** The header of the per-layer-and-kind table (terminal, HTML report, demo). */
export const KIND_TABLE_HEADER = [
  "layer / kind",
  "rank",
  "groups",
  "params before",
  "params after",
  "ratio",
  "rel. error",
  "verified",
  "calibrated",
];

/** Spectrum charts of every stacked group of a config (one per layer and kind, all groups in it). */
export function spectrumCharts(cfg: MoleConfig, max = 48): string {
  const charts: string[] = [];
  for (const rec of cfg.layers)
    for (const kind of KINDS) {
      const k = rec.kinds[kind];
      if (!k || charts.length >= max) continue;
      charts.push(
        lineChartSvg(
          k.groups.map((g) => ({
            label: `group ${g.group}`,
            points: g.spectrum.ranks.map((x, i) => [x, g.spectrum.values[i]!] as const),
          })),
          {
            title: `layer ${rec.layer} ${kind}: σ_i of the stacked group${k.calibrated ? " (whitened)" : ""}`,
            xLabel: "i",
            yLabel: "σ_i",
            logY: true,
            width: 380,
            height: 220,
            markers: [{ x: k.rank, label: `r = ${k.rank}` }],
          },
        ),
      );
    }
  return charts.join("\n");
}

/** The report as a self-contained HTML page. */
export function reportHtml(r: MoleReport): string {
  const byKind = (kind: string) => r.kinds.filter((k) => k.kind === kind);
  const kindsPresent = KINDS.filter((k) => byKind(k).length);
  const errorChart = lineChartSvg(
    [
      {
        label: "MoE output error",
        points: r.layers.map((l) => [l.layer, l.outputRelativeError] as const),
        bars: true,
      },
      ...kindsPresent.map((k) => ({
        label: `${k} weight error`,
        points: byKind(k).map((x) => [x.layer, x.relativeError] as const),
        bars: true,
      })),
    ],
    {
      title: "relative errors per layer",
      xLabel: "layer",
      yLabel: "relative error",
      width: 560,
      height: 260,
    },
  );
  const rankChart = lineChartSvg(
    kindsPresent.map((k) => ({
      label: k,
      points: byKind(k).map((x) => [x.layer, x.rank] as const),
      bars: true,
    })),
    { title: "rank per layer", xLabel: "layer", yLabel: "r", width: 560, height: 220 },
  );
  const t = r.totals;
  const body = `<section><h2>Summary</h2>
<p>${escapeHtml(r.source)} (${escapeHtml(r.architecture)}) → ${escapeHtml(r.mole)}. Converted expert parameters ${t.convertedParamsBefore.toLocaleString("en")} → ${t.convertedParamsAfter.toLocaleString("en")} (×${t.ratio.toFixed(3)});
model ${t.modelParamsBefore.toLocaleString("en")} → ${t.modelParamsAfter.toLocaleString("en")} parameters.
MoE output error on ${r.layers[0]?.tokens ?? 0} ${r.inputs === "random" ? "random hidden states" : "calibration inputs"} per layer, routed by the checkpoint's router (${escapeHtml(r.routing.scoring)}, top-${r.routing.topK}${r.routing.normalize ? ", renormalized" : ""}): mean ${t.meanOutputRelativeError.toPrecision(3)}, max ${t.maxOutputRelativeError.toPrecision(3)}.</p>
${errorChart}
${rankChart}
<h2>Layers and kinds</h2>
${htmlTable(KIND_TABLE_HEADER, kindTableRows(r), 4)}
<h2>Output error per layer</h2>
${htmlTable(
  ["layer", "tokens", "output rel. error", "mean cosine"],
  r.layers.map((l) => [
    l.layer,
    l.tokens,
    Number(l.outputRelativeError.toPrecision(4)),
    Number(l.outputCosine.toFixed(5)),
  ]),
  5,
)}
<h2>Singular values of each stacked group</h2>
<p class="note">σ_i of S = [W¹; …; Wᵏ] (k·p × d) per group; the dashed line is the rank kept. Errors follow from the tail: ‖S − A B‖_F² = Σ_{i&gt;r} σ_i².</p>
${spectrumCharts(r.config)}
</section>`;
  return htmlPage(
    {
      title: "MoLE conversion report",
      subtitle: `frugal ${r.versions.frugal} · ${new Date().toISOString()}`,
    },
    body,
  );
}
