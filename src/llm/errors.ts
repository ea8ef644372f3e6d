/** Errors of the LLM clients. */
import { FrugalError } from "../errors/index.js";

/** An LLM or classifier endpoint that cannot be reached, times out, refuses or answers garbage. */
export class LlmError extends FrugalError {
  override readonly kind = "llm";
  /** HTTP status of the last attempt, or null for a network failure or a timeout. */
  readonly status: number | null;
  /** Attempts made (1 + retries used). */
  readonly attempts: number;
  constructor(
    fields: { where: string; what: string; hint: string; cause?: unknown },
    status: number | null,
    attempts: number,
  ) {
    super(fields);
    this.status = status;
    this.attempts = attempts;
  }
}
