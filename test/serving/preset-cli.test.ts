import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { command } from "../../src/cli/serving.js";
import { comparePolicies, loadPreset } from "../../src/serving/index.js";

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
    expect(Math.abs(v0!.makespanSeconds - 201) / 201).toBeLessThan(0.01); // fitted
    expect(Math.abs(v0!.slotUtilization - 0.802)).toBeLessThan(0.01); // fitted
    expect(100 * (hy!.slotUtilization - v0!.slotUtilization)).toBeGreaterThanOrEqual(8.9); // predicted
    expect(hy!.makespanSeconds).toBeLessThan(v0!.makespanSeconds);
    expect(hy!.gapToLowerBound!).toBeLessThan(0.06); // the goal; measured 4.1% (docs/serving.md)
    expect(v0!.makespanSeconds).toBeGreaterThanOrEqual(r.lowerBound.seconds);
  });
});

describe("frugal serving CLI", () => {
  let out = "";
  let err = "";
  beforeEach(() => {
    out = "";
    err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s) => {
      out += String(s);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      err += String(s);
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  const cli = async (...args: string[]) => {
    const p = new Command("frugal").exitOverride();
    p.configureOutput({ writeErr: (s) => (err += s), writeOut: (s) => (out += s) });
    command.register(p);
    for (const c of p.commands) for (const s of c.commands) s.exitOverride();
    await p.parseAsync(args, { from: "user" });
  };

  it("simulate --json prints one JSON document and writes CSV, Chrome trace and HTML", async () => {
    const dir = mkdtempSync(join(tmpdir(), "serving-"));
    const tr = join(dir, "t.csv");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(tr, "arrival_s,prompt_tokens,output_tokens\n0,100,20\n0.1,50,10\n0.2,500000,2\n");
    await cli(
      "serving",
      "simulate",
      "--trace",
      tr,
      "--policy",
      "vllm-v0",
      "--clients",
      "2",
      "--json",
      "--quiet",
      "--requests-csv",
      join(dir, "r.csv"),
      "--chrome-trace",
      join(dir, "c.json"),
      "--report",
      join(dir, "r.html"),
    );
    expect(process.exitCode ?? 0).toBe(0);
    const j = JSON.parse(out);
    expect(j.policies[0].name).toBe("vllm-v0");
    expect(j.policies[0].rejected).toBe(1);
    expect(j.policies[0].completed).toBe(2);
    expect(readFileSync(join(dir, "r.csv"), "utf8").split("\n")[0]).toMatch(/^id,policy,client,arrival_s/);
    expect(JSON.parse(readFileSync(join(dir, "c.json"), "utf8")).traceEvents.length).toBeGreaterThan(3);
    expect(readFileSync(join(dir, "r.html"), "utf8")).toContain("<svg");
    expect(readFileSync(join(dir, "r.html"), "utf8")).toContain("Where the time above the bound goes");
    const gb = j.policies[0].gapBreakdown;
    expect(gb.clients).toHaveLength(2);
    expect(gb.makespanSeconds - gb.lowerBoundSeconds).toBeCloseTo(
      gb.loadAboveBoundSeconds +
        gb.prefillAlphaSeconds +
        gb.idleSlotSeconds +
        gb.drainSeconds +
        gb.mixedAlphaSeconds +
        gb.otherLinearSeconds +
        gb.idleSeconds,
      9,
    );
    // refuses to overwrite without --force
    out = "";
    await cli(
      "serving",
      "simulate",
      "--trace",
      tr,
      "--policy",
      "vllm-v0",
      "--report",
      join(dir, "r.html"),
      "--quiet",
    );
    expect(process.exitCode).toBe(1);
    expect(err).toContain("r.html: already exists; choose another path or pass --force");
  });

  it("usage errors exit 2 with one line naming the flag", async () => {
    await cli("serving", "compare");
    expect(process.exitCode).toBe(2);
    expect(err).toContain(
      "frugal: error: --trace: no workload given; pass --trace FILE or --preset gsm8k-llama65b",
    );
    err = "";
    await cli("serving", "simulate", "--preset", "gsm8k-llama65b", "--policy", "fifo");
    expect(process.exitCode).toBe(2);
    expect(err).toContain('--policy: unknown policy "fifo"');
  });

  it("a malformed trace row exits 1 naming file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "serving-"));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "bad.csv"), "arrival_s,prompt_tokens,output_tokens\n0,10,5\n1,0,5\n");
    await cli("serving", "simulate", "--trace", join(dir, "bad.csv"), "--policy", "orca");
    expect(process.exitCode).toBe(1);
    expect(err).toContain("bad.csv: line 3: prompt_tokens 0 is not positive");
  });
});
