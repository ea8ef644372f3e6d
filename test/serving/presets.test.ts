/** The shipped preset and profile, workloads, and the policy parameters they carry. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError, MisuseError } from "../../src/errors/index.js";
import {
  builtinProfile,
  comparePolicies,
  createPolicy,
  DEFAULT_CLIENTS,
  loadPreset,
  policyParamsFromPairs,
  profileNames,
  resolveProfile,
  resolveWorkload,
  servingPresetNames,
} from "../../src/serving/index.js";
import { UnknownNameError } from "../../src/util/registry.js";

describe("gsm8k-llama65b preset (the paper's setting)", () => {
  it("calibrated baseline near 201 s / 80%, hybrid ≥ +8.9 points; gap to the bound reported", async () => {
    const p = loadPreset("gsm8k-llama65b");
    expect(p.trace.requests.length).toBe(1319);
    const r = await comparePolicies(p.trace, p.profile, {
      clients: p.spec.clients,
      policyParams: p.spec.policyParams,
      policies: ["vllm-v0", "hybrid"],
    });
    const [v0, hy] = r.policies.map((x) => x.metrics);
    expect(Math.abs((v0?.makespanSeconds ?? 0) - 201) / 201).toBeLessThan(0.01); // fitted
    expect(Math.abs((v0?.slotUtilization ?? 0) - 0.802)).toBeLessThan(0.01); // fitted
    expect(100 * ((hy?.slotUtilization ?? 0) - (v0?.slotUtilization ?? 0))).toBeGreaterThanOrEqual(8.9); // predicted
    expect(hy?.makespanSeconds).toBeLessThan(v0?.makespanSeconds ?? 0);
    expect(hy?.gapToLowerBound).toBeLessThan(0.06); // the goal; measured 4.1% (docs/serving.md)
    expect(v0?.makespanSeconds).toBeGreaterThanOrEqual(r.lowerBound.seconds);
  });
});

describe("presets and profiles", () => {
  it("lists the shipped presets and profiles from their files", () => {
    expect(servingPresetNames()).toEqual(["gsm8k-llama65b"]);
    expect(profileNames()).toEqual(["llama65b"]);
  });

  it("an unknown preset or profile name is a typed error listing the shipped ones", async () => {
    expect(() => loadPreset("nope", "--preset")).toThrow(
      '--preset: unknown serving preset "nope"; use one of gsm8k-llama65b',
    );
    expect(() => builtinProfile("llama7b")).toThrow(UnknownNameError);
    await expect(resolveProfile("llama7b", "--profile")).rejects.toThrow(
      '--profile: unknown profile "llama7b"; use one of llama65b',
    );
    // Something that looks like a path is read as a file: a missing file says so.
    await expect(resolveProfile("missing/my.profile.json")).rejects.toThrow(InputError);
    await expect(resolveProfile("missing/my.profile.json")).rejects.not.toThrow(/use one of/);
  });
});

describe("workloads", () => {
  it("a preset gives its trace, profile, clients and parameters; the caller's parameters override them", async () => {
    const w = await resolveWorkload({
      preset: "gsm8k-llama65b",
      policyParams: { hybrid: { order: "fcfs" } },
    });
    expect(w.trace.requests.length).toBe(1319);
    expect(w.profile.name).toBe("llama65b-a100x2-tp2");
    expect(w.clients).toBe(4);
    expect(w.policyParams).toEqual({ hybrid: { lambda: 1, order: "fcfs" } });
    expect(w.inputs).toEqual([]);
  });

  it("a trace gets the default profile and clients, and counts as an input", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const file = join(dir, "t.csv");
    await writeFile(file, "arrival_s,prompt_tokens,output_tokens\n0,10,5\n");
    const w = await resolveWorkload({ trace: file });
    expect(w.clients).toBe(DEFAULT_CLIENTS);
    expect(w.profile.name).toBe(builtinProfile("llama65b").name);
    expect(w.inputs).toEqual([file]);
    expect(w.preset).toBeNull();
  });

  it("needs exactly one of a preset and a trace", async () => {
    await expect(resolveWorkload({})).rejects.toThrow(MisuseError);
    await expect(resolveWorkload({ preset: "gsm8k-llama65b", trace: "t.csv" })).rejects.toThrow(
      "preset: both a preset and a trace (trace) given; give one of them",
    );
  });
});

describe("policy parameters", () => {
  it("parses policy.name=value pairs (numbers, booleans, text) and name=value for one policy", () => {
    expect(
      policyParamsFromPairs(["hybrid.lambda=0.5", "hybrid.order=fcfs", "vllm-v0.routing=least-work"]),
    ).toEqual({
      hybrid: { lambda: 0.5, order: "fcfs" },
      "vllm-v0": { routing: "least-work" },
    });
    expect(policyParamsFromPairs(["lambda=2"], "hybrid")).toEqual({ hybrid: { lambda: 2 } });
  });

  it("unknown policies, unknown or misspelled parameters and bad values are typed errors naming where", () => {
    expect(() => policyParamsFromPairs(["fifo.x=1"], undefined, "--param")).toThrow(
      '--param: unknown policy "fifo"; use one of vllm-v0, vllm-v1, orca, hybrid',
    );
    expect(() => policyParamsFromPairs(["hybrid.bogus=1"], undefined, "--param")).toThrow(
      /^--param hybrid: Unrecognized key: "bogus"; hybrid takes lambda, order, /,
    );
    expect(() => policyParamsFromPairs(["hybrid.lamda=1"])).toThrow(InputError);
    expect(() => policyParamsFromPairs(["hybrid.lambda=-1"])).toThrow("policy parameters hybrid: lambda");
    expect(() => policyParamsFromPairs(["lambda=1"])).toThrow(
      'policy parameters: "lambda=1" is not policy.name=value; write e.g. hybrid.lambda=0.5',
    );
    expect(() => createPolicy("vllm-v0", { routing: "least-work", lambda: 1 })).toThrow(
      /^policy vllm-v0 parameters: Unrecognized key: "lambda"; vllm-v0 takes routing$/,
    );
  });

  it("the caller's parameters are checked when the workload is resolved, before any simulation", async () => {
    await expect(
      resolveWorkload({ preset: "gsm8k-llama65b", policyParams: { orca: { routing: "random" } } }),
    ).rejects.toThrow(/^policy parameters orca: routing: /);
  });
});
