/**
 * Model graphs: operators with per-pass times (forward F, full backward B = input-gradient part +
 * weight-gradient part W) and activation memory, edges with transfer sizes. Validated with zod;
 * structural checks (unknown operators, cycles) throw PlanInputError naming the file and the path.
 *
 * Pass convention follows the DualPipe README: B is the whole backward, W its weight part, so the
 * input-gradient ("I") pass takes B − W.
 */
import { z } from "zod";
import { parseWith } from "../errors/index.js";
import { PlanInputError } from "./errors.js";
import { PLAN_LIMITS as L } from "./limits.js";

export const OperatorSchema = z
  .object({
    id: z.string().min(1).describe("unique operator name"),
    forward: z
      .number()
      .nonnegative()
      .max(L.seconds, `must be at most ${L.seconds} seconds`)
      .describe("forward time of one micro-batch, seconds"),
    backward: z
      .number()
      .nonnegative()
      .max(L.seconds, `must be at most ${L.seconds} seconds`)
      .describe("full backward time (input + weight gradients), seconds"),
    weight: z
      .number()
      .nonnegative()
      .max(L.seconds, `must be at most ${L.seconds} seconds`)
      .default(0)
      .describe("weight-gradient part of backward, seconds (≤ backward)"),
    activationBytes: z
      .number()
      .nonnegative()
      .max(L.bytes, `must be at most ${L.bytes} bytes`)
      .default(0)
      .describe("activation memory held from forward start until the backward (weight step) ends"),
    stage: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe("pipeline stage (optional; else stages are derived)"),
  })
  .strict()
  .refine((o) => o.weight <= o.backward, {
    message: "weight must be ≤ backward (W is part of B)",
    path: ["weight"],
  });

export const EdgeSchema = z
  .object({
    from: z.string().min(1),
    to: z.string().min(1),
    bytes: z
      .number()
      .nonnegative()
      .max(L.bytes, `must be at most ${L.bytes} bytes`)
      .default(0)
      .describe("bytes sent per micro-batch (activation forward, gradient back)"),
  })
  .strict();

export const GraphSchema = z
  .object({
    $schema: z.string().optional().describe("path or URL of this JSON Schema (ignored)"),
    name: z.string().default("graph"),
    microBatches: z
      .number()
      .int()
      .positive()
      .max(L.microBatches, `must be at most ${L.microBatches}`)
      .describe(`micro-batches per training step (at most ${L.microBatches})`),
    overlap: z
      .object({
        factor: z
          .number()
          .positive()
          .max(1)
          .describe(
            "a forward and a backward of different micro-batches overlapped on one device take factor·(F+B)",
          ),
      })
      .strict()
      .optional(),
    operators: z.array(OperatorSchema).min(1).max(L.operators, `at most ${L.operators} operators`),
    edges: z.array(EdgeSchema).max(L.edges, `at most ${L.edges} edges`).default([]),
  })
  .strict()
  .refine((g) => g.operators.length * g.microBatches <= L.operatorMicroBatches, {
    message: `operators × microBatches must be at most ${L.operatorMicroBatches}; use fewer micro-batches or merge operators`,
    path: ["microBatches"],
  });

/** An operator of a validated graph. */
export type Operator = z.output<typeof OperatorSchema>;
/** An edge of a validated graph. */
export type Edge = z.output<typeof EdgeSchema>;
/** A validated model graph: operators, edges, micro-batches, overlap. */
export type Graph = z.output<typeof GraphSchema>;
/** A graph file as written (before defaults), e.g. what the generators return. */
export type GraphInput = z.input<typeof GraphSchema>;

/** Validates a graph (schema, unique ids, known edge ends, no cycle). `file` names the source in errors. */
export function parseGraph(data: unknown, file = "graph"): Graph {
  const g = parseWith(GraphSchema, data, file);
  checkGraph(g, file);
  return g;
}

function checkGraph(g: Graph, file = "graph"): void {
  const ids = new Map<string, number>();
  g.operators.forEach((o, i) => {
    if (ids.has(o.id))
      throw new PlanInputError({
        where: `${file}: operators[${i}].id`,
        what: `operator "${o.id}" is defined twice`,
        hint: "give each operator a unique id",
      });
    ids.set(o.id, i);
  });
  g.edges.forEach((e, i) => {
    for (const end of ["from", "to"] as const)
      if (!ids.has(e[end]))
        throw new PlanInputError({
          where: `${file}: edges[${i}].${end}`,
          what: `unknown operator "${e[end]}"`,
          hint: `use one of the operator ids (${[...ids.keys()].slice(0, 5).join(", ")}${ids.size > 5 ? ", …" : ""})`,
        });
    if (e.from === e.to)
      throw new PlanInputError({
        where: `${file}: edges[${i}]`,
        what: `self-loop on "${e.from}"`,
        hint: "remove the edge",
      });
  });
  const cyc = findCycle(g);
  if (cyc)
    throw new PlanInputError({
      where: `${file}: edges`,
      what: `the graph has a cycle (${cyc.join(" → ")})`,
      hint: "a computation graph must be acyclic; remove one edge of the cycle",
    });
}

/** Topological order of operator indices (Kahn, ties by input order); null on a cycle. */
export function topoOrder(n: number, edges: readonly { from: number; to: number }[]): number[] | null {
  const indeg = new Array<number>(n).fill(0);
  const succ: number[][] = Array.from({ length: n }, () => []);
  for (const e of edges) {
    indeg[e.to] = (indeg[e.to] ?? 0) + 1;
    succ[e.from]?.push(e.to);
  }
  const ready: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) ready.push(i);
  const out: number[] = [];
  for (let v = ready.shift(); v !== undefined; v = ready.shift()) {
    out.push(v);
    for (const w of succ[v] ?? []) {
      indeg[w] = (indeg[w] ?? 0) - 1;
      if (indeg[w] === 0) ready.push(w);
    }
    ready.sort((a, b) => a - b);
  }
  return out.length === n ? out : null;
}

function findCycle(g: Graph): string[] | null {
  const idx = new Map(g.operators.map((o, i) => [o.id, i]));
  const succ: number[][] = g.operators.map(() => []);
  for (const e of g.edges) succ[idx.get(e.from) ?? -1]?.push(idx.get(e.to) ?? -1);
  const color = new Array<number>(g.operators.length).fill(0);
  const stack: number[] = [];
  const dfs = (v: number): number[] | null => {
    color[v] = 1;
    stack.push(v);
    for (const w of succ[v] ?? []) {
      if (color[w] === 1) return [...stack.slice(stack.indexOf(w)), w];
      if (color[w] === 0) {
        const c = dfs(w);
        if (c) return c;
      }
    }
    stack.pop();
    color[v] = 2;
    return null;
  };
  for (let v = 0; v < g.operators.length; v++)
    if (color[v] === 0) {
      const c = dfs(v);
      if (c) return c.map((i) => g.operators[i]?.id ?? String(i));
    }
  return null;
}
