/** Weighted combinations of scorers: Σ wᵢ·sᵢ / Σ wᵢ, for process rewards and for preferences alike. */
import type { PreferenceScorer, ProcessScorer } from "./types.js";

/** A scorer with its weight in a combination. */
export interface Weighted<T> {
  scorer: T;
  weight: number;
}

/** A process scorer that is the weighted mean of others (one call each). */
export function combinedProcessScorer(parts: Weighted<ProcessScorer>[]): ProcessScorer {
  if (parts.length === 1 && parts[0]) return parts[0].scorer;
  const total = parts.reduce((s, p) => s + p.weight, 0);
  return {
    name: parts.map((p) => `${p.scorer.name}=${p.weight}`).join(","),
    async score(ctx, node) {
      const v = await Promise.all(parts.map((p) => p.scorer.score(ctx, node)));
      return v.reduce((s, x, i) => s + x * parts[i]!.weight, 0) / total;
    },
  };
}

/** A preference scorer that is the weighted mean of others. */
export function combinedPreferenceScorer(parts: Weighted<PreferenceScorer>[]): PreferenceScorer {
  if (parts.length === 1 && parts[0]) return parts[0].scorer;
  const total = parts.reduce((s, p) => s + p.weight, 0);
  return {
    name: parts.map((p) => `${p.scorer.name}=${p.weight}`).join(","),
    async prefer(ctx, a, b) {
      const v = await Promise.all(parts.map((p) => p.scorer.prefer(ctx, a, b)));
      return v.reduce((s, x, i) => s + x * parts[i]!.weight, 0) / total;
    },
  };
}
