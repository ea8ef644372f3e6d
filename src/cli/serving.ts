/**
 * `frugal serving simulate|compare|study|fit|trace|batch`: LLM serving policies on a discrete-event
 * simulator (vLLM V0/V1, Orca, and the hybrid offline-online method), lower bounds, outputs.
 * Parsing and printing only: one function per subcommand over the `serving` library.
 */
import type { Command } from "commander";
import {
  type CompareOptions,
  type ComparisonFiles,
  calibrationNotes,
  checkWorkload,
  comparePolicies,
  comparisonDocument,
  comparisonText,
  DEFAULT_CLIENTS,
  DEFAULT_PROFILE,
  DEFAULT_STUDY_PRESET,
  fitProfile,
  fitText,
  GSM8K_ATTRIBUTION,
  LOGNORMAL_TRACE_DEFAULTS,
  lognormalTrace,
  type PolicyEvent,
  type PolicyParams,
  policies,
  policyNames,
  policyParamsFromPairs,
  profileNames,
  readGsm8kTrace,
  resolveWorkload,
  runStudy,
  SERVING_LIMITS,
  servingPresetNames,
  studyDocument,
  studyText,
  type Trace,
  traceStats,
  traceToCsv,
  type Workload,
  type WorkloadOptions,
  writeComparisonFiles,
} from "../serving/index.js";
import { predictorNames } from "../serving/predict/index.js";
import { checkOutputPaths, writeAtomic } from "../util/files.js";
import {
  choiceOption,
  collectPairs,
  intArg,
  listArg,
  nonNegativeNumber,
  numberListArg,
  positiveInt,
  positiveNumber,
  seedArg,
} from "./args.js";
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
import { registerBatch } from "./serving-batch.js";

/** How the library's errors name the workload's options: by the flags that set them. */
const WHERE = {
  preset: "--preset",
  trace: "--trace",
  profile: "--profile",
  policyParams: "--param",
  predictor: "--predictor",
  history: "--history",
};

interface WorkloadFlags extends GlobalFlags {
  preset?: string;
  trace?: string;
  profile?: string;
  clients?: number;
  param?: string[];
  predictor?: string;
  history?: string;
}

interface OutputFlags {
  force?: boolean;
  requestsCsv?: string;
  chromeTrace?: string;
  report?: string;
}

/** `--param` pairs as parameters by policy (`name=value` belongs to `policy`), checked against the registry. */
function paramsOf(flags: WorkloadFlags, policy?: string): PolicyParams {
  return policyParamsFromPairs(flags.param ?? [], policy, WHERE.policyParams);
}

/** The workload flags as library options; `defaultPreset` when neither --preset nor --trace is given. */
function workloadOptions(flags: WorkloadFlags, policy?: string, defaultPreset?: string): WorkloadOptions {
  const preset = flags.preset ?? (flags.trace === undefined ? defaultPreset : undefined);
  if (preset === undefined && flags.trace === undefined)
    throw usage(
      "--trace",
      "no workload given",
      `pass --trace FILE or --preset ${servingPresetNames().join("|")}`,
    );
  return {
    preset,
    trace: flags.trace,
    profile: flags.profile,
    clients: flags.clients,
    policyParams: paramsOf(flags, policy),
    predictor: flags.predictor,
    history: flags.history,
    where: WHERE,
  };
}

function withWorkloadFlags(cmd: Command, presetHelp: string): Command {
  return cmd
    .addOption(choiceOption("--preset <name>", presetHelp, servingPresetNames()).conflicts("trace"))
    .option(
      "--trace <file>",
      "a trace: CSV (arrival_s,prompt_tokens,output_tokens or the Azure 2023 format) or JSONL",
    )
    .option(
      "--profile <file|name>",
      `time-model profile JSON/YAML, or a shipped name (${profileNames().join(", ")})`,
    )
    .option(
      "--clients <n>",
      `clients (model replicas, ≤ ${SERVING_LIMITS.clients}); default: the preset's, else ${DEFAULT_CLIENTS}`,
      intArg({ min: 1, max: SERVING_LIMITS.clients }),
    )
    .option(
      "--param <policy.name=value>",
      "a policy parameter, repeatable (e.g. hybrid.lambda=0.5)",
      collectPairs,
    )
    .option(
      "--predictor <name[:k=v,…]>",
      `output lengths the policies plan with: ${predictorNames().join(", ")} (default: the true lengths; e.g. buckets, noise:sigma=0.5)`,
    )
    .option(
      "--history <file>",
      "a trace or `serving batch` results file the predictor is fitted on (default: the workload, in sample)",
    );
}

/** The --verbose line of simulate and compare. */
const POLICY_VERBOSE =
  "log each policy's start, timing and event rate, and the bound's packing MIP (see below)";

/** What --verbose and Ctrl-C do in simulate/compare, for `--help`. */
const VERBOSE_HELP = [
  "--verbose logs when each policy starts, its iterations, events and events/s when it ends, and",
  "the bound's packing MIP (time, incumbent, bound) once a second. Ctrl-C stops the policy that",
  "is running; the finished ones are reported and written (status interrupted, exit 130).",
].join("\n");

/** The policies and their parameters, for `--help`. */
function policyHelp(): string {
  const lines = ["", "Policies (--param policy.name=value):"];
  for (const p of policies.describe()) {
    lines.push(`  ${p.name}: ${p.summary}`);
    for (const q of p.params)
      lines.push(
        `    ${q.name} (${q.type}${q.default === null ? "" : `, default ${JSON.stringify(q.default)}`})${q.description ? `: ${q.description}` : ""}`,
      );
  }
  return lines.join("\n");
}

function withOutputFlags(cmd: Command): Command {
  return cmd
    .option("--requests-csv <file>", "write per-request timings (CSV)")
    .option("--chrome-trace <file>", "write iterations as Chrome-trace JSON (opens in Perfetto)")
    .option("--report <file>", "write a self-contained HTML report")
    .option("--force", "overwrite existing output files");
}

/** The output files asked for, checked before any work (flags name them in errors). */
function outputFiles(flags: OutputFlags, w: Workload): ComparisonFiles {
  const files: ComparisonFiles = {
    requestsCsv: flags.requestsCsv,
    chromeTrace: flags.chromeTrace,
    report: flags.report,
  };
  const outs = [
    { path: files.requestsCsv, flag: "--requests-csv" },
    { path: files.chromeTrace, flag: "--chrome-trace" },
    { path: files.report, flag: "--report" },
  ].flatMap(({ path, flag }) => (path === undefined ? [] : [{ path, flag }]));
  checkOutputPaths(outs, { force: flags.force, inputs: w.inputs });
  return files;
}

/** Runs `policies` on the workload, writes the files asked for, prints the comparison. */
async function runComparison(
  w: Workload,
  policies: string[],
  flags: WorkloadFlags & OutputFlags & { timeLimit?: number },
): Promise<void> {
  const files = outputFiles(flags, w);
  checkWorkload(w.trace, w.profile, w.clients, flags.trace ?? w.trace.name);
  const { signal, dispose } = interruptSignal();
  const bar = progressFor(flags);
  try {
    log(
      flags,
      `${w.trace.name}: ${w.trace.requests.length} requests, ${w.clients} clients, profile ${w.profile.name}`,
    );
    const r = await comparePolicies(w.trace, w.profile, {
      clients: w.clients,
      policies,
      policyParams: w.policyParams,
      predictor: w.predictor,
      packingTimeLimit: flags.timeLimit,
      signal,
      onProgress: bar.update,
      onPolicy: flags.verbose ? (e) => verbosePolicy(flags, e) : undefined,
      onPacking: flags.verbose ? verbosePacking(flags) : undefined,
    });
    bar.stop();
    if (r.status === "interrupted")
      log(
        flags,
        `interrupted: ${r.policies.length} of ${r.policies.length + r.unfinished.length} policies finished; reporting and writing those`,
      );
    const written = await writeComparisonFiles(r, files, {
      force: flags.force,
      inputs: w.inputs,
      notes: calibrationNotes(w),
    });
    for (const f of written) log(flags, `wrote ${f}`);
    emit(flags, comparisonDocument(w, r), () => comparisonText(w, r));
  } finally {
    bar.stop();
    dispose();
  }
}

/** --verbose: a line when each policy starts, and its timing and event rate when it ends. */
function verbosePolicy(flags: GlobalFlags, e: PolicyEvent): void {
  if (e.phase === "start") log(flags, `${e.name}: simulating`);
  else if (!e.run) log(flags, `${e.name}: stopped`);
  else {
    const { iterations, events, wallSeconds: s } = e.run;
    log(
      flags,
      `${e.name}: ${iterations} iterations, ${events} events in ${s.toFixed(2)} s (${Math.round(events / Math.max(s, 1e-9))} events/s)`,
    );
  }
}

/** --verbose: the bound's packing MIP, a line per second at most (time, incumbent, bound). */
function verbosePacking(flags: GlobalFlags): NonNullable<CompareOptions["onPacking"]> {
  let last = Number.NEGATIVE_INFINITY;
  return (p) => {
    if (p.seconds - last < 1) return;
    last = p.seconds;
    const f = (v: number | null) => (v === null ? "-" : v.toFixed(3));
    log(
      flags,
      `packing MIP: ${p.seconds.toFixed(1)} s, incumbent ${f(p.incumbent)} s, bound ${f(p.bound)} s`,
    );
  };
}

type SimulateFlags = WorkloadFlags & OutputFlags & { policy: string };

async function simulateCommand(flags: SimulateFlags): Promise<void> {
  const w = await resolveWorkload(workloadOptions(flags, flags.policy));
  await runComparison(w, [flags.policy], flags);
}

type CompareFlags = WorkloadFlags & OutputFlags & { policies?: string[]; timeLimit?: number };

async function compareCommand(flags: CompareFlags): Promise<void> {
  const w = await resolveWorkload(workloadOptions(flags));
  await runComparison(w, flags.policies ?? policyNames(), flags);
}

type StudyFlags = WorkloadFlags & {
  cases: number;
  requestsPerCase?: number;
  seed: number;
  baseline: string;
  sigmas?: number[];
};

async function studyCommand(flags: StudyFlags): Promise<void> {
  const w = await resolveWorkload(workloadOptions(flags, undefined, DEFAULT_STUDY_PRESET));
  const { signal, dispose } = interruptSignal();
  const bar = progressFor(flags);
  try {
    const s = await runStudy(w.trace, w.profile, {
      cases: flags.cases,
      clients: w.clients,
      requestsPerCase: flags.requestsPerCase,
      seed: flags.seed,
      baseline: flags.baseline,
      policyParams: w.policyParams,
      predictor: w.predictor,
      sigmas: flags.sigmas,
      signal,
      onProgress: bar.update,
      onCase: flags.verbose
        ? (c) =>
            log(
              flags,
              `case seed ${c.seed}: ${c.requests} requests, ${flags.baseline} ${c.baselineMakespanSeconds.toFixed(2)} s, hybrid ${c.candidateMakespanSeconds.toFixed(2)} s, bound ${c.lowerBoundSeconds.toFixed(2)} s`,
            )
        : undefined,
    });
    bar.stop();
    if (s.status === "interrupted")
      log(flags, `interrupted: ${s.cases.length} of ${s.casesRequested} cases finished; reporting those`);
    emit(flags, studyDocument(w, s), () => studyText(w, s));
  } finally {
    bar.stop();
    dispose();
  }
}

type FitFlags = GlobalFlags & { input: string; base?: string; name: string; out?: string; force?: boolean };

async function fitCommand(flags: FitFlags): Promise<void> {
  const outs = flags.out === undefined ? [] : [{ path: flags.out, flag: "--out" }];
  checkOutputPaths(outs, { force: flags.force, inputs: [flags.input] });
  const r = await fitProfile(flags.input, { base: flags.base, name: flags.name, baseWhere: "--base" });
  if (flags.out !== undefined) {
    await writeAtomic(flags.out, `${JSON.stringify(r.profile, null, 2)}\n`, {
      force: flags.force,
      inputs: [flags.input],
    });
    log(flags, `wrote ${flags.out}`);
  }
  emit(flags, r, () => fitText(r));
}

/** Writes a trace as CSV (with `comment` lines on top) and prints its statistics. */
async function writeTrace(
  flags: GlobalFlags & { out: string; force?: boolean },
  t: Trace,
  comment: string,
  inputs: string[],
  summary: (st: ReturnType<typeof traceStats>) => string,
): Promise<void> {
  await writeAtomic(flags.out, traceToCsv(t, comment), { force: flags.force, inputs });
  const st = traceStats(t);
  emit(flags, { out: flags.out, ...st }, () => `wrote ${flags.out}: ${summary(st)}`);
}

type Gsm8kFlags = GlobalFlags & { input: string; out: string; shots: number; force?: boolean };

async function gsm8kCommand(flags: Gsm8kFlags): Promise<void> {
  checkOutputPaths([{ path: flags.out, flag: "--out" }], { force: flags.force, inputs: [flags.input] });
  const t = await readGsm8kTrace(flags.input, { shots: flags.shots });
  await writeTrace(
    flags,
    t,
    `${GSM8K_ATTRIBUTION}\n${t.source}`,
    [flags.input],
    (st) =>
      `${st.requests} requests, mean prompt ${st.meanPromptTokens.toFixed(1)} tokens, mean output ${st.meanOutputTokens.toFixed(1)} tokens`,
  );
}

type SyntheticFlags = GlobalFlags & {
  requests: number;
  out: string;
  rate: number;
  promptMedian: number;
  outputMedian: number;
  sigma: number;
  seed: number;
  force?: boolean;
};

async function syntheticCommand(flags: SyntheticFlags): Promise<void> {
  checkOutputPaths([{ path: flags.out, flag: "--out" }], { force: flags.force });
  const t = lognormalTrace({
    requests: flags.requests,
    ratePerSecond: flags.rate,
    promptMedian: flags.promptMedian,
    outputMedian: flags.outputMedian,
    sigma: flags.sigma,
    seed: flags.seed,
  });
  await writeTrace(
    flags,
    t,
    t.source,
    [],
    (st) => `${st.requests} requests over ${st.durationSeconds.toFixed(1)} s`,
  );
}

function registerSimulate(serving: Command): void {
  const cmd = withOutputFlags(
    withWorkloadFlags(
      serving
        .command("simulate")
        .description("Simulate one policy on a trace and print its metrics.")
        .addOption(choiceOption("--policy <name>", "the policy", policyNames()).makeOptionMandatory()),
      "a shipped workload",
    ),
  );
  withCommonFlags(cmd, POLICY_VERBOSE);
  cmd.addHelpText("after", `${policyHelp()}\n\n${VERBOSE_HELP}`);
  withExamples(cmd, [
    "frugal serving simulate --preset gsm8k-llama65b --policy hybrid",
    "frugal serving simulate --trace AzureLLMInferenceTrace_conv.csv --policy vllm-v1 --clients 8 --requests-csv out.csv",
    "frugal serving simulate --trace t.jsonl --policy hybrid --param lambda=1 --json",
  ]);
  cmd.action(action(simulateCommand));
}

function registerCompare(serving: Command): void {
  const cmd = withOutputFlags(
    withWorkloadFlags(
      serving
        .command("compare")
        .description(
          "Simulate every policy on the same workload, with the lower bound and each policy's gap to it.",
        )
        .option(
          "--policies <list>",
          `comma-separated policies (default: all of ${policyNames().join(",")})`,
          listArg(policyNames()),
        )
        .option(
          "--time-limit <seconds>",
          "time limit of the packing MIP for the bound (default 10)",
          positiveNumber,
        ),
      "a shipped workload",
    ),
  );
  withCommonFlags(cmd, POLICY_VERBOSE);
  cmd.addHelpText("after", `${policyHelp()}\n\n${VERBOSE_HELP}`);
  withExamples(cmd, [
    "frugal serving compare --preset gsm8k-llama65b",
    "frugal serving compare --trace AzureLLMInferenceTrace_conv.csv --clients 8 --report azure.html",
    "frugal serving compare --preset gsm8k-llama65b --param hybrid.lambda=1 --json | jq '.policies[] | {name, makespanSeconds}'",
  ]);
  cmd.action(action(compareCommand));
}

function registerStudy(serving: Command): void {
  const cmd = withWorkloadFlags(
    serving
      .command("study")
      .description(
        "The paper's random-case study: baseline vs hybrid on random request subsets; mean/min/max improvement.",
      )
      .option("--cases <n>", "random cases", positiveInt, 100)
      .option("--requests-per-case <n>", "requests per case (default: random between n/4 and n)", positiveInt)
      .option("--seed <n>", "seed of the first case (case k uses seed + k)", seedArg, 1)
      .addOption(choiceOption("--baseline <policy>", "baseline policy", policyNames()).default("vllm-v0"))
      .option(
        "--sigmas <list>",
        "also run hybrid with noisy lengths (true × exp(σ·Z)) at each σ, e.g. 0,0.25,0.5,1: how much of the gain survives",
        numberListArg({ min: 0, max: 10 }),
      ),
    `workload to sample from (default ${DEFAULT_STUDY_PRESET})`,
  );
  withCommonFlags(cmd, "log each case (seed, requests, both makespans, the bound)");
  cmd.addHelpText(
    "after",
    "\n--verbose logs each case (seed, requests, both makespans, the bound). Ctrl-C stops after the\nfinished cases and reports them (status interrupted, exit 130).",
  );
  withExamples(cmd, [
    "frugal serving study --cases 100",
    "frugal serving study --cases 20 --requests-per-case 400 --json",
  ]);
  cmd.action(action(studyCommand));
}

function registerFit(serving: Command): void {
  const cmd = serving
    .command("fit")
    .description(
      "Fit the time model's coefficients from measured iterations (CSV: phase,batch,tokens,seconds).",
    )
    .requiredOption("--input <file>", "measured rows: phase (prefill|decode), batch, tokens, seconds")
    .option("--base <file|name>", `take client limits from this profile (default ${DEFAULT_PROFILE})`)
    .option("--name <name>", "name of the fitted profile", "fitted")
    .option("--out <file>", "write the fitted profile JSON")
    .option("--force", "overwrite the output");
  withCommonFlags(cmd);
  withExamples(cmd, [
    "frugal serving fit --input measured.csv --out my.profile.json",
    "frugal serving fit --input measured.csv --json",
  ]);
  cmd.action(action(fitCommand));
}

function registerTrace(serving: Command): void {
  const trace = serving
    .command("trace")
    .description("Build traces: GSM8K tokenized with LLaMA's tokenizer, or synthetic.");
  withExamples(trace, [
    "frugal serving trace gsm8k --input test.jsonl --out gsm8k.csv",
    "frugal serving trace synthetic --requests 1000 --rate 5 --seed 7 --out synth.csv",
  ]);
  const g = trace
    .command("gsm8k")
    .description(
      'Turn GSM8K\'s test.jsonl into a trace (prompt "Question: …\\nAnswer:", reference answers as outputs).',
    )
    .requiredOption("--input <file>", "GSM8K test.jsonl")
    .requiredOption("--out <file>", "output CSV")
    .option("--shots <k>", "few-shot examples taken from the end of the file", intArg({ min: 0 }), 0)
    .option("--force", "overwrite the output");
  withCommonFlags(g);
  withExamples(g, ["frugal serving trace gsm8k --input test.jsonl --out gsm8k.csv"]);
  g.action(action(gsm8kCommand));

  const syn = trace
    .command("synthetic")
    .description("A seeded synthetic trace: Poisson arrivals, log-normal lengths.")
    .requiredOption(
      "--requests <n>",
      `requests (≤ ${SERVING_LIMITS.requests})`,
      intArg({ min: 1, max: SERVING_LIMITS.requests }),
    )
    .requiredOption("--out <file>", "output CSV")
    .option("--rate <per-second>", "arrival rate (0: an offline batch)", nonNegativeNumber, 0)
    .option(
      "--prompt-median <tokens>",
      "median prompt tokens",
      positiveNumber,
      LOGNORMAL_TRACE_DEFAULTS.promptMedian,
    )
    .option(
      "--output-median <tokens>",
      "median output tokens",
      positiveNumber,
      LOGNORMAL_TRACE_DEFAULTS.outputMedian,
    )
    .option(
      "--sigma <s>",
      "log-normal sigma of both lengths",
      nonNegativeNumber,
      LOGNORMAL_TRACE_DEFAULTS.sigma,
    )
    .option("--seed <n>", "seed", seedArg, 0)
    .option("--force", "overwrite the output");
  withCommonFlags(syn);
  withExamples(syn, ["frugal serving trace synthetic --requests 1000 --rate 5 --seed 7 --out synth.csv"]);
  syn.action(action(syntheticCommand));
}

/** Adds the command and its subcommands to the program (its name, summary and example are in commands.ts). */
export const command: CliModule = {
  register(program: Command) {
    const serving = program
      .command("serving")
      .description(
        "LLM inference scheduling: a discrete-event serving simulator, policies, offline packing and bounds.",
      );
    withExamples(serving, [
      "frugal serving compare --preset gsm8k-llama65b --report serving.html",
      "frugal serving simulate --trace trace.csv --policy vllm-v0 --clients 8",
      "frugal serving study --cases 100",
      "frugal serving batch requests.jsonl --endpoint http://localhost:8000/v1 --out results.jsonl",
    ]);
    registerSimulate(serving);
    registerCompare(serving);
    registerStudy(serving);
    registerFit(serving);
    registerTrace(serving);
    registerBatch(serving);
  },
};
