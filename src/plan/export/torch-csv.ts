/**
 * PyTorch `torch.distributed.pipelining` compute-only CSV: one row per rank, one cell per action,
 * each `<stage><F|I|W|B><micro-batch>` — the grammar of `_Action.from_str`
 * (regex `(\d+)(F|I|B|W|UNSHARD|RESHARD|REDUCE_GRAD|SEND_F|RECV_F|SEND_B|RECV_B)(\d*)`), read row by
 * row by `PipelineScheduleMulti._load_csv(filename, format="compute_only")` and by torchtitan's
 * `pipeline_parallel_schedule_csv`. Stage = the unit index (a pipeline stage), so every stage
 * must run on one rank; an overlapped F&B chunk is written as its forward then its full backward
 * (the runtime decides overlap). DualPipe's two model copies (one stage on two ranks) have no
 * such form: export DualPipeV or another schedule.
 */
import { ScheduleError } from "../errors.js";
import type { Schedule } from "../schedule.js";

/** The action grammar of `_Action.from_str`. */
export const TORCH_ACTION_RE =
  /^(\d+)(F|I|B|W|UNSHARD|RESHARD|REDUCE_GRAD|SEND_F|RECV_F|SEND_B|RECV_B)(\d*)$/;

/** A schedule as PyTorch compute-only CSV; a ScheduleError when a stage runs on two ranks. */
export function toTorchCsv(s: Schedule): string {
  const owner = new Map<number, number>();
  const own = (unit: number, dev: number) => {
    const o = owner.get(unit);
    if (o !== undefined && o !== dev)
      throw new ScheduleError({
        where: `schedule ${s.name}`,
        what: `stage ${unit} runs on ranks ${o} and ${dev}; torch.distributed.pipelining needs one rank per stage`,
        hint: "export a schedule without duplicated stages (e.g. dualpipev instead of dualpipe)",
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
