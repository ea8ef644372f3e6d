/**
 * Self-contained HTML for `formulate`: the search trace (the whole tree as an SVG picture with
 * each node's process reward, preference and objective, the chosen path highlighted, a table of
 * every node and the models themselves) and the evaluation report (accuracy with its interval,
 * calls and tokens, one row per problem).
 */
import { escapeHtml, htmlPage, htmlTable, PALETTE } from "../report/html.js";
import { frugalVersion } from "../util/version.js";
import type { EvalResult } from "./eval/run.js";
import { renderPartial } from "./prompts.js";
import type { SearchResult } from "./search/run.js";
import type { TreeNode } from "./search/tree.js";

const LAYER_NAMES = ["question", "sets and parameters", "variables", "objective and constraints"];

function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return "–";
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

/** Up to two short lines under a node: its optimum (leaves), then its preference or process reward. */
function nodeLabels(n: TreeNode): string[] {
  const out: string[] = [];
  if (n.layer === 3 && n.solve?.objective !== null && n.solve?.objective !== undefined)
    out.push(fmt(Number(n.solve.objective.toPrecision(6)), 2));
  if (n.preference !== null) out.push(`w ${fmt(n.preference, 2)}`);
  else if (n.prm !== null) out.push(`r ${fmt(n.prm, 2)}`);
  return out;
}

/** The tree as an SVG picture: layers top to bottom, leaves in depth-first order. */
export function treeSvg(nodes: TreeNode[]): string {
  const kids = new Map<string, TreeNode[]>();
  for (const n of nodes) if (n.parent !== null) kids.set(n.parent, [...(kids.get(n.parent) ?? []), n]);
  const x = new Map<string, number>();
  let next = 0;
  const place = (n: TreeNode): number => {
    const cs = kids.get(n.id) ?? [];
    const v = cs.length === 0 ? next++ : cs.map(place).reduce((a, b) => a + b, 0) / cs.length;
    x.set(n.id, v);
    return v;
  };
  const root = nodes.find((n) => n.parent === null);
  if (root) place(root);
  const colW = 34;
  const rowH = 92;
  const width = Math.max(1, next) * colW + 150;
  const height = 4 * rowH + 32;
  const px = (n: TreeNode) => 140 + (x.get(n.id) ?? 0) * colW;
  const py = (n: TreeNode) => 24 + n.layer * rowH;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edges = nodes
    .filter((n) => n.parent !== null)
    .map((n) => {
      const p = byId.get(n.parent!)!;
      return `<line x1="${px(p)}" y1="${py(p)}" x2="${px(n)}" y2="${py(n)}" stroke="${n.chosen ? PALETTE[0] : "#bbb"}" stroke-width="${n.chosen ? 3 : 1}"/>`;
    })
    .join("");
  const circles = nodes
    .map((n) => {
      const fill = n.chosen
        ? PALETTE[0]
        : !n.valid
          ? PALETTE[5]
          : n.layer === 3 && n.solve?.status === "optimal"
            ? PALETTE[2]
            : "#999";
      const tip = [
        `node ${n.id} (${LAYER_NAMES[n.layer]})`,
        n.valid ? "valid" : `invalid: ${n.error}`,
        n.prm !== null ? `process reward ${fmt(n.prm)}` : "",
        n.preference !== null ? `mean win probability ${fmt(n.preference)}` : "",
        n.solve ? `solve: ${n.solve.status}${n.solve.objective !== null ? ` ${n.solve.objective}` : ""}` : "",
        n.repairs ? `${n.repairs} repair(s)` : "",
      ]
        .filter(Boolean)
        .join("\n");
      return `<g class="node"><circle cx="${px(n)}" cy="${py(n)}" r="9" fill="${fill}"><title>${escapeHtml(tip)}</title></circle>${nodeLabels(
        n,
      )
        .map(
          (t, k) =>
            `<text x="${px(n)}" y="${py(n) + 24 + 12 * k}" font-size="10" text-anchor="middle">${escapeHtml(t)}</text>`,
        )
        .join("")}</g>`;
    })
    .join("");
  const rows = LAYER_NAMES.map(
    (name, l) => `<text x="4" y="${28 + l * rowH}" font-size="11" fill="#555">${escapeHtml(name)}</text>`,
  ).join("");
  return `<svg width="${width}" height="${height}" role="img" aria-label="search tree">${rows}${edges}${circles}</svg>`;
}

/** The search trace as a complete HTML page. */
export function searchTraceHtml(r: SearchResult): string {
  const c = r.chosen;
  const summary = htmlTable(
    ["strategy", "parameters", "status", "objective", "solve status", "seconds"],
    [[r.strategy, JSON.stringify(r.params), r.status, c?.objective ?? null, c?.status ?? null, r.seconds]],
  );
  const calls = htmlTable(
    [
      "calls",
      "policy",
      "repair",
      "process reward",
      "preference",
      "HTTP requests",
      "cache hits",
      "prompt tokens",
      "completion tokens",
    ],
    [
      [
        "made",
        r.calls.policy,
        r.calls.repair,
        r.calls.prm,
        r.calls.preference,
        r.usage.httpRequests,
        r.usage.cacheHits,
        r.tokens.prompt,
        r.tokens.completion,
      ],
      [
        "formula",
        r.expectedCalls.policy,
        null,
        r.expectedCalls.prm,
        r.expectedCalls.preference,
        null,
        null,
        null,
        null,
      ],
    ],
  );
  const nodeRows = r.tree.map((n) => [
    n.id,
    LAYER_NAMES[n.layer] ?? String(n.layer),
    n.chosen ? "yes" : "",
    n.valid ? "yes" : "no",
    n.prm,
    n.preference,
    n.solve?.status ?? null,
    n.solve?.objective ?? null,
    n.repairs,
    n.error ?? (n.warnings.length ? `${n.warnings.length} repair(s) by the compiler` : ""),
  ]);
  const leaves = r.tree
    .filter((n) => n.layer === 3)
    .map(
      (n) =>
        `<details${n.chosen ? " open" : ""}><summary>leaf ${escapeHtml(n.id)}${n.chosen ? " (chosen)" : ""}: ${escapeHtml(n.valid ? `${n.solve?.status ?? "not solved"} ${fmt(n.solve?.objective ?? null)}` : `invalid: ${n.error ?? ""}`)}</summary><pre>${escapeHtml(renderPartial(n.model))}</pre></details>`,
    )
    .join("\n");
  const body = `<h2>Question</h2><p class="note">${escapeHtml(r.question)}</p>
<h2>Outcome</h2>${summary}${calls}
${r.notes.length ? `<ul>${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : ""}
<h2>Tree</h2><p class="meta">Blue: the chosen path; green: complete models solved to optimality; orange: invalid replies (after repairs); r = process reward, w = mean win probability in the pairwise preference, leaves show their optimum. Hover a node for details.</p>
<div style="overflow-x:auto">${treeSvg(r.tree)}</div>
<h2>Nodes</h2>${htmlTable(["node", "layer", "chosen", "valid", "process reward", "preference", "solve", "objective", "repairs", "remarks"], nodeRows)}
<h2>Complete models</h2>${leaves || "<p>none</p>"}`;
  return htmlPage(
    {
      title: `formulate: ${r.strategy}`,
      subtitle: `frugal ${frugalVersion()} · ${new Date().toISOString()}`,
    },
    body,
  );
}

/** The evaluation report as a complete HTML page. */
export function evalReportHtml(r: EvalResult, dataset: string): string {
  const pct = (p: { value: number; low: number; high: number; successes: number; total: number }) =>
    `${(100 * p.value).toFixed(1)}% [${(100 * p.low).toFixed(1)}, ${(100 * p.high).toFixed(1)}] (${p.successes}/${p.total})`;
  const head = htmlTable(
    [
      "dataset",
      "strategy",
      "parameters",
      "problems",
      "evaluated",
      "accuracy (95% Wilson)",
      "tree holds a correct leaf",
      "accuracy when it does",
      "failures",
    ],
    [
      [
        dataset,
        r.strategy,
        JSON.stringify(r.params),
        r.problems,
        r.evaluated,
        pct(r.accuracy),
        pct(r.treeHasCorrect),
        pct(r.accuracyWhenTreeCorrect),
        r.failures,
      ],
    ],
  );
  const per = htmlTable(
    [
      "per problem",
      "policy",
      "repair",
      "process reward",
      "preference",
      "prompt tokens",
      "completion tokens",
      "seconds",
    ],
    [
      [
        "mean",
        r.perProblem.policy,
        r.perProblem.repair,
        r.perProblem.prm,
        r.perProblem.preference,
        r.perProblem.promptTokens,
        r.perProblem.completionTokens,
        r.perProblem.seconds,
      ],
    ],
    1,
  );
  const rows = htmlTable(
    [
      "id",
      "status",
      "reference",
      "predicted",
      "solve",
      "tree correct",
      "policy",
      "prm",
      "preference",
      "tokens",
      "seconds",
      "error",
    ],
    r.rows.map((x) => [
      x.id,
      x.status,
      x.reference,
      x.predicted,
      x.solveStatus,
      x.anyLeafCorrect === null ? null : String(x.anyLeafCorrect),
      x.calls.policy,
      x.calls.prm,
      x.calls.preference,
      x.tokens.prompt + x.tokens.completion,
      x.seconds,
      x.error,
    ]),
  );
  const body = `${head}${per}<p class="meta">A prediction matches when |predicted − reference| ≤ max(${r.tolerance.abs}, ${r.tolerance.rel} · |reference|).</p>
${r.notes.length ? `<ul>${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : ""}<h2>Problems</h2>${rows}`;
  return htmlPage(
    {
      title: `formulate eval: ${r.strategy} on ${dataset}`,
      subtitle: `frugal ${frugalVersion()} · ${new Date().toISOString()}`,
    },
    body,
  );
}
