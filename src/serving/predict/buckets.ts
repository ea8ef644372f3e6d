/**
 * Quantile buckets by prompt length: served requests are split into K buckets of equal count by
 * prompt length, and a request's output length is predicted by its bucket's mean (or a quantile)
 * of output lengths. The same buckets give the remaining length of a request that has already
 * emitted g tokens: the statistic of (o − g) over the bucket's requests with o > g. A classic,
 * cheap baseline of the output-length prediction literature (e.g. the length-bucket classifiers of
 * Jin et al., "S³: Increasing GPU Utilization during Generative Inference for Higher Throughput",
 * NeurIPS 2023, https://arxiv.org/abs/2306.06000).
 */
import type { LengthSample } from "./types.js";

/** How a bucket's output lengths are summarised: the mean, or a quantile in (0, 1). */
export type BucketStatistic = "mean" | number;

interface Bucket {
  /** Output lengths, ascending. */
  sorted: Float64Array;
  /** suffix[k] = Σ sorted[k..]. */
  suffix: Float64Array;
  estimate: number;
}

/** Prompt-length buckets fitted on served requests. */
export class BucketModel {
  /** Lower prompt-length edge of buckets 1..K−1 (bucket 0 takes everything below edges[0]). */
  readonly edges: number[];
  private readonly buckets: Bucket[];
  readonly samples: number;

  private constructor(
    edges: number[],
    buckets: Bucket[],
    samples: number,
    readonly statistic: BucketStatistic,
  ) {
    this.edges = edges;
    this.buckets = buckets;
    this.samples = samples;
  }

  /** Buckets: at most `buckets`, each with at least `minPerBucket` samples (one bucket when there are few). */
  static fit(
    samples: readonly LengthSample[],
    opts: { buckets: number; minPerBucket: number; statistic: BucketStatistic },
  ): BucketModel | null {
    const n = samples.length;
    if (n === 0) return null;
    const byPrompt = [...samples].sort((a, b) => a.promptTokens - b.promptTokens);
    const K = Math.max(1, Math.min(opts.buckets, Math.floor(n / Math.max(1, opts.minPerBucket))));
    const edges: number[] = [];
    const buckets: Bucket[] = [];
    let start = 0;
    for (let k = 0; k < K; k++) {
      let end = k === K - 1 ? n : Math.round(((k + 1) * n) / K);
      // keep equal prompt lengths in one bucket, so the edges separate them
      while (end < n && end > start && byPrompt[end]?.promptTokens === byPrompt[end - 1]?.promptTokens) end++;
      if (end <= start) continue;
      if (buckets.length > 0) edges.push(byPrompt[start]?.promptTokens ?? 0);
      buckets.push(makeBucket(byPrompt.slice(start, end), opts.statistic));
      start = end;
      if (start >= n) break;
    }
    return new BucketModel(edges, buckets, n, opts.statistic);
  }

  private bucketOf(promptTokens: number): Bucket {
    let lo = 0;
    let hi = this.edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.edges[mid] as number) <= promptTokens) lo = mid + 1;
      else hi = mid;
    }
    return this.buckets[lo] as Bucket;
  }

  /** The bucket's statistic of output lengths for a prompt of this length. */
  estimate(promptTokens: number): number {
    return this.bucketOf(promptTokens).estimate;
  }

  /** The statistic of (o − g) over the bucket's outputs o > g; null when no output in the bucket is that long. */
  remaining(promptTokens: number, generated: number): number | null {
    const b = this.bucketOf(promptTokens);
    const s = b.sorted;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((s[mid] as number) <= generated) lo = mid + 1;
      else hi = mid;
    }
    const count = s.length - lo;
    if (count === 0) return null;
    if (this.statistic === "mean") return ((b.suffix[lo] as number) - generated * count) / count;
    const k = lo + Math.min(count - 1, Math.floor(this.statistic * count));
    return (s[k] as number) - generated;
  }

  /** P(o > generated + t | o > generated) over the bucket's outputs; null when none is longer than `generated`. */
  survival(promptTokens: number, generated: number, t: number): number | null {
    const s = this.bucketOf(promptTokens).sorted;
    const above = (x: number) => {
      let lo = 0;
      let hi = s.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((s[mid] as number) <= x) lo = mid + 1;
        else hi = mid;
      }
      return s.length - lo;
    };
    const base = above(generated);
    return base === 0 ? null : above(generated + t) / base;
  }

  /** The buckets as rows (for descriptions and tests): lower prompt edge, samples, estimate. */
  rows(): { fromPromptTokens: number; samples: number; estimate: number }[] {
    return this.buckets.map((b, k) => ({
      fromPromptTokens: k === 0 ? 0 : (this.edges[k - 1] as number),
      samples: b.sorted.length,
      estimate: b.estimate,
    }));
  }
}

function makeBucket(samples: readonly LengthSample[], statistic: BucketStatistic): Bucket {
  const sorted = Float64Array.from(samples, (s) => s.outputTokens).sort();
  const suffix = new Float64Array(sorted.length + 1);
  for (let k = sorted.length - 1; k >= 0; k--) suffix[k] = (suffix[k + 1] as number) + (sorted[k] as number);
  const n = sorted.length;
  const estimate =
    statistic === "mean"
      ? (suffix[0] as number) / n
      : (sorted[Math.min(n - 1, Math.floor(statistic * n))] as number);
  return { sorted, suffix, estimate };
}
