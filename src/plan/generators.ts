/**
 * Built-in graph generators: a uniform transformer chain (L layers grouped into PP stages), an MoE
 * layer stack (attention → router → E experts in parallel → combine, all-to-all between them) and
 * a multimodal branch (vision and text encoders in parallel → fusion → decoder).
 * Times are per micro-batch in seconds (or any unit, consistently); memory in bytes (or units).
 */
import { z } from "zod";
import type { GraphInput } from "./graph.js";

const count = z.number().int().positive();
const time = z.number().nonnegative();

/** Parameters of `transformerChain`. */
export const ChainOptionsSchema = z
  .object({
    stages: count,
    microBatches: count,
    forward: time.optional(),
    backward: time.optional(),
    weight: time.optional(),
    activationBytes: time.optional(),
    /** F&B time for a stage pair; omitted = no overlap. */
    forwardBackward: z.number().positive().optional(),
    /** Per-stage time multipliers (non-uniform chains); default all 1. */
    scale: z.array(z.number().positive()).optional(),
    bytes: time.optional(),
    name: z.string().optional(),
  })
  .strict();
/** Parameters of `transformerChain`. */
export type ChainOptions = z.input<typeof ChainOptionsSchema>;

/** A chain of `stages` operators, each one pipeline stage (a group of transformer layers). */
export function transformerChain(o: ChainOptions): GraphInput {
  const F = o.forward ?? 1;
  const B = o.backward ?? 2;
  const W = o.weight ?? 1;
  const ops = Array.from({ length: o.stages }, (_, s) => {
    const k = o.scale?.[s] ?? 1;
    return {
      id: `stage${s}`,
      forward: F * k,
      backward: B * k,
      weight: W * k,
      activationBytes: o.activationBytes ?? 1,
      stage: s,
    };
  });
  return {
    name: o.name ?? `chain-${o.stages}x${o.microBatches}`,
    microBatches: o.microBatches,
    ...(o.forwardBackward !== undefined ? { overlap: { factor: o.forwardBackward / (F + B) } } : {}),
    operators: ops,
    edges: ops.slice(1).map((op, i) => ({ from: `stage${i}`, to: op.id, bytes: o.bytes ?? 0 })),
  };
}

/** Parameters of `moeStack`. */
export const MoeOptionsSchema = z
  .object({
    layers: count,
    experts: count,
    microBatches: count,
    attention: time.optional(),
    expert: time.optional(),
    /** Bytes moved router → expert and expert → combine (the all-to-all). */
    dispatchBytes: time.optional(),
    overlapFactor: z.number().positive().optional(),
  })
  .strict();
/** Parameters of `moeStack`. */
export type MoeOptions = z.input<typeof MoeOptionsSchema>;

/** L MoE layers: attn_l → router_l → expert_l_e (parallel) → combine_l → attn_{l+1}. */
export function moeStack(o: MoeOptions): GraphInput {
  const A = o.attention ?? 1;
  const X = o.expert ?? 1;
  const ops: GraphInput["operators"] = [];
  const edges: NonNullable<GraphInput["edges"]> = [];
  let prev: string | null = null;
  for (let l = 0; l < o.layers; l++) {
    const attn = `L${l}.attn`;
    const router = `L${l}.router`;
    const combine = `L${l}.combine`;
    ops.push({ id: attn, forward: A, backward: 2 * A, weight: A, activationBytes: 1 });
    ops.push({ id: router, forward: 0.1 * A, backward: 0.2 * A, weight: 0.1 * A, activationBytes: 0.1 });
    if (prev) edges.push({ from: prev, to: attn, bytes: 0 });
    edges.push({ from: attn, to: router, bytes: 0 });
    for (let e = 0; e < o.experts; e++) {
      const ex = `L${l}.expert${e}`;
      ops.push({ id: ex, forward: X, backward: 2 * X, weight: X, activationBytes: 1 });
      edges.push({ from: router, to: ex, bytes: o.dispatchBytes ?? 0 });
      edges.push({ from: ex, to: combine, bytes: o.dispatchBytes ?? 0 });
    }
    ops.push({ id: combine, forward: 0.1 * A, backward: 0.2 * A, weight: 0, activationBytes: 0.1 });
    prev = combine;
  }
  return {
    name: `moe-${o.layers}x${o.experts}`,
    microBatches: o.microBatches,
    ...(o.overlapFactor !== undefined ? { overlap: { factor: o.overlapFactor } } : {}),
    operators: ops,
    edges,
  };
}

/** Parameters of `multimodal`. */
export const MultimodalOptionsSchema = z
  .object({
    microBatches: count,
    visionLayers: count.optional(),
    textLayers: count.optional(),
    decoderLayers: count.optional(),
    layer: time.optional(),
    bytes: time.optional(),
    overlapFactor: z.number().positive().optional(),
  })
  .strict();
/** Parameters of `multimodal`. */
export type MultimodalOptions = z.input<typeof MultimodalOptionsSchema>;

/** vision encoder ‖ text encoder → fusion → decoder, each encoder/decoder a chain of layers. */
export function multimodal(o: MultimodalOptions): GraphInput {
  const T = o.layer ?? 1;
  const ops: GraphInput["operators"] = [];
  const edges: NonNullable<GraphInput["edges"]> = [];
  const chain = (prefix: string, n: number, scale: number): string[] => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `${prefix}${i}`;
      ops.push({
        id,
        forward: T * scale,
        backward: 2 * T * scale,
        weight: T * scale,
        activationBytes: scale,
      });
      const prev = ids.at(-1);
      if (prev !== undefined) edges.push({ from: prev, to: id, bytes: o.bytes ?? 0 });
      ids.push(id);
    }
    return ids;
  };
  const vis = chain("vision", o.visionLayers ?? 4, 1);
  const txt = chain("text", o.textLayers ?? 2, 1);
  ops.push({ id: "fusion", forward: 0.5 * T, backward: T, weight: 0.5 * T, activationBytes: 0.5 });
  for (const last of [vis.at(-1), txt.at(-1)])
    if (last !== undefined) edges.push({ from: last, to: "fusion", bytes: o.bytes ?? 0 });
  const dec = chain("decoder", o.decoderLayers ?? 4, 1);
  const [firstDecoder] = dec;
  if (firstDecoder !== undefined) edges.push({ from: "fusion", to: firstDecoder, bytes: o.bytes ?? 0 });
  return {
    name: "multimodal",
    microBatches: o.microBatches,
    ...(o.overlapFactor !== undefined ? { overlap: { factor: o.overlapFactor } } : {}),
    operators: ops,
    edges,
  };
}

/** A generator call as data (a preset's `generator`): its kind and its parameters. */
export const GeneratorSpecSchema = z.discriminatedUnion("kind", [
  ChainOptionsSchema.extend({ kind: z.literal("chain") }),
  MoeOptionsSchema.extend({ kind: z.literal("moe") }),
  MultimodalOptionsSchema.extend({ kind: z.literal("multimodal") }),
]);
/** A generator call as data. */
export type GeneratorSpec = z.output<typeof GeneratorSpecSchema>;

/** Runs the generator a spec names. */
export function generateGraph(spec: GeneratorSpec): GraphInput {
  if (spec.kind === "chain") return transformerChain(spec);
  if (spec.kind === "moe") return moeStack(spec);
  return multimodal(spec);
}
