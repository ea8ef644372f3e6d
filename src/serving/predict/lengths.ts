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

  /** A request finished: the predictor may learn its true length. */
  observe(s: SeqView): void {
    this.predictor?.observe({ promptTokens: s.req.promptTokens, outputTokens: s.req.outputTokens });
  }

  /** The predictions made (NaN for requests never asked about), or null with the true lengths / when none was made. */
  predictions(): Float64Array | null {
    return this.predictor && this.asked > 0 ? this.predicted : null;
  }
}
