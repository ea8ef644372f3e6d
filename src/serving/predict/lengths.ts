/**
 * Output lengths as the simulator's policies see them: the true length (no predictor, the oracle:
 * what every policy used before predictors existed, so results stay as they were), or a
 * predictor's estimate, fixed for each request at the first time a policy asks (when it plans the
 * request) and recorded for the prediction error. Remaining lengths of running requests are the
 * predictor's conditional estimate given the tokens already emitted.
 */
import type { SeqView } from "../sim/state.js";
import type { LengthPredictor, LengthQuery } from "./types.js";

/** Per-run output lengths for policies: true or predicted (see the header). */
export class SeqLengths {
  private readonly predicted: Float64Array;
  private asked = 0;

  /** @param predictor null: the true lengths. @param requests requests in the run (predictions are kept by index). */
  constructor(
    readonly predictor: LengthPredictor | null,
    requests: number,
  ) {
    this.predicted = new Float64Array(predictor ? requests : 0).fill(Number.NaN);
  }

  private query(s: SeqView): LengthQuery {
    return {
      index: s.index,
      promptTokens: s.req.promptTokens,
      maxTokens: null,
      outputTokens: s.req.outputTokens,
    };
  }

  /** The request's output length: true, or predicted when first asked. */
  output(s: SeqView): number {
    if (!this.predictor) return s.req.outputTokens;
    let v = this.predicted[s.index] as number;
    if (Number.isNaN(v)) {
      v = this.predictor.predict(this.query(s));
      this.predicted[s.index] = v;
      this.asked++;
    }
    return v;
  }

  /** Tokens still to come for a request that has emitted `s.generated` (≥ 1 while it runs). */
  remaining(s: SeqView): number {
    if (!this.predictor) return s.req.outputTokens - s.generated;
    return this.predictor.remaining(this.query(s), s.generated);
  }

  /** P(more than `t` tokens still to come) for a running request (true lengths: 1 or 0). */
  survival(s: SeqView, t: number): number {
    if (!this.predictor) return s.req.outputTokens - s.generated > t ? 1 : 0;
    return this.predictor.survival(this.query(s), s.generated, t);
  }

  /**
   * Expected iterations until the first of `running` emits its last token, E[min_j R_j] =
   * Σ_{t≥0} Π_j P(R_j > t) for independent remainders R_j, summed up to `cap` (the caller only needs
   * to know whether it reaches `cap`). With true lengths it is min(least remaining, cap) exactly.
   */
  firstFinish(running: readonly SeqView[], cap: number): number {
    if (running.length === 0) return cap;
    if (!this.predictor) {
      let d = Number.POSITIVE_INFINITY;
      for (const s of running) d = Math.min(d, s.req.outputTokens - s.generated);
      return Math.min(d, cap);
    }
    let sum = 0;
    for (let t = 0; t < cap; t++) {
      let p = 1;
      for (const s of running) {
        p *= this.survival(s, t);
        if (p === 0) break;
      }
      if (p < 1e-9) break;
      sum += p;
    }
    return sum;
  }

  /** A request finished: the predictor may learn its true length. */
  observe(s: SeqView): void {
    this.predictor?.observe({ promptTokens: s.req.promptTokens, outputTokens: s.req.outputTokens });
  }

  /** The predictions made (NaN for requests never asked about), or null with the true lengths / when none was made. */
  predictions(): Float64Array | null {
    return this.predictor && this.asked > 0 ? this.predicted : null;
  }
}
