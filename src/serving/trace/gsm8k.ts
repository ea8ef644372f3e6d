/**
 * GSM8K → serving trace (Cobbe et al. 2021, "Training Verifiers to Solve Math Word Problems",
 * test split, 1,319 problems, MIT). Each problem becomes one request of an offline batch
 * (arrival 0). Token counts use LLaMA's SentencePiece tokenizer (`llama-tokenizer-js`; LLaMA-65B
 * shares the vocabulary of every LLaMA-1 size).
 *
 * Prompt (zero-shot by default, `shots` > 0 prepends that many worked examples taken from the
 * *end* of the file, which are then not requests themselves):
 *   <s>Question: {question}\nAnswer:
 * Output: the reference answer with the calculator annotations `<<…>>` removed (a model does not
 * print them), tokenized without BOS, plus one EOS token.
 *
 * The tokenizer (its vocabulary is megabytes of JavaScript) is imported only when a trace is built.
 */
import { readText } from "../../util/files.js";
import { TraceError } from "../errors.js";
import type { Request, Trace } from "./types.js";

/** The data set's attribution, written at the top of a GSM8K trace file. */
export const GSM8K_ATTRIBUTION = "GSM8K test split (Cobbe et al. 2021, MIT license).";

/** Options of `gsm8kTrace`. */
export interface Gsm8kOptions {
  /** Worked examples prepended to every prompt (few-shot); default 0 (zero-shot). */
  shots?: number;
}

/** The prompt of one problem; `{question}` is replaced by the problem's text. */
export const GSM8K_PROMPT_TEMPLATE = "Question: {question}\nAnswer:";

/** The answer without GSM8K's calculator annotations `<<…>>` (a model does not print them). */
export function stripCalculator(answer: string): string {
  return answer.replace(/<<[^>]*>>/g, "");
}

/** Counts LLaMA tokens of a text, with or without the BOS token. */
export type TokenCounter = (text: string, bos: boolean) => number;

/** LLaMA's tokenizer as a token counter (loads `llama-tokenizer-js` on first use). */
export async function llamaTokenCounter(): Promise<TokenCounter> {
  const { default: tokenizer } = await import("llama-tokenizer-js");
  return (text, bos) => tokenizer.encode(text, bos, true).length;
}

interface Problem {
  question: string;
  answer: string;
}

/** Builds the trace from the text of GSM8K's test.jsonl. */
export async function gsm8kTrace(
  jsonl: string,
  file = "test.jsonl",
  opts: Gsm8kOptions = {},
): Promise<Trace> {
  const problems: Problem[] = [];
  for (const [k, line] of jsonl.split(/\r?\n/).entries()) {
    const raw = line.trim();
    if (!raw) continue;
    let o: unknown;
    try {
      o = JSON.parse(raw);
    } catch (e) {
      throw new TraceError({
        where: `${file}: line ${k + 1}`,
        what: `not valid JSON (${(e as Error).message})`,
        hint: "give GSM8K's test.jsonl",
      });
    }
    const p = o as Partial<Problem>;
    if (typeof p?.question !== "string" || typeof p?.answer !== "string")
      throw new TraceError({
        where: `${file}: line ${k + 1}`,
        what: "no string fields question and answer",
        hint: "give GSM8K's test.jsonl",
      });
    problems.push({ question: p.question, answer: p.answer });
  }
  const shots = opts.shots ?? 0;
  if (problems.length <= shots)
    throw new TraceError({
      where: file,
      what: `${problems.length} problem(s), need more than ${shots}`,
      hint: "give GSM8K's test.jsonl",
    });
  const examples = problems.splice(problems.length - shots, shots);
  const prefix = examples
    .map((e) => `${GSM8K_PROMPT_TEMPLATE.replace("{question}", e.question)} ${stripCalculator(e.answer)}\n\n`)
    .join("");
  const countTokens = await llamaTokenCounter();
  const requests: Request[] = problems.map((p, i) => ({
    id: i,
    arrival: 0,
    promptTokens: countTokens(prefix + GSM8K_PROMPT_TEMPLATE.replace("{question}", p.question), true),
    outputTokens: countTokens(` ${stripCalculator(p.answer)}`, false) + 1,
  }));
  return {
    name: `gsm8k-test-${shots}shot`,
    source: `${file} (GSM8K test split, MIT), LLaMA tokenizer, ${shots}-shot prompt "${GSM8K_PROMPT_TEMPLATE.replace("\n", "\\n")}"`,
    requests,
  };
}

/** Reads GSM8K's test.jsonl from `file` and builds the trace. */
export async function readGsm8kTrace(file: string, opts: Gsm8kOptions = {}): Promise<Trace> {
  return gsm8kTrace(await readText(file), file, opts);
}
