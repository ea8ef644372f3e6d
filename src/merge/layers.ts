/**
 * Where a tensor sits in a decoder stack, from its name alone: `<prefix>.<layer>.<suffix>` with
 * prefix ending in `layers`, `h`, `blocks` or `layer` (Llama/Mistral/Qwen `model.layers.3.…`, GPT-2
 * `transformer.h.3.…`). Other tensors are "pre" (embeddings: the name contains `embed`, `wte`,
 * `wpe` or `word_embeddings`; mergekit evaluates their gradients at t = 0) or "post" (final norm,
 * lm_head; t = 1), as mergekit's architecture tables place them.
 */

/** A tensor name split into layer prefix, index and suffix. */
export interface LayerName {
  prefix: string;
  layer: number;
  suffix: string;
}

const LAYER = /^(.*?(?:^|\.)(?:layers|h|blocks|layer))\.(\d+)\.(.+)$/;
const PRE = /embed|(?:^|\.)wte\.|(?:^|\.)wpe\.|word_embeddings/;

/** The layer part of a tensor name, or null for a tensor outside the layer stack. */
export function parseLayerName(name: string): LayerName | null {
  const m = LAYER.exec(name);
  if (!m) return null;
  return { prefix: m[1]!, layer: Number(m[2]), suffix: m[3]! };
}

/** `pre` (before the layers: embeddings) or `post` (after: final norm, lm_head) for a non-layer tensor. */
export function outsidePosition(name: string): "pre" | "post" {
  return PRE.test(name) ? "pre" : "post";
}

/** A model's layer stacks: prefix → number of layers (max index + 1). */
export function layerCounts(names: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of names) {
    const l = parseLayerName(n);
    if (l) counts.set(l.prefix, Math.max(counts.get(l.prefix) ?? 0, l.layer + 1));
  }
  return counts;
}

/** The main stack: the prefix with the most layers (ties: the first seen). */
export function mainStack(counts: ReadonlyMap<string, number>): { prefix: string; layers: number } | null {
  let best: { prefix: string; layers: number } | null = null;
  for (const [prefix, layers] of counts) if (!best || layers > best.layers) best = { prefix, layers };
  return best;
}
