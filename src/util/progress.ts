/**
 * Progress reporting. Library functions take an `onProgress` callback; the CLI turns it into a bar
 * on a TTY (stderr) and into plain lines otherwise, so stdout stays the result only.
 */
import cliProgress from "cli-progress";

/** One progress report of long work: what, how far (`done` of `total`), and optional detail. */
export interface ProgressEvent {
  /** What is being done, e.g. "solving", "layer 3/32". */
  label: string;
  /** Units done so far, 0 ≤ done ≤ total. */
  done: number;
  /** Units in all. */
  total: number;
  /** Extra fields shown after the bar, e.g. incumbent and bound. */
  detail?: string;
}

/** The callback long library functions take as `onProgress`. */
export type OnProgress = (e: ProgressEvent) => void;

/** Where the CLI sends progress: `update` with each event, `stop` when the work ends. */
export interface ProgressSink {
  update: OnProgress;
  stop(): void;
}

/** A sink for the CLI: a bar on a TTY, a line every `everyMs` otherwise, silent when `quiet`. */
export function cliProgressSink(
  opts: { quiet?: boolean; stream?: NodeJS.WriteStream; everyMs?: number } = {},
): ProgressSink {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { update: () => {}, stop: () => {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: "{label} [{bar}] {percentage}% {value}/{total} {detail}",
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(e) {
        if (!started) {
          bar.start(e.total, e.done, { label: e.label, detail: e.detail ?? "" });
          started = true;
        } else {
          bar.setTotal(e.total);
          bar.update(e.done, { label: e.label, detail: e.detail ?? "" });
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const every = opts.everyMs ?? 5000;
  let last = 0;
  return {
    update(e) {
      const now = Date.now();
      if (now - last < every && e.done < e.total) return;
      last = now;
      stream.write(`${e.label}: ${e.done}/${e.total}${e.detail ? ` ${e.detail}` : ""}\n`);
    },
    stop() {},
  };
}
