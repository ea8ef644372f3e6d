/**
 * PyTorch `torch.distributed.pipelining` compute-only CSV: one row per rank, one cell per action,
 * each `<stage><F|I|W|B><micro-batch>` — the grammar of `_Action.from_str`
 * (regex `(\d+)(F|I|B|W|UNSHARD|RESHARD|REDUCE_GRAD|SEND_F|RECV_F|SEND_B|RECV_B)(\d*)`), read row by
 * row by `PipelineScheduleMulti._load_csv(filename, format="compute_only")` and by torchtitan's
 * `pipeline_parallel_schedule_csv`. Stage = the unit index (a pipeline stage). What torch can run:
 *   - a chain: its lowering (`_add_send_recv`) sends stage k's forward output to stage k + 1 and
 *     its input gradient to k − 1, so units must form the chain 0 → 1 → … → S−1 (a branching
 *     graph is refused: its CSV would load but not run);
 *   - one rank per stage (`_validate_schedule` infers the stage → rank map and refuses a stage on
 *     two ranks): plans for export are made with the `oneRankPerStage` option, so DualPipe's two
 *     model copies are not chosen; DualPipeV's V (two stages per rank) is fine.
 * An overlapped F&B chunk is written as its forward then its full backward (the runtime decides
 * overlap).
 */
import { ScheduleError } from "../errors.js";
import type { Schedule } from "../schedule.js";
import type { UnitGraph } from "../units.js";

/** The action grammar of `_Action.from_str`. */
export const TORCH_ACTION_RE =
  /^(\d+)(F|I|B|W|UNSHARD|RESHARD|REDUCE_GRAD|SEND_F|RECV_F|SEND_B|RECV_B)(\d*)$/;

/**
 * Why torch's pipelining runtime cannot run schedules of `ug` (null when it can): its units must
 * form the chain 0 → 1 → … → S−1.
 */
export function torchExportProblem(ug: UnitGraph): string | null {
  const S = ug.units.length;
  const chain = ug.edges.length === S - 1 && ug.edges.every((e) => e.to === e.from + 1);
  if (chain) return null;
  const branch = ug.units.findIndex(
    (_, u) => (ug.succs[u]?.length ?? 0) > 1 || (ug.preds[u]?.length ?? 0) > 1,
  );
  const at =
    branch >= 0
      ? ` (${ug.units[branch]?.id} has ${ug.preds[branch]?.length ?? 0} inputs and ${ug.succs[branch]?.length ?? 0} outputs)`
      : "";
  return `the graph is not a chain${at}; torch.distributed.pipelining sends stage k's output to stage k + 1 only`;
}

/**
 * A schedule as PyTorch compute-only CSV; a ScheduleError when a stage runs on two ranks or (given
 * its unit graph) the units are not a chain.
 */
export function toTorchCsv(s: Schedule, ug?: UnitGraph): string {
  const problem = ug ? torchExportProblem(ug) : null;
  if (problem)
    throw new ScheduleError({
      where: `schedule ${s.name}`,
      what: problem,
      hint: "export a chain of stages (e.g. a transformer chain), or use the plan JSON",
    });
  const owner = new Map<number, number>();
  const own = (unit: number, dev: number) => {
    const o = owner.get(unit);
    if (o !== undefined && o !== dev)
      throw new ScheduleError({
        where: `schedule ${s.name}`,
        what: `stage ${unit} runs on ranks ${o} and ${dev}; torch.distributed.pipelining needs one rank per stage`,
        hint: "export a schedule without duplicated stages (plan with oneRankPerStage, or dualpipev instead of dualpipe)",
      });
    owner.set(unit, dev);
  };
  const rows = s.devices.map((list, dev) => {
    const cells: string[] = [];
    for (const a of list) {
      own(a.unit, dev);
      if (a.pass === "FB") {
        own(a.unit2!, dev);
        cells.push(`${a.unit}F${a.mb}`, `${a.unit2}B${a.mb2}`);
      } else cells.push(`${a.unit}${a.pass}${a.mb}`);
    }
    return cells.join(",");
  });
  return `${rows.join("\n")}\n`;
}

/** Parses the CSV back (for tests and round trips): rows of [stage, type, micro-batch]. */
export function parseTorchCsv(text: string): { stage: number; type: string; mb: number | null }[][] {
  return text
    .split("\n")
    .filter((l, i, arr) => l !== "" || i < arr.length - 1)
    .map((line) =>
      line
        .split(",")
        .filter((c) => c.trim() !== "")
        .map((cell) => {
          const m = TORCH_ACTION_RE.exec(cell.trim());
          if (!m)
            throw new ScheduleError({
              where: "torch csv",
              what: `invalid action "${cell}"`,
              hint: "expected e.g. 2F0",
            });
          const [, stage, type = "", mb] = m;
          return { stage: Number(stage), type, mb: mb === "" ? null : Number(mb) };
        }),
    );
}
