/**
 * Errors of the `formulate` area. A structured model that cannot be parsed or compiled raises a
 * FormulationError that names the element (`constraints[2] (capacity)`), the field, the position
 * in the `function` string and what was expected, so the same text can be sent back to an LLM
 * for repair (`repairText`). A server that cannot be reached or answers garbage raises an LlmError.
 */
import { InputError } from "../errors/index.js";

/** The fields that locate a problem inside a structured model. */
export interface FormulationProblem {
  /** The element, e.g. `constraints[2] (capacity)` or `parameters[0] (cost)`. */
  element: string;
  /** The field of the element, e.g. `function`, `domain`, `data`. */
  field?: string;
  /** What went wrong, in one clause. */
  what: string;
  /** What to do about it. */
  hint: string;
  /** The text the position refers to (the `function` or `domain` string). */
  source?: string;
  /** 0-based character offset into `source`. */
  position?: number;
  /** What the parser expected at `position` (e.g. `")"`, `an index set`). */
  expected?: string;
  /** The model file, when the model came from one. */
  file?: string;
}

/** A structured model that does not parse or compile. */
export class FormulationError extends InputError {
  readonly problem: FormulationProblem;
  constructor(p: FormulationProblem, cause?: unknown) {
    const where = [p.file, p.field ? `${p.element}.${p.field}` : p.element].filter(Boolean).join(": ");
    const at = p.position === undefined ? "" : `at position ${p.position}: `;
    super({ where, what: `${at}${p.what}`, hint: p.hint, cause });
    this.problem = p;
  }

  /** The same error with the model file named (errors are raised before the file is known). */
  inFile(file: string): FormulationError {
    return new FormulationError({ ...this.problem, file }, this.cause);
  }

  /**
   * The error as text for an LLM: the element, the message, and the source line with a caret
   * under the position, so the model can see exactly where its `function` string went wrong.
   */
  repairText(): string {
    const p = this.problem;
    const lines = [`${p.field ? `${p.element}.${p.field}` : p.element}: ${this.what}; ${p.hint}`];
    if (p.source !== undefined) {
      lines.push(`  ${p.source}`);
      if (p.position !== undefined) lines.push(`  ${" ".repeat(Math.min(p.position, p.source.length))}^`);
    }
    return lines.join("\n");
  }
}
