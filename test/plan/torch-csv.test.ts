/**
 * Every preset's PyTorch CSV against the rules torch applies when it loads one. `torchLoad` below
 * mirrors torch/distributed/pipelining/schedules.py (PyTorch 2.6+):
 *   - `PipelineScheduleMulti._load_csv`: row r of the CSV is rank r, each cell `_Action.from_str`
 *     (`(\d+)(F|I|B|W|…)(\d*)`; an empty cell is no action);
 *   - `_validate_schedule`: one row per rank of the group; per stage, a B or I only after the
 *     stage's F of that micro-batch, a W only after its I; a stage on one rank only; every stage
 *     has exactly M forwards, as many I as W, and B + (I + W)/2 = M backwards;
 *   - `_add_send_recv` (the compute_only lowering): ranks take turns in order; a rank's next action
 *     runs once its input is there — an F of stage s > 0 needs RECV_F(s, mb) (put there when stage
 *     s − 1's F ran on another rank) or that F on the same rank; an I/B of stage s < S − 1 needs
 *     RECV_B(s, mb) or stage s + 1's I/B on the same rank. A round without progress is torch's
 *     "Malformed compute schedule, can't schedule sends/recvs".
 * Stage k always feeds k + 1 there, which is why branching graphs are refused before planning.
 */
import { readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCluster } from "../../src/plan/cluster.js";
import { torchExportProblem, toTorchCsv } from "../../src/plan/export/torch-csv.js";
import { transformerChain } from "../../src/plan/generators.js";
import { parseGraph } from "../../src/plan/graph.js";
import type { PlanInputs } from "../../src/plan/inputs.js";
import { PlanOptionsSchema } from "../../src/plan/options.js";
import { loadPreset, presetNames } from "../../src/plan/presets.js";
import { runPlan } from "../../src/plan/run.js";
import { dualpipe } from "../../src/plan/schedules/index.js";
import { unitsFromGraph } from "../../src/plan/units.js";
import { writePlanOutputs } from "../../src/plan/write.js";
import { chain } from "./helpers.js";

interface TorchAction {
  stage: number;
  type: string;
  mb: number | null;
}

const ACTION_RE = /^(\d+)(F|I|B|W|UNSHARD|RESHARD|REDUCE_GRAD|SEND_F|RECV_F|SEND_B|RECV_B)(\d*)$/;

/** `_Action.from_str`: null for an empty cell, an error for anything outside the grammar. */
function fromStr(cell: string): TorchAction | null {
  const s = cell.trim();
  if (s === "") return null;
  const m = ACTION_RE.exec(s);
  if (!m) throw new Error(`Invalid action string: ${s}`);
  const [, stage, type = "", mb = ""] = m;
  return { stage: Number(stage), type, mb: mb === "" ? null : Number(mb) };
}

const key = (stage: number, type: string, mb: number | null) => `${stage}${type}${mb ?? ""}`;

/**
 * Loads a compute-only CSV as torch does for a group of `ranks` ranks running `stages` stages over
 * `M` micro-batches; throws torch's error when it would.
 */
function torchLoad(csv: string, ranks: number, stages: number, M: number): void {
  const lines = csv.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  const actions = lines.map((l) => l.split(",").map(fromStr));
  // _validate_schedule
  if (actions.length !== ranks)
    throw new Error(`Schedule has incorrect number of ranks - expected ${ranks}, actual ${actions.length}`);
  const seen = Array.from({ length: stages }, () => ({
    F: new Set<number | null>(),
    B: new Set<number | null>(),
    I: new Set<number | null>(),
    W: new Set<number | null>(),
  }));
  const rankOf = new Map<number, number>();
  for (const [rank, row] of actions.entries())
    for (const [step, a] of row.entries()) {
      if (!a) continue;
      const st = seen[a.stage];
      if (!st) throw new Error(`stage ${a.stage} out of range`);
      if (a.type === "F") st.F.add(a.mb);
      else if (a.type === "B" || a.type === "I") {
        if (!st.F.has(a.mb)) throw new Error(`Rank ${rank}, step ${step}: ${a.type} before Forward`);
        st[a.type].add(a.mb);
      } else if (a.type === "W") {
        if (!st.I.has(a.mb)) throw new Error(`Rank ${rank}, step ${step}: W before Backward Input`);
        st.W.add(a.mb);
      } else throw new Error(`compute-only schedule with ${a.type}`);
      const prev = rankOf.get(a.stage);
      if (prev !== undefined && prev !== rank)
        throw new Error(
          `Rank ${rank}, step ${step}: Stage ${a.stage} is assigned to both rank ${rank} and rank ${prev}`,
        );
      rankOf.set(a.stage, rank);
    }
  for (const [s, st] of seen.entries()) {
    if (st.F.size !== M) throw new Error(`Got ${st.F.size} F microbatches for stage ${s}, expected ${M}`);
    if (st.I.size !== st.W.size) throw new Error(`stage ${s}: I and W must have equal counts`);
    if (st.B.size + (st.I.size + st.W.size) / 2 !== M) throw new Error(`stage ${s}: expected ${M} backwards`);
  }
  // _add_send_recv
  const queue = actions.map((row) => [...row]);
  for (const [rank, q] of queue.entries()) if (q.length === 0) throw new Error(`rank ${rank} has no actions`);
  const prev = actions.map(() => new Set<string>());
  const rank = (s: number) => rankOf.get(s) ?? -1;
  const hasComms = (a: TorchAction) =>
    a.type === "F"
      ? a.stage !== stages - 1 && rank(a.stage + 1) !== rank(a.stage)
      : (a.type === "I" || a.type === "B") && a.stage !== 0 && rank(a.stage - 1) !== rank(a.stage);
  const ready = (a: TorchAction | null, p: Set<string>) => {
    if (!a) return true;
    if (a.type === "F" && a.stage !== 0)
      return p.has(key(a.stage, "RECV_F", a.mb)) || p.has(key(a.stage - 1, "F", a.mb));
    if ((a.type === "I" || a.type === "B") && a.stage !== stages - 1)
      return (
        p.has(key(a.stage, "RECV_B", a.mb)) ||
        p.has(key(a.stage + 1, "I", a.mb)) ||
        p.has(key(a.stage + 1, "B", a.mb))
      );
    return true;
  };
  while (queue.some((q) => q.length > 0)) {
    let progress = false;
    for (const [r, q] of queue.entries()) {
      if (q.length === 0) continue;
      const a = q[0] ?? null;
      const p = prev[r] ?? new Set<string>();
      if (!ready(a, p)) continue;
      if (a) {
        p.add(key(a.stage, a.type, a.mb));
        if (hasComms(a)) {
          const fwd = a.type === "F";
          p.add(key(a.stage, fwd ? "SEND_F" : "SEND_B", a.mb));
          const to = fwd ? a.stage + 1 : a.stage - 1;
          prev[rank(to)]?.add(key(to, fwd ? "RECV_F" : "RECV_B", a.mb));
        }
      }
      q.shift();
      progress = true;
    }
    if (!progress) throw new Error("Malformed compute schedule, can't schedule sends/recvs");
  }
}

const SAFETY = { timeLimitSeconds: 5, nodeLimit: 50 };

describe("torch's loader, mirrored", () => {
  it("accepts what torch accepts and refuses its documented failures", () => {
    // 2 stages on 2 ranks, 2 micro-batches: 1F1B
    torchLoad("0F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1\n", 2, 2, 2);
    expect(() => torchLoad("0F0,0B0\n", 2, 2, 1)).toThrow(/incorrect number of ranks/);
    expect(() => torchLoad("0B0,0F0\n1F0,1B0\n", 2, 2, 1)).toThrow(/B before Forward/);
    expect(() => torchLoad("0F0,1F0\n1B0,0B0\n", 2, 2, 1)).toThrow(/assigned to both rank/);
    // rank 1 waits for stage 0's backward that waits for rank 1's: a cycle
    expect(() => torchLoad("0F0,0B0,0F1,0B1\n1F0,1F1,1B0,1B1\n", 2, 2, 2)).toThrow(
      /can't schedule sends\/recvs/,
    );
  });
});

describe("PyTorch CSV of every preset", () => {
  const chains = presetNames().filter((n) => !torchExportProblem(unitsFromGraph(loadPreset(n).graph)));

  it("the branching presets are the ones refused (torch assumes stage k feeds k + 1)", () => {
    const refused = presetNames().filter((n) => !chains.includes(n));
    expect(refused).toEqual(["moe-8", "multimodal-4"]);
    for (const n of refused)
      expect(torchExportProblem(unitsFromGraph(loadPreset(n).graph))).toMatch(/^the graph is not a chain \(/);
  });

  for (const mip of [false, true])
    it(`chain presets, one rank per stage${mip ? " (MIP, node-limited)" : " (no MIP)"}: torch loads the CSV`, async () => {
      expect(chains).toEqual([
        "chain-nonuniform-8",
        "dualpipe-8x20",
        "dualpipe-8x20-overlap",
        "dualpipev-4x10",
      ]);
      for (const name of chains) {
        const p = loadPreset(name);
        const run = await runPlan(p.graph, p.cluster, {
          ...p.options,
          ...SAFETY,
          mip,
          oneRankPerStage: true,
        });
        const best = run.best;
        expect(best, `${name}: ${run.mip?.notes.join("; ")}`).not.toBeNull();
        if (!best) continue;
        const csv = toTorchCsv(best.schedule, best.graph);
        expect(
          () => torchLoad(csv, best.schedule.devices.length, best.graph.units.length, p.graph.microBatches),
          name,
        ).not.toThrow();
      }
    });

  it("a 4-stage chain on 4 devices (DualPipe would be best without the option) exports", async () => {
    const graph = parseGraph(transformerChain({ stages: 4, microBatches: 8, forwardBackward: 2.5 }));
    const cluster = parseCluster({ devices: 4, link: { bandwidthBytesPerSecond: 1e12, latencySeconds: 0 } });
    const options = PlanOptionsSchema.parse({ ...SAFETY, mip: false });
    const free = await runPlan(graph, cluster, options);
    expect(() => toTorchCsv(free.best!.schedule, free.best!.graph)).toThrow(/needs one rank per stage/);
    // a plan made without the option: the CSV is refused, the other outputs are still written
    const dir = await mkdtemp(join(tmpdir(), "frugal-torch-"));
    const inp: PlanInputs = {
      graph,
      cluster,
      options,
      source: { preset: null, graphFile: null, clusterFile: null },
    };
    const outs = { plan: join(dir, "p.json"), torchCsv: join(dir, "s.csv"), trace: join(dir, "t.json") };
    await expect(writePlanOutputs(inp, free, outs)).rejects.toThrow(
      `needs one rank per stage; wrote ${outs.plan}, ${outs.trace}, not ${outs.torchCsv}`,
    );
    expect(readdirSync(dir).sort()).toEqual(["p.json", "t.json"]);
    for (const mip of [false, true]) {
      const run = await runPlan(graph, cluster, { ...options, mip, oneRankPerStage: true });
      const best = run.best!;
      torchLoad(toTorchCsv(best.schedule, best.graph), 4, best.graph.units.length, 8);
    }
  });

  it("DualPipe's two copies of a stage are what torch refuses (the checker agrees with the exporter)", () => {
    const { ug, cluster } = chain({ stages: 4, microBatches: 8, forwardBackward: 3 });
    const s = dualpipe.generate({ stages: ug, cluster }, {});
    const rows = s.devices.map((list) =>
      list.map((a) => `${a.unit}${a.pass === "FB" ? "F" : a.pass}${a.mb}`).join(","),
    );
    expect(() => torchLoad(`${rows.join("\n")}\n`, 4, 4, 8)).toThrow(/assigned to both rank/);
  });
});
