/**
 * `frugal serving batch REQUESTS.jsonl --endpoint URL… --out RESULTS.jsonl`: an OpenAI Batch API
 * file run on OpenAI-compatible servers by a dispatch policy (src/serving/batch). Parsing and
 * printing only.
 *
 * Ctrl-C has two stages here (`interruptStages`): the first stops dispatching and waits for the
 * requests in flight (or cancels them with --on-interrupt cancel), the second cancels them, a
 * third exits at once. The results file is valid at every stage; the command exits 130.
 */
import type { Command } from "commander";
import { apiKeyFromEnv, resolveBaseUrls } from "../llm/endpoint.js";
import {
  BATCH_DEFAULTS,
  type BatchOptions,
  batchPlanDocument,
  batchPlanText,
  batchReportHtml,
  batchSummary,
  batchSummaryText,
  dispatchPolicies,
  dispatchPolicyNames,
  predictRun,
  prepareBatch,
  runBatch,
} from "../serving/batch/index.js";
import { paramValue } from "../serving/params.js";
import { predictorNames } from "../serving/predict/index.js";
import { parsePredictorSpec } from "../serving/predict/spec.js";
import { profileNames, resolveProfile } from "../serving/profile/index.js";
import { checkOutputPaths, writeAtomic } from "../util/files.js";
import { choiceOption, collectPairs, intArg, positiveNumber } from "./args.js";
import {
  action,
  emit,
  type GlobalFlags,
  INTERRUPTED_EXIT,
  interruptStages,
  log,
  progressFor,
  withCommonFlags,
  withExamples,
} from "./common.js";

type BatchFlags = GlobalFlags & {
  endpoint?: string[];
  out: string;
  policy: string;
  maxConcurrency: number;
  predictor?: string;
  history?: string;
  profile?: string;
  param?: string[];
  tokenizer: "auto" | "server" | "local" | "characters";
  stream: boolean;
  retries?: number;
  timeout?: number;
  onInterrupt: "wait" | "cancel";
  force?: boolean;
  restart?: boolean;
  retryFailed?: boolean;
  report?: string;
  dryRun?: boolean;
};

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** SIGINT/SIGTERM in stages (see the header). */
function stagedInterrupts(): { stop: AbortSignal; cancel: AbortSignal; dispose: () => void } {
  const { signals, dispose } = interruptStages([
    "frugal: interrupted; no new requests are sent, waiting for those in flight (Ctrl-C again cancels them)",
    "frugal: cancelling the requests in flight (they have no result line; a rerun sends them)",
  ]);
  const [stop, cancel] = signals;
  if (!stop || !cancel) throw new Error("two interrupt stages expected");
  return { stop, cancel, dispose };
}

async function batchCommand(input: string, flags: BatchFlags): Promise<void> {
  const endpoints = resolveBaseUrls(flags.endpoint ?? [], "--endpoint");
  // the results file is appended to (resume), so only --report goes through the output-path checks
  checkOutputPaths([{ path: flags.out, flag: "--out" }], { force: true, inputs: [input] });
  if (flags.report !== undefined)
    checkOutputPaths([{ path: flags.report, flag: "--report" }], {
      force: flags.force,
      inputs: [input, flags.out],
    });
  const policyParams: Record<string, unknown> = {};
  for (const pair of flags.param ?? []) {
    const eq = pair.indexOf("=");
    policyParams[pair.slice(0, eq)] = paramValue(pair.slice(eq + 1));
  }
  dispatchPolicies.params(flags.policy, policyParams, `--param ${flags.policy}`);
  const bar = progressFor(flags);
  const { stop, cancel, dispose } = stagedInterrupts();
  const opts: BatchOptions = {
    input,
    out: flags.out,
    endpoints,
    policy: flags.policy,
    policyParams,
    maxConcurrency: flags.maxConcurrency,
    predictor:
      flags.predictor === undefined
        ? BATCH_DEFAULTS.predictor
        : parsePredictorSpec(flags.predictor, "--predictor"),
    history: flags.history,
    profile: flags.profile === undefined ? undefined : await resolveProfile(flags.profile, "--profile"),
    tokenizer: flags.tokenizer,
    stream: flags.stream,
    retry: {
      ...(flags.retries === undefined ? {} : { retries: flags.retries }),
      ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout * 1000 }),
    },
    apiKey: apiKeyFromEnv(),
    restart: !!flags.restart && !flags.dryRun,
    retryFailed: flags.retryFailed,
    onInterrupt: flags.onInterrupt,
    signal: stop,
    cancel,
    onProgress: bar.update,
    onEvent: (e) => {
      if (e.kind === "note" || flags.verbose) log(flags, `${e.kind}: ${e.detail}`);
    },
    where: { policy: "--policy", predictor: "--predictor", history: "--history" },
  };
  try {
    const prepared = await prepareBatch(opts);
    if (flags.dryRun) {
      const plan = await batchPlanDocument(prepared, endpoints, stop);
      emit(flags, plan, () => batchPlanText(plan));
      return;
    }
    log(
      flags,
      `${prepared.pending.length} of ${prepared.requests.length} requests to send to ${endpoints.length} endpoint(s), policy ${prepared.policy}, at most ${prepared.maxConcurrency} in flight per endpoint`,
    );
    const run = await runBatch(opts, prepared);
    bar.stop();
    // the run is done and its results written: a prediction that cannot be made (e.g. a batch past
    // the simulator's limits) is a note, not a failure
    let predicted: Awaited<ReturnType<typeof predictRun>> = null;
    let noPrediction: string | null = null;
    try {
      predicted = await predictRun(run);
    } catch (e) {
      noPrediction = `no simulator prediction: ${e instanceof Error ? e.message : String(e)}`;
    }
    const summary = batchSummary(run, predicted);
    if (noPrediction) summary.notes.push(noPrediction);
    if (flags.report !== undefined) {
      await writeAtomic(flags.report, batchReportHtml(run, summary, predicted), {
        force: flags.force,
        inputs: [input, flags.out],
      });
      log(flags, `wrote ${flags.report}`);
    }
    emit(flags, summary, () => batchSummaryText(summary));
    if (run.status === "interrupted") process.exitCode = INTERRUPTED_EXIT;
  } finally {
    bar.stop();
    dispose();
  }
}

/** Adds `serving batch` to the `serving` command. */
export function registerBatch(serving: Command): void {
  const cmd = serving
    .command("batch")
    .description(
      "Run an OpenAI Batch API file on OpenAI-compatible servers (vLLM, SGLang, llama.cpp), dispatched by the hybrid schedule with predicted output lengths; results are appended as they arrive and a rerun resumes.",
    )
    .argument("<requests.jsonl>", "batch input: one {custom_id, method, url, body} per line")
    .option(
      "--endpoint <url>",
      "an OpenAI-style base URL such as http://host:8000/v1, repeatable (default FRUGAL_LLM_URL); the API key comes from FRUGAL_LLM_API_KEY or OPENAI_API_KEY",
      collect,
    )
    .requiredOption("--out <results.jsonl>", "results (OpenAI batch output format); resumed when it exists")
    .addOption(
      choiceOption("--policy <name>", "dispatch policy", dispatchPolicyNames()).default(
        BATCH_DEFAULTS.policy,
      ),
    )
    .option(
      "--max-concurrency <n>",
      "requests in flight per endpoint (its batch size)",
      intArg({ min: 1, max: 100_000 }),
      BATCH_DEFAULTS.maxConcurrency,
    )
    .option(
      "--predictor <name[:k=v,…]>",
      `output-length predictor: ${predictorNames()
        .filter((n) => n !== "oracle" && n !== "noise")
        .join(", ")} (default buckets)`,
    )
    .option(
      "--history <file>",
      "fit the predictor on a trace (CSV/JSONL, Azure or GSM8K formats) or an earlier results file",
    )
    .option(
      "--profile <file|name>",
      `time model for work estimates and the prediction (${profileNames().join(", ")}, or a fitted profile)`,
    )
    .option("--param <name=value>", "a dispatch-policy parameter, repeatable (e.g. lambda=0.5)", collectPairs)
    .addOption(
      choiceOption("--tokenizer <source>", "prompt-token counter", [
        "auto",
        "server",
        "local",
        "characters",
      ]).default("auto"),
    )
    .option("--no-stream", "do not stream answers (no TTFT, no progress tokens)")
    .option(
      "--retries <n>",
      "retries per request on 429/5xx and dropped connections (default 4)",
      intArg({ min: 0 }),
    )
    .option("--timeout <seconds>", "seconds one attempt may take (default 120)", positiveNumber)
    .addOption(
      choiceOption("--on-interrupt <what>", "what Ctrl-C does to requests in flight", [
        "wait",
        "cancel",
      ]).default("wait"),
    )
    .option("--retry-failed", "send again the requests whose results in --out are failures")
    .option("--restart", "start over: empty --out instead of resuming (the results in it are lost)")
    .option("--force", "overwrite --report")
    .option("--report <file>", "write a self-contained HTML report (timelines, latency and TTFT CDFs)")
    .option("--dry-run", "read, count and plan; print the plan and its predicted makespan; send nothing");
  withCommonFlags(cmd, "log every retried request, not only notes");
  cmd.addHelpText(
    "after",
    [
      "",
      "Exactly once: a result line is written when its answer is complete; rerunning with the same --out",
      "skips the custom_ids already there (a torn last line from a killed run is dropped and resent).",
      "Ctrl-C stops sending and waits for the requests in flight; a second Ctrl-C cancels them (no line,",
      "a rerun sends them); the file stays valid and the exit code is 130.",
      "Prompt tokens come from the server's /tokenize when it has one, else a local tokenizer, else",
      "characters / 4 (the summary says which).",
    ].join("\n"),
  );
  withExamples(cmd, [
    "frugal serving batch requests.jsonl --endpoint http://gpu1:8000/v1 --endpoint http://gpu2:8000/v1 --out results.jsonl",
    "frugal serving batch requests.jsonl --endpoint http://localhost:8000/v1 --out results.jsonl --max-concurrency 128 --history old-results.jsonl --report batch.html",
    "frugal serving batch requests.jsonl --endpoint http://localhost:8000/v1 --out results.jsonl --dry-run --json",
    "frugal serving batch requests.jsonl --endpoint http://localhost:8000/v1 --out results.jsonl --policy round-robin --predictor max-tokens",
  ]);
  cmd.action(action(batchCommand));
}
