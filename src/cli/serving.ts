/**
 * `frugal serving simulate|compare|study|fit|trace`: LLM serving policies on a discrete-event
 * simulator (vLLM V0/V1, Orca, and the hybrid offline-online method), lower bounds, outputs.
 */
import { existsSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { highsVersion } from "../mip/index.js";
import {
  BREAKDOWN_COLUMNS,
  breakdownRows,
  builtinProfile,
  type CompareResult,
  chromeTrace,
  comparePolicies,
  fitTimeModel,
  gsm8kTrace,
  loadPreset,
  POLICY_COLUMNS,
  type PresetSpec,
  type Profile,
  ProfileSchema,
  policyNames,
  policyRows,
  readFitCsv,
  readProfile,
  readTrace,
  requestsCsv,
  runStudy,
  servingReportHtml,
  syntheticTrace,
  type Trace,
  traceStats,
  traceToCsv,
} from "../serving/index.js";
import { readText, writeAtomic } from "../util/files.js";
import { renderTable } from "../util/table.js";
import { frugalVersion } from "../util/version.js";
import { positiveInt, positiveNumber } from "./args.js";
import type { CliCommand } from "./command.js";
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

interface WorkloadFlags extends GlobalFlags {
  preset?: string;
  trace?: string;
  profile?: string;
  clients?: number;
  param?: string[];
  force?: boolean;
  requestsCsv?: string;
  chromeTrace?: string;
  report?: string;
}

/** `--param hybrid.lambda=0.5` (or `lambda=0.5` for simulate's single policy). */
function collectParam(v: string, prev: string[] = []): string[] {
  if (!/^[a-zA-Z0-9.-]+=.+$/.test(v))
    throw new InvalidArgumentError(`--param must look like name=value or policy.name=value, got "${v}"`);
  return [...prev, v];
}

function parseParams(list: string[] | undefined, single?: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const kv of list ?? []) {
    const [k, ...rest] = kv.split("=");
    const raw = rest.join("=");
    const dot = k!.lastIndexOf(".");
    const policy = dot >= 0 ? k!.slice(0, dot) : single;
    const name = dot >= 0 ? k!.slice(dot + 1) : k!;
    if (!policy)
      throw usage("--param", `"${kv}" names no policy`, "write policy.name=value, e.g. hybrid.lambda=0.5");
    const num = Number(raw);
    out[policy] ??= {};
    out[policy][name] = raw === "true" ? true : raw === "false" ? false : Number.isFinite(num) ? num : raw;
  }
  return out;
}

async function resolveProfile(flag: string | undefined, fallback: string): Promise<Profile> {
  if (!flag) return builtinProfile(fallback);
  if (existsSync(flag)) return readProfile(flag);
  if (/^[a-z0-9-]+$/.test(flag)) return builtinProfile(flag);
  return readProfile(flag);
}

interface Workload {
  trace: Trace;
  profile: Profile;
  clients: number;
  preset?: PresetSpec;
  params: Record<string, Record<string, unknown>>;
  inputs: string[];
}

async function resolveWorkload(flags: WorkloadFlags, single?: string): Promise<Workload> {
  if (flags.preset && flags.trace)
    throw usage("--preset", "both --preset and --trace given", "give one of them");
  if (!flags.preset && !flags.trace)
    throw usage("--trace", "no workload given", "pass --trace FILE or --preset gsm8k-llama65b");
  const cli = parseParams(flags.param, single);
  if (flags.preset) {
    const p = loadPreset(flags.preset);
    const params = { ...p.spec.policyParams };
    for (const [k, v] of Object.entries(cli)) params[k] = { ...(params[k] ?? {}), ...v };
    return {
      trace: p.trace,
      profile: flags.profile ? await resolveProfile(flags.profile, p.spec.profile) : p.profile,
      clients: flags.clients ?? p.spec.clients,
      preset: p.spec,
      params,
      inputs: [],
    };
  }
  const trace = await readTrace(flags.trace!);
  return {
    trace,
    profile: await resolveProfile(flags.profile, "llama65b"),
    clients: flags.clients ?? 4,
    params: cli,
    inputs: [flags.trace!],
  };
}

function withWorkloadFlags(cmd: Command): Command {
  return cmd
    .option("--preset <name>", "a shipped workload: gsm8k-llama65b")
    .option(
      "--trace <file>",
      "a trace: CSV (arrival_s,prompt_tokens,output_tokens or the Azure 2023 format) or JSONL",
    )
    .option("--profile <file|name>", "time-model profile JSON/YAML, or a shipped name (llama65b)")
    .option("--clients <n>", "clients (model replicas); default: the preset's, else 4", positiveInt)
    .option(
      "--param <policy.name=value>",
      "a policy parameter, repeatable (e.g. hybrid.lambda=0.5)",
      collectParam,
    )
    .option("--requests-csv <file>", "write per-request timings (CSV)")
    .option("--chrome-trace <file>", "write iterations as Chrome-trace JSON (opens in Perfetto)")
    .option("--report <file>", "write a self-contained HTML report")
    .option("--force", "overwrite existing output files");
}

async function writeOutputs(
  flags: WorkloadFlags,
  w: Workload,
  r: CompareResult,
  notes: string[],
): Promise<void> {
  const opts = { force: flags.force, inputs: w.inputs };
  if (flags.requestsCsv) {
    const parts = r.runs.map((run, i) => {
      const csv = requestsCsv(run);
      return i === 0 ? csv : csv.slice(csv.indexOf("\n") + 1);
    });
    await writeAtomic(flags.requestsCsv, parts.join(""), opts);
    log(flags, `wrote ${flags.requestsCsv}`);
  }
  if (flags.chromeTrace) {
    await writeAtomic(flags.chromeTrace, chromeTrace(r.runs), opts);
    log(flags, `wrote ${flags.chromeTrace}`);
  }
  if (flags.report) {
    await writeAtomic(flags.report, servingReportHtml(r, { notes }), opts);
    log(flags, `wrote ${flags.report}`);
  }
}

function calibrationNotes(w: Workload): string[] {
  if (!w.preset) return [];
  return [w.preset.description, `Calibration: ${w.preset.calibration}`];
}

function comparisonJson(w: Workload, r: CompareResult, solver: string) {
  return {
    preset: w.preset?.name ?? null,
    trace: r.trace,
    requests: r.requests,
    clients: r.clients,
    profile: w.profile.name,
    maxBatchSize: w.profile.client.maxBatchSize,
    kvBlocks: w.profile.client.kvBlocks,
    policyParams: w.params,
    lowerBound: r.lowerBound,
    policies: r.policies.map((p) => {
      const { clients, ...critical } = p.breakdown;
      return { ...p.metrics, name: p.name, plan: p.plan ?? null, gapBreakdown: { ...critical, clients } };
    }),
    paper: w.preset?.paper ?? null,
    notes: calibrationNotes(w),
    versions: { frugal: frugalVersion(), solver },
  };
}

function comparisonTable(r: CompareResult): string {
  return renderTable(POLICY_COLUMNS, policyRows(r), { digits: 2 });
}

/** Where each policy's time above the bound goes, on the client that finishes last (breakdown.ts). */
function breakdownTable(r: CompareResult): string {
  return renderTable(BREAKDOWN_COLUMNS, breakdownRows(r), { digits: 2 });
}

/** The issue's two goals, computed from this run (hybrid versus vllm-v0). */
function goalLine(r: CompareResult): string | null {
  const v0 = r.policies.find((p) => p.name === "vllm-v0")?.metrics;
  const hy = r.policies.find((p) => p.name === "hybrid")?.metrics;
  if (!v0 || !hy || hy.gapToLowerBound === null) return null;
  const gain = 100 * (hy.slotUtilization - v0.slotUtilization);
  const gap = 100 * hy.gapToLowerBound;
  return `goals: hybrid slot utilization ${gain >= 0 ? "+" : ""}${gain.toFixed(1)} points over vllm-v0 (goal ≥ +8.9: ${gain >= 8.9 ? "met" : "not met"}), ${gap.toFixed(2)}% above the lower bound (goal ≤ 6%: ${gap <= 6 ? "met" : "not met"})`;
}

async function runCompare(
  policies: string[],
  flags: WorkloadFlags & { timeLimit?: number },
  single?: string,
): Promise<void> {
  const w = await resolveWorkload(flags, single);
  const { signal, dispose } = interruptSignal();
  const bar = progressFor(flags);
  try {
    const st = traceStats(w.trace);
    log(flags, `${w.trace.name}: ${st.requests} requests, ${w.clients} clients, profile ${w.profile.name}`);
    const r = await comparePolicies(w.trace, w.profile, {
      clients: w.clients,
      policies,
      policyParams: w.params,
      packingTimeLimit: flags.timeLimit,
      signal,
      onProgress: bar.update,
    });
    bar.stop();
    const notes = calibrationNotes(w);
    await writeOutputs(flags, w, r, notes);
    const solver = await highsVersion().catch(() => "HiGHS");
    emit(flags, comparisonJson(w, r, solver), () => {
      const lb = r.lowerBound;
      const lines = [
        `${r.trace}: ${r.requests} requests on ${r.clients} clients (profile ${w.profile.name}, max batch ${w.profile.client.maxBatchSize}, ${w.profile.client.kvBlocks} KV blocks)`,
        "",
        comparisonTable(r),
        "",
        `lower bound ${lb.seconds.toFixed(2)} s (work ${lb.workSeconds.toFixed(2)}, chain ${lb.chainSeconds.toFixed(2)}${lb.packingSeconds === null ? "" : `, packing ${lb.packingSeconds.toFixed(2)}`}; binding ${lb.binding})`,
        "",
        "where the time above the bound goes (client finishing last; docs/serving.md):",
        breakdownTable(r),
        "",
      ];
      for (const p of r.policies)
        if (p.plan)
          lines.push(
            `${p.name}: ${p.plan.kind}${p.plan.status ? ` ${p.plan.status}` : ""}${p.plan.notes?.length ? ` — ${p.plan.notes[0]}` : ""}`,
          );
      const rej = r.policies.filter((p) => p.metrics.rejected > 0);
      for (const p of rej)
        lines.push(
          `${p.name}: ${p.metrics.rejected} request(s) rejected (can never fit the KV cache or the prompt budget)`,
        );
      const goals = w.preset ? goalLine(r) : null;
      if (goals) lines.push(goals);
      if (w.preset?.paper) {
        const pp = w.preset.paper;
        lines.push(
          "",
          `paper (${pp.reference}): baseline ${pp.baselineMakespanSeconds} s at ${(100 * Number(pp.baselineUtilization)).toFixed(1)}%, hybrid ${pp.hybridMakespanSeconds} s at ${(100 * Number(pp.hybridUtilization)).toFixed(1)}%`,
          ...notes.map((n) => `note: ${n}`),
        );
      }
      return lines.join("\n");
    });
  } finally {
    bar.stop();
    dispose();
  }
}

export const command: CliCommand = {
  name: "serving",
  summary: "simulate and compare LLM serving policies (vLLM, Orca, hybrid offline-online)",
  example: "frugal serving compare --preset gsm8k-llama65b",
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
    ]);

    const sim = withWorkloadFlags(
      serving
        .command("simulate")
        .description("Simulate one policy on a trace and print its metrics.")
        .requiredOption("--policy <name>", `one of ${policyNames().join(", ")}`),
    );
    withCommonFlags(sim);
    withExamples(sim, [
      "frugal serving simulate --preset gsm8k-llama65b --policy hybrid",
      "frugal serving simulate --trace AzureLLMInferenceTrace_conv.csv --policy vllm-v1 --clients 8 --requests-csv out.csv",
      "frugal serving simulate --trace t.jsonl --policy hybrid --param lambda=1 --json",
    ]);
    sim.action(
      action(async (opts: WorkloadFlags & { policy: string }) => {
        if (!policyNames().includes(opts.policy))
          throw usage(
            "--policy",
            `unknown policy "${opts.policy}"`,
            `use one of ${policyNames().join(", ")}`,
          );
        await runCompare([opts.policy], opts, opts.policy);
      }),
    );

    const cmp = withWorkloadFlags(
      serving
        .command("compare")
        .description(
          "Simulate every policy on the same workload, with the lower bound and each policy's gap to it.",
        )
        .option("--policies <list>", "comma-separated policies (default: all)")
        .option(
          "--time-limit <seconds>",
          "time limit of the packing MIP for the bound (default 10)",
          positiveNumber,
        ),
    );
    withCommonFlags(cmp);
    withExamples(cmp, [
      "frugal serving compare --preset gsm8k-llama65b",
      "frugal serving compare --trace AzureLLMInferenceTrace_conv.csv --clients 8 --report azure.html",
      "frugal serving compare --preset gsm8k-llama65b --param hybrid.lambda=1 --json | jq '.policies[] | {name, makespanSeconds}'",
    ]);
    cmp.action(
      action(async (opts: WorkloadFlags & { policies?: string; timeLimit?: number }) => {
        const list = opts.policies ? opts.policies.split(",").map((s) => s.trim()) : policyNames();
        for (const p of list)
          if (!policyNames().includes(p))
            throw usage("--policies", `unknown policy "${p}"`, `use ${policyNames().join(", ")}`);
        await runCompare(list, opts);
      }),
    );

    const study = serving
      .command("study")
      .description(
        "The paper's random-case study: baseline vs hybrid on random request subsets; mean/min/max improvement.",
      )
      .option("--preset <name>", "workload to sample from (default gsm8k-llama65b)")
      .option("--trace <file>", "sample from this trace instead")
      .option("--profile <file|name>", "time-model profile")
      .option("--clients <n>", "clients", positiveInt)
      .option("--cases <n>", "random cases (default 100)", positiveInt, 100)
      .option("--requests-per-case <n>", "requests per case (default: random between n/4 and n)", positiveInt)
      .option("--seed <n>", "seed of the first case (case k uses seed + k)", (v) => Number.parseInt(v, 10), 1)
      .option("--baseline <policy>", "baseline policy", "vllm-v0")
      .option("--param <policy.name=value>", "a policy parameter, repeatable", collectParam);
    withCommonFlags(study);
    withExamples(study, [
      "frugal serving study --cases 100",
      "frugal serving study --cases 20 --requests-per-case 400 --json",
    ]);
    study.action(
      action(
        async (
          opts: WorkloadFlags & { cases: number; requestsPerCase?: number; seed: number; baseline: string },
        ) => {
          if (!opts.trace && !opts.preset) opts.preset = "gsm8k-llama65b";
          const w = await resolveWorkload(opts);
          const { signal, dispose } = interruptSignal();
          const bar = progressFor(opts);
          try {
            const s = await runStudy(w.trace, w.profile, {
              cases: opts.cases,
              clients: w.clients,
              requestsPerCase: opts.requestsPerCase,
              seed: opts.seed,
              baseline: opts.baseline,
              policyParams: w.params,
              signal,
              onProgress: bar.update,
            });
            bar.stop();
            emit(
              opts,
              {
                preset: w.preset?.name ?? null,
                clients: w.clients,
                profile: w.profile.name,
                ...s,
                notes: calibrationNotes(w),
              },
              () => {
                const f = (x: { mean: number; min: number; max: number }, k = 1, d = 2) =>
                  [x.mean * k, x.min * k, x.max * k].map((v) => v.toFixed(d));
                return [
                  `${s.cases.length} random cases of ${w.trace.name} on ${w.clients} clients: ${s.candidate} vs ${s.baseline}`,
                  "",
                  renderTable(
                    ["quantity", "mean", "min", "max"],
                    [
                      ["slot utilization gain (points)", ...f(s.utilizationGainPoints)],
                      ["makespan reduction (%)", ...f(s.makespanReduction, 100)],
                      [`${s.candidate} gap to lower bound (%)`, ...f(s.candidateGapToLowerBound, 100)],
                    ],
                  ),
                  "",
                  `${s.candidate} faster in ${s.wins} of ${s.cases.length} cases (paper: +8.0% utilization on average over 100 cases)`,
                ].join("\n");
              },
            );
          } finally {
            bar.stop();
            dispose();
          }
        },
      ),
    );

    const fit = serving
      .command("fit")
      .description(
        "Fit the time model's coefficients from measured iterations (CSV: phase,batch,tokens,seconds).",
      )
      .requiredOption("--input <file>", "measured rows: phase (prefill|decode), batch, tokens, seconds")
      .option("--base <file|name>", "take client limits and name from this profile (default llama65b)")
      .option("--name <name>", "name of the fitted profile", "fitted")
      .option("--out <file>", "write the fitted profile JSON")
      .option("--force", "overwrite the output");
    withCommonFlags(fit);
    withExamples(fit, [
      "frugal serving fit --input measured.csv --out my.profile.json",
      "frugal serving fit --input measured.csv --json",
    ]);
    fit.action(
      action(
        async (
          opts: GlobalFlags & { input: string; base?: string; name: string; out?: string; force?: boolean },
        ) => {
          const rows = await readFitCsv(opts.input);
          const r = fitTimeModel(rows, opts.input);
          const base = await resolveProfile(opts.base, "llama65b");
          const profile: Profile = ProfileSchema.parse({
            name: opts.name,
            description: `fitted from ${rows.length} measured iterations`,
            source: `frugal serving fit (non-negative least squares) on ${opts.input}; client limits from ${base.name}`,
            timeModel: r.timeModel,
            client: base.client,
            notes: { prefillFit: r.prefill, decodeFit: r.decode },
          });
          if (opts.out) {
            await writeAtomic(opts.out, `${JSON.stringify(profile, null, 2)}\n`, {
              force: opts.force,
              inputs: [opts.input],
            });
            log(opts, `wrote ${opts.out}`);
          }
          emit(opts, { profile, prefill: r.prefill, decode: r.decode }, () =>
            renderTable(
              ["phase", "coefficient", "seconds", "rows", "rmse_s", "r2"],
              [
                [
                  "prefill",
                  "alpha",
                  r.timeModel.prefill.alpha,
                  r.prefill.rows,
                  r.prefill.rmseSeconds,
                  r.prefill.r2,
                ],
                ["prefill", "beta (per token)", r.timeModel.prefill.beta, null, null, null],
                ["prefill", "gamma (per token²)", r.timeModel.prefill.gamma, null, null, null],
                [
                  "decode",
                  "alpha",
                  r.timeModel.decode.alpha,
                  r.decode.rows,
                  r.decode.rmseSeconds,
                  r.decode.r2,
                ],
                ["decode", "beta (per request)", r.timeModel.decode.beta, null, null, null],
                ["decode", "delta (per context token)", r.timeModel.decode.delta, null, null, null],
              ],
              { digits: 6 },
            ),
          );
        },
      ),
    );

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
      .option(
        "--shots <k>",
        "few-shot examples taken from the end of the file (default 0)",
        (v) => Number.parseInt(v, 10),
        0,
      )
      .option("--force", "overwrite the output");
    withCommonFlags(g);
    withExamples(g, ["frugal serving trace gsm8k --input test.jsonl --out gsm8k.csv"]);
    g.action(
      action(async (opts: GlobalFlags & { input: string; out: string; shots: number; force?: boolean }) => {
        if (!Number.isInteger(opts.shots) || opts.shots < 0)
          throw usage("--shots", `"${opts.shots}" is not an integer ≥ 0`, "e.g. --shots 8");
        const t = gsm8kTrace(await readText(opts.input), opts.input, { shots: opts.shots });
        await writeAtomic(
          opts.out,
          traceToCsv(t, `GSM8K test split (Cobbe et al. 2021, MIT license).\n${t.source}`),
          {
            force: opts.force,
            inputs: [opts.input],
          },
        );
        const st = traceStats(t);
        emit(
          opts,
          { out: opts.out, ...st },
          () =>
            `wrote ${opts.out}: ${st.requests} requests, mean prompt ${st.meanPromptTokens.toFixed(1)} tokens, mean output ${st.meanOutputTokens.toFixed(1)} tokens`,
        );
      }),
    );
    const syn = trace
      .command("synthetic")
      .description("A seeded synthetic trace: Poisson arrivals, log-normal lengths.")
      .requiredOption("--requests <n>", "requests", positiveInt)
      .requiredOption("--out <file>", "output CSV")
      .option("--rate <per-second>", "arrival rate (default 0: offline batch)", Number, 0)
      .option("--prompt-median <tokens>", "median prompt tokens", positiveNumber, 256)
      .option("--output-median <tokens>", "median output tokens", positiveNumber, 128)
      .option("--sigma <s>", "log-normal sigma of both lengths", Number, 0.8)
      .option("--seed <n>", "seed", (v) => Number.parseInt(v, 10), 0)
      .option("--force", "overwrite the output");
    withCommonFlags(syn);
    withExamples(syn, ["frugal serving trace synthetic --requests 1000 --rate 5 --seed 7 --out synth.csv"]);
    syn.action(
      action(
        async (
          opts: GlobalFlags & {
            requests: number;
            out: string;
            rate: number;
            promptMedian: number;
            outputMedian: number;
            sigma: number;
            seed: number;
            force?: boolean;
          },
        ) => {
          if (!(opts.rate >= 0)) throw usage("--rate", `"${opts.rate}" is not a number ≥ 0`, "e.g. --rate 5");
          const t = syntheticTrace({
            requests: opts.requests,
            ratePerSecond: opts.rate,
            prompt: { kind: "lognormal", median: opts.promptMedian, sigma: opts.sigma, max: 8192 },
            output: { kind: "lognormal", median: opts.outputMedian, sigma: opts.sigma, max: 4096 },
            seed: opts.seed,
          });
          await writeAtomic(opts.out, traceToCsv(t, t.source), { force: opts.force });
          const st = traceStats(t);
          emit(
            opts,
            { out: opts.out, ...st },
            () => `wrote ${opts.out}: ${st.requests} requests over ${st.durationSeconds.toFixed(1)} s`,
          );
        },
      ),
    );
  },
};
