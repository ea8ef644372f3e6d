/**
 * `frugal formulate solve-model | solve | eval | strategies`: structured optimization models
 * (sets, parameters, variables, objective, constraints) compiled to MIPs and solved by HiGHS, and
 * written from word problems by an LLM tree search (BPP-Search).
 */
import type { Command } from "commander";
import { modelLines } from "../formulate/describe.js";
import { DATASET_FORMATS, type DatasetFormat, loadDataset } from "../formulate/eval/datasets.js";
import { DEFAULT_TOLERANCE } from "../formulate/eval/match.js";
import { type EvalResult, evalCsv, runEval } from "../formulate/eval/run.js";
import { evalReportHtml, searchTraceHtml } from "../formulate/report.js";
import { parseScorerSpec, type ScorerPart, scorers } from "../formulate/score/registry.js";
import { prepareSearch, runSearch, type SearchOptions, type SearchResult } from "../formulate/search/run.js";
import { strategies } from "../formulate/search/strategies.js";
import { type SolveModelReport, solveModelFile } from "../formulate/solve-model.js";
import { openClient, type ResolvedEndpoint, resolveEndpoint } from "../llm/endpoint.js";
import { LlmError } from "../llm/errors.js";
import { Limiter } from "../llm/http.js";
import type { LlmClient } from "../llm/types.js";
import { checkOutputPaths, readText, writeAtomic } from "../util/files.js";
import { renderTable } from "../util/table.js";
import { frugalVersion } from "../util/version.js";
import { choiceOption, intArg, numberArg, positiveInt, positiveNumber, seedArg } from "./args.js";
import type { CliModule } from "./command.js";
import {
  action,
  emit,
  type GlobalFlags,
  interruptSignal,
  log,
  progressFor,
  usage,
  withCommonFlags,
  withExamples,
} from "./common.js";

interface SolveModelFlags extends GlobalFlags {
  exportLp?: string;
  timeLimit?: number;
  gap?: number;
  all?: boolean;
  force?: boolean;
}

/** Solver values carry feasibility-tolerance noise (77499.99999999999); show nine significant digits. */
function fmt(v: number | null): string {
  return v === null ? "-" : String(Number(v.toPrecision(9)));
}

function solveModelHuman(r: SolveModelReport): string {
  const lines = [
    `${r.file}: ${r.status}`,
    `  objective  ${fmt(r.objective)}`,
    `  size       ${r.size.variables} variables (${r.size.integers} integer), ${r.size.constraints} constraints, ${r.size.nonzeros} nonzeros`,
    `  seconds    ${r.seconds.toFixed(3)}`,
  ];
  if (r.reference)
    lines.push(
      `  reference  ${fmt(r.reference.answer)} (${r.reference.dataset} #${r.reference.id}): ${r.reference.matches ? "matches" : "does not match"}`,
    );
  if (r.exportLp) lines.push(`  LP file    ${r.exportLp}`);
  for (const w of r.warnings) lines.push(`  repaired: ${w}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.values) {
    const rows = Object.entries(r.values).map(([k, v]) => [k, Number(v.toPrecision(9))]);
    lines.push(
      "",
      rows.length ? renderTable(["variable", "value"], rows, { digits: 6 }) : "(all variables are zero)",
    );
  }
  return lines.join("\n");
}

async function solveModelAction(file: string, flags: SolveModelFlags): Promise<void> {
  const { signal, dispose } = interruptSignal();
  try {
    const r = await solveModelFile(file, {
      exportLp: flags.exportLp,
      force: flags.force,
      timeLimit: flags.timeLimit,
      gap: flags.gap,
      allValues: flags.all,
      signal,
    });
    if (r.exportLp) log(flags, `wrote ${r.exportLp}`);
    emit(flags, r, () => solveModelHuman(r));
  } finally {
    dispose();
  }
}

// ---- search and eval ------------------------------------------------------------------------

interface LlmFlags extends GlobalFlags {
  llm?: string;
  model?: string;
  judgeLlm?: string;
  judgeModel?: string;
  strategy: string;
  children?: number;
  beam?: number;
  samples?: number;
  epsilon?: number;
  threshold?: number;
  seed?: number;
  prm: string;
  preference: string;
  prmUrl?: string;
  preferenceUrl?: string;
  temperature?: number;
  maxTokens?: number;
  repairs?: number;
  concurrency: number;
  timeout: number;
  retries: number;
  cache?: string;
  solveTimeLimit?: number;
  dryRun?: boolean;
  force?: boolean;
}

/** The endpoint and model from the flags, else the environment; the API key only from the environment. */
function endpointOf(flags: LlmFlags): ResolvedEndpoint {
  return resolveEndpoint({ url: flags.llm, model: flags.model, where: { url: "--llm", model: "--model" } });
}

function clientFor(e: ResolvedEndpoint, flags: LlmFlags): Promise<LlmClient> {
  return openClient(e, {
    concurrency: flags.concurrency,
    retry: { timeoutMs: flags.timeout * 1000, retries: flags.retries },
    cacheDir: flags.cache,
    onEvent: (ev) => {
      if (flags.verbose || ev.kind !== "retry") log(flags, `frugal: ${ev.kind}: ${ev.detail}`);
    },
  });
}

function scorerSpec(spec: string, url: string | undefined, flag: string): ScorerPart[] {
  const parts = parseScorerSpec(spec, flag);
  return parts.map((p) => (p.name === "classifier" && url ? { ...p, params: { url } } : p));
}

/** The strategy's parameters from the flags that were given (a flag the strategy does not take is an error). */
function strategyParams(flags: LlmFlags): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  const map: [keyof LlmFlags, string][] = [
    ["children", "children"],
    ["beam", "beam"],
    ["samples", "samples"],
    ["epsilon", "epsilon"],
    ["threshold", "threshold"],
    ["seed", "seed"],
  ];
  const known = Object.keys(strategies.get(flags.strategy).params.shape);
  for (const [flag, key] of map) {
    if (flags[flag] === undefined) continue;
    if (!known.includes(key))
      throw usage(
        `--${key}`,
        `strategy ${flags.strategy} has no ${key} parameter`,
        known.length
          ? `${flags.strategy} takes ${known.map((k) => `--${k}`).join(", ")}`
          : `${flags.strategy} takes none`,
      );
    p[key] = flags[flag];
  }
  return p;
}

async function searchOptions(
  flags: LlmFlags,
): Promise<{ options: Omit<SearchOptions, "question">; endpoint: string; model: string }> {
  const e = endpointOf(flags);
  const params = strategyParams(flags);
  const llm = await clientFor(e, flags);
  let judge: LlmClient | undefined;
  if (flags.judgeLlm || flags.judgeModel) {
    const j = endpointOf({ ...flags, llm: flags.judgeLlm ?? e.endpoint, model: flags.judgeModel ?? e.model });
    judge = await clientFor(j, flags);
  }
  const options: Omit<SearchOptions, "question"> = {
    llm,
    judge,
    strategy: flags.strategy,
    params,
    prm: scorerSpec(flags.prm, flags.prmUrl, "--prm"),
    preference: scorerSpec(flags.preference, flags.preferenceUrl, "--preference"),
    temperature: flags.temperature,
    maxTokens: flags.maxTokens,
    repairs: flags.repairs,
    solveTimeLimit: flags.solveTimeLimit,
    seed: flags.seed,
    // classifier scorers post through their own limiter of the same size
    limiter: new Limiter(flags.concurrency),
  };
  prepareSearch(options); // bad strategy parameters or scorers fail here, before any call
  return { options, endpoint: e.endpoint, model: e.model };
}

function planLines(flags: LlmFlags, endpoint: string, model: string, problems?: number): string[] {
  const entry = strategies.get(flags.strategy);
  const params = strategies.params(flags.strategy, strategyParams(flags));
  const calls = entry.expectedCalls(params);
  return [
    `strategy     ${flags.strategy} ${JSON.stringify(params)}`,
    `policy       ${model} at ${endpoint}`,
    entry.needs.prm ? `process      ${flags.prm}` : "",
    entry.needs.preference ? `preference   ${flags.preference}` : "",
    `calls        policy ${calls.policy}, process reward ${calls.prm}, preference ${calls.preference} per problem (plus repairs)${problems === undefined ? "" : `; ${problems} problems`}`,
  ].filter(Boolean);
}

function withLlmFlags(cmd: Command): Command {
  return cmd
    .option(
      "--llm <url|file.gguf>",
      "OpenAI-style base URL (e.g. http://localhost:8000/v1) or a GGUF file; env FRUGAL_LLM_URL",
    )
    .option("--model <name>", "the model's name on the server; env FRUGAL_LLM_MODEL")
    .option("--judge-llm <url>", "another endpoint for the judges (default: the policy's)")
    .option("--judge-model <name>", "another model for the judges")
    .addOption(choiceOption("--strategy <name>", "search strategy", strategies.names()).default("bpp"))
    .option("--children <n>", "children per node (n)", intArg({ min: 1, max: 16 }))
    .option("--beam <b>", "beam width (b)", intArg({ min: 1, max: 16 }))
    .option("--samples <k>", "chains of self-consistency", intArg({ min: 1, max: 64 }))
    .option("--epsilon <p>", "ε of epsilon-greedy", numberArg({ min: 0, max: 1 }))
    .option("--threshold <d>", "δ of random-greedy", numberArg({ min: 0, max: 1 }))
    .option("--seed <n>", "seed of random choices", seedArg)
    .option(
      "--prm <spec>",
      `process reward: ${scorers.names().join(", ")}, or weighted (llm-judge=0.7,solver=0.3)`,
      "llm-judge",
    )
    .option("--preference <spec>", "pairwise preference, as --prm", "llm-judge")
    .option("--prm-url <url>", "the classifier endpoint of --prm classifier")
    .option("--preference-url <url>", "the classifier endpoint of --preference classifier")
    .option("--temperature <t>", "policy sampling temperature (default 0.7)", numberArg({ min: 0, max: 2 }))
    .option("--max-tokens <n>", "most tokens per policy reply (default 4096)", positiveInt)
    .option("--repairs <n>", "repair requests per bad reply (default 2)", intArg({ min: 0, max: 10 }))
    .option("--concurrency <n>", "requests in flight at once", positiveInt, 4)
    .option("--timeout <seconds>", "seconds one request may take", positiveNumber, 120)
    .option(
      "--retries <n>",
      "retries of a failed request (429, 5xx, dropped connections, timeouts)",
      intArg({ min: 0, max: 20 }),
      4,
    )
    .option("--cache <dir>", "cache answers in this folder (a rerun resumes where it stopped)")
    .option(
      "--solve-time-limit <seconds>",
      "seconds HiGHS may spend on one model (default 30)",
      positiveNumber,
    )
    .option("--dry-run", "print the plan (strategy, calls per problem) and stop")
    .option("--force", "overwrite existing output files");
}

interface SolveFlags extends LlmFlags {
  questionFile?: string;
  question?: string;
  trace?: string;
  out?: string;
}

function solveHuman(r: SearchResult): string {
  const c = r.chosen;
  const lines = [
    `${r.strategy}: ${r.status === "chosen" ? `chose leaf ${c!.id}, ${c!.status}` : "no valid complete model"}`,
    `  objective  ${c?.objective === null || c?.objective === undefined ? "-" : String(Number(c.objective.toPrecision(9)))}`,
    `  calls      policy ${r.calls.policy} (formula ${r.expectedCalls.policy}), process reward ${r.calls.prm} (${r.expectedCalls.prm}), preference ${r.calls.preference} (${r.expectedCalls.preference}), repairs ${r.calls.repair}`,
    `  tokens     ${r.tokens.prompt} prompt, ${r.tokens.completion} completion; ${r.usage.httpRequests} requests, ${r.usage.retries} retries, ${r.usage.cacheHits} cached`,
    `  leaves     ${r.leaves.valid} valid of ${r.leaves.total}, ${r.leaves.solved} solved; objectives ${[...new Set(r.leaves.objectives.map((v) => Number(v.toPrecision(6))))].join(", ") || "-"}`,
    `  seconds    ${r.seconds.toFixed(1)}`,
  ];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (c) lines.push("", ...modelLines(c.model));
  return lines.join("\n");
}

async function solveAction(flags: SolveFlags): Promise<void> {
  if (!flags.questionFile === !flags.question)
    throw usage(
      "--question-file",
      flags.question ? "both --question-file and --question given" : "no question given",
      "give the word problem with --question-file FILE or --question TEXT",
    );
  const question = flags.questionFile ? await readText(flags.questionFile) : (flags.question as string);
  const outs = [
    ...(flags.trace ? [{ path: flags.trace, flag: "--trace" }] : []),
    ...(flags.out ? [{ path: flags.out, flag: "--out" }] : []),
  ];
  const inputs = flags.questionFile ? [flags.questionFile] : [];
  checkOutputPaths(outs, { force: flags.force, inputs });
  const { options, endpoint, model } = await searchOptions(flags);
  if (flags.dryRun) {
    process.stdout.write(`${planLines(flags, endpoint, model).join("\n")}\n`);
    return;
  }
  const { signal, dispose } = interruptSignal();
  const bar = progressFor(flags);
  try {
    const r = await runSearch({ ...options, question, signal, onProgress: bar.update });
    bar.stop();
    if (flags.trace) {
      await writeAtomic(flags.trace, searchTraceHtml(r), { force: flags.force, inputs });
      log(flags, `wrote ${flags.trace}`);
    }
    if (flags.out && r.chosen) {
      await writeAtomic(flags.out, `${JSON.stringify(r.chosen.model, null, 2)}\n`, {
        force: flags.force,
        inputs,
      });
      log(flags, `wrote ${flags.out}`);
    }
    const { tree, ...rest } = r;
    emit(flags, { ...rest, endpoint, model, tree, versions: { frugal: frugalVersion() } }, () =>
      solveHuman(r),
    );
  } finally {
    bar.stop();
    dispose();
  }
}

interface EvalFlags extends LlmFlags {
  dataset: string;
  format: DatasetFormat;
  limit?: number;
  offset?: number;
  ids?: string;
  parallel: number;
  csv?: string;
  report?: string;
  relTol: number;
  absTol: number;
}

function evalHuman(r: EvalResult, dataset: string): string {
  const pct = (p: EvalResult["accuracy"]) =>
    `${(100 * p.value).toFixed(1)}% (95% CI ${(100 * p.low).toFixed(1)}–${(100 * p.high).toFixed(1)}%, ${p.successes}/${p.total})`;
  const lines = [
    `${dataset}: ${r.strategy} ${JSON.stringify(r.params)}${r.status === "interrupted" ? " (interrupted)" : ""}`,
    `  accuracy            ${pct(r.accuracy)}`,
    `  tree has a correct  ${pct(r.treeHasCorrect)}; accuracy then ${pct(r.accuracyWhenTreeCorrect)}`,
    `  failures            ${r.failures}`,
    `  per problem         policy ${r.perProblem.policy.toFixed(1)}, process reward ${r.perProblem.prm.toFixed(1)}, preference ${r.perProblem.preference.toFixed(1)}, repairs ${r.perProblem.repair.toFixed(1)}; ${Math.round(r.perProblem.promptTokens + r.perProblem.completionTokens)} tokens; ${r.perProblem.seconds.toFixed(1)} s`,
    `  tolerance           |predicted − reference| ≤ max(${r.tolerance.abs}, ${r.tolerance.rel}·|reference|)`,
  ];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  lines.push(
    "",
    renderTable(
      ["id", "status", "reference", "predicted", "policy", "prm", "pref", "tokens", "seconds", "error"],
      r.rows.map((x) => [
        x.id,
        x.status,
        x.reference,
        x.predicted,
        x.calls.policy,
        x.calls.prm,
        x.calls.preference,
        x.tokens.prompt + x.tokens.completion,
        x.seconds,
        x.error ? x.error.slice(0, 60) : "",
      ]),
      { digits: 2 },
    ),
  );
  return lines.join("\n");
}

async function evalAction(flags: EvalFlags): Promise<void> {
  const outs = [
    ...(flags.csv ? [{ path: flags.csv, flag: "--csv" }] : []),
    ...(flags.report ? [{ path: flags.report, flag: "--report" }] : []),
  ];
  checkOutputPaths(outs, { force: flags.force, inputs: [flags.dataset] });
  const ds = await loadDataset(flags.dataset, flags.format);
  let problems = ds.problems;
  if (flags.ids) {
    const want = new Set(flags.ids.split(",").map((s) => s.trim()));
    const missing = [...want].filter((id) => !problems.some((p) => p.id === id));
    if (missing.length)
      throw usage(
        "--ids",
        `no problem ${missing.join(", ")} in ${flags.dataset}`,
        "give ids that the dataset has",
      );
    problems = problems.filter((p) => want.has(p.id));
  }
  problems = problems.slice(
    flags.offset ?? 0,
    flags.limit === undefined ? undefined : (flags.offset ?? 0) + flags.limit,
  );
  if (problems.length === 0)
    throw usage("--limit", "selects no problems", "check --offset, --limit and --ids");
  const { options, endpoint, model } = await searchOptions(flags);
  if (flags.dryRun) {
    process.stdout.write(
      `${[`dataset      ${flags.dataset} (${ds.format}, ${problems.length} of ${ds.problems.length} problems)`, ...planLines(flags, endpoint, model, problems.length)].join("\n")}\n`,
    );
    return;
  }
  const { signal, dispose } = interruptSignal();
  const bar = progressFor(flags);
  try {
    const r = await runEval({
      ...options,
      problems,
      tolerance: { rel: flags.relTol, abs: flags.absTol },
      parallel: flags.parallel,
      signal,
      onProgress: bar.update,
      onRow: flags.verbose
        ? (row) => log(flags, `  ${row.id}: ${row.status}${row.error ? ` (${row.error})` : ""}`)
        : undefined,
    });
    bar.stop();
    if (flags.csv) {
      await writeAtomic(flags.csv, evalCsv(r), { force: flags.force, inputs: [flags.dataset] });
      log(flags, `wrote ${flags.csv}`);
    }
    if (flags.report) {
      await writeAtomic(flags.report, evalReportHtml(r, flags.dataset), {
        force: flags.force,
        inputs: [flags.dataset],
      });
      log(flags, `wrote ${flags.report}`);
    }
    emit(flags, { dataset: flags.dataset, format: ds.format, endpoint, model, ...r }, () =>
      evalHuman(r, flags.dataset),
    );
    const failed = r.rows.filter((x) => x.status === "failed");
    if (r.evaluated > 0 && failed.length === r.evaluated)
      throw new LlmError(
        {
          where: endpoint,
          what: `every problem failed (the first: ${failed[0]?.error})`,
          hint: "check the server and the model name; the results above record each failure",
        },
        null,
        0,
      );
  } finally {
    bar.stop();
    dispose();
  }
}

function strategiesAction(flags: GlobalFlags): void {
  const list = strategies.describe().map((d) => {
    const e = strategies.get(d.name);
    return { ...d, needs: e.needs, callsAtDefaults: e.expectedCalls(strategies.params(d.name, {})) };
  });
  const sc = scorers.describe();
  emit(flags, { strategies: list, scorers: sc }, () =>
    [
      renderTable(
        ["strategy", "parameters", "policy", "prm", "preference", "summary"],
        list.map((s) => [
          s.name,
          s.params.map((p) => `${p.name}=${JSON.stringify(p.default)}`).join(" "),
          s.callsAtDefaults.policy,
          s.callsAtDefaults.prm,
          s.callsAtDefaults.preference,
          s.summary,
        ]),
      ),
      "",
      renderTable(
        ["scorer", "parameters", "summary"],
        sc.map((s) => [
          s.name,
          s.params.map((p) => `${p.name}=${JSON.stringify(p.default)}`).join(" "),
          s.summary,
        ]),
      ),
      "",
      "calls: at the defaults, per problem, when every reply is valid (docs/formulate.md has the formulas)",
    ].join("\n"),
  );
}

/** Adds the command and its subcommands to the program (its name, summary and example are in commands.ts). */
export const command: CliModule = {
  register(program: Command) {
    const f = program
      .command("formulate")
      .description(
        "Structured optimization models (sets, parameters, variables, objective, constraints) compiled to MIPs and solved with HiGHS; an LLM writes them from word problems by BPP-Search (beam search, process reward model, pairwise preference).",
      );
    const sm = f
      .command("solve-model")
      .description("Compile a structured model (JSON/YAML) to a MIP and solve it with HiGHS.")
      .argument("<model>", "a structured model file (schemas/formulate-model.schema.json)")
      .option(
        "--export-lp <file>",
        "also write the compiled model as a CPLEX LP file (for frugal solve or any solver)",
      )
      .option(
        "--time-limit <seconds>",
        "stop the solver after this many seconds (default 60)",
        positiveNumber,
      )
      .option("--gap <fraction>", "stop at this relative MIP gap", numberArg({ min: 0, max: 1 }))
      .option("--all", "print zero values too")
      .option("--force", "overwrite the LP file if it exists");
    withCommonFlags(sm);
    withExamples(sm, [
      "frugal formulate solve-model examples/formulate/mamo-complex-001-diet.json",
      "frugal formulate solve-model model.json --export-lp model.lp && frugal solve model.lp",
      "frugal formulate solve-model model.yaml --json | jq .objective",
    ]);
    sm.action(action(solveModelAction));

    const so = f
      .command("solve")
      .description("Write a word problem as a structured model with an LLM tree search, and solve it.")
      .option("--question-file <file>", "the word problem (a text file)")
      .option("--question <text>", "the word problem")
      .option("--trace <file.html>", "write the whole search tree with its scores as HTML")
      .option("--out <file.json>", "write the chosen structured model (solve it again with solve-model)");
    withLlmFlags(so);
    withCommonFlags(so, "log every retry of an LLM call");
    withExamples(so, [
      "frugal formulate solve --question-file q.txt --llm http://localhost:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --strategy bpp --beam 2 --children 3",
      "frugal formulate solve --question-file q.txt --llm http://localhost:11434/v1 --model qwen2.5:7b --trace tree.html --out model.json",
      "FRUGAL_LLM_URL=http://localhost:8000/v1 FRUGAL_LLM_MODEL=m frugal formulate solve --question-file q.txt --strategy cot --json",
      "frugal formulate solve --question-file q.txt --llm http://localhost:8000/v1 --model m --prm solver --preference llm-judge=0.5,solver=0.5",
    ]);
    so.action(action(solveAction));

    const ev = f
      .command("eval")
      .description("Run a strategy on every problem of a benchmark file and report accuracy.")
      .requiredOption(
        "--dataset <file>",
        "JSON Lines: MAMO (Question/Answer), IndustryOR (en_question/en_answer) or NL4OPT records",
      )
      .addOption(choiceOption("--format <format>", "the dataset's format", DATASET_FORMATS).default("auto"))
      .option("--limit <n>", "at most this many problems", positiveInt)
      .option("--offset <n>", "skip this many problems first", intArg({ min: 0 }))
      .option("--ids <a,b,…>", "only these problem ids")
      .option("--parallel <n>", "problems searched at once", positiveInt, 1)
      .option("--csv <file>", "write one row per problem (CSV)")
      .option("--report <file.html>", "write an HTML report")
      .option(
        "--rel-tol <r>",
        "relative tolerance of a correct answer",
        numberArg({ min: 0 }),
        DEFAULT_TOLERANCE.rel,
      )
      .option(
        "--abs-tol <a>",
        "absolute tolerance of a correct answer",
        numberArg({ min: 0 }),
        DEFAULT_TOLERANCE.abs,
      );
    withLlmFlags(ev);
    withCommonFlags(ev, "log every retry of an LLM call and each problem's outcome");
    withExamples(ev, [
      "frugal formulate eval --dataset complex_lp.jsonl --llm http://localhost:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --csv results.csv --cache .cache",
      "frugal formulate eval --dataset dev.jsonl --format nl4opt --llm http://localhost:11434/v1 --model qwen2.5:7b --strategy cot --limit 20",
      "frugal formulate eval --dataset easy_lp.jsonl --strategy bpp --dry-run --llm http://localhost:8000/v1 --model m",
    ]);
    ev.action(action(evalAction));

    const st = f
      .command("strategies")
      .description("List the search strategies (with their call counts) and the scorers.");
    withCommonFlags(st);
    st.action(action(strategiesAction));
  },
};
