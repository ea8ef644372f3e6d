/** Row builders shared by the terminal, the HTML report and the demo (one source for every view of a result). */
import type { Analysis } from "./analyze.js";
import type { MoleConfig } from "./format.js";
import type { ConversionPlan } from "./plan.js";

/** Header and rows of a conversion plan (`--dry-run`). */
export function planRows(plan: ConversionPlan): { header: string[]; rows: (string | number | null)[][] } {
  return {
    header: [
      "layer",
      "kind",
      "groups",
      "experts/group",
      "p × d",
      "rank",
      "params before",
      "params after",
      "memory MB",
    ],
    rows: plan.tasks.map((t) => [
      t.layer,
      t.kind,
      t.groups.length,
      t.groups.map((g) => g.length).join("/"),
      `${t.p} × ${t.d}`,
      t.rank ?? `≤ ${t.maxRank} (from σ)`,
      t.paramsBefore,
      t.paramsAfter,
      Number((t.memoryBytes / 1e6).toFixed(1)),
    ]),
  };
}

/** Header and rows of a finished conversion (from its mole_config.json). */
export function conversionRows(cfg: MoleConfig): { header: string[]; rows: (string | number | null)[][] } {
  const rows: (string | number | null)[][] = [];
  for (const l of cfg.layers)
    for (const [kind, k] of Object.entries(l.kinds))
      if (k)
        rows.push([
          l.layer,
          kind,
          k.rank,
          k.paramsBefore,
          k.paramsAfter,
          Number((k.paramsAfter / k.paramsBefore).toFixed(4)),
          Number(k.relativeError.toPrecision(4)),
          Number(Math.max(...k.groups.map((g) => g.energy)).toFixed(5)),
        ]);
  return {
    header: ["layer", "kind", "rank", "params before", "params after", "ratio", "rel. error", "energy kept"],
    rows,
  };
}

/** Header and rows of an analysis (MoE vs MoLE). */
export function analysisRows(a: Analysis): { header: string[]; rows: (string | number | null)[][] } {
  const b = (x: number) => `${(x / 1e9).toFixed(3)} B`;
  return {
    header: [
      "",
      "total params",
      "non-embedding",
      "expert params",
      "active / token",
      "GFLOPs / token",
      "weights GB",
    ],
    rows: a.rows.map((r) => [
      r.name,
      b(r.totalParams),
      b(r.nonEmbeddingParams),
      b(r.expertParams),
      b(r.activeParamsPerToken),
      Number((r.flopsPerToken / 1e9).toFixed(3)),
      Number((r.weightBytes / 1e9).toFixed(2)),
    ]),
  };
}
