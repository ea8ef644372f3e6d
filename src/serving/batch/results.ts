/**
 * The results file of a batch: one output line per request, appended as results arrive, so that a
 * rerun with the same file resumes where the last run stopped (exactly once per `custom_id`).
 *
 * This is the one output the project does not write to a temporary name and rename at the end
 * (docs/conventions.md): resuming needs what a killed run already wrote. Instead each line is
 * written whole in one append, and a reader treats the file as valid up to its last newline: a
 * last line without one (a run killed in the middle of a write) is dropped on resume (the file is
 * truncated to its last complete line) and its request is sent again. Every complete line must be
 * a result of a request of the input, once; anything else means the file is not this batch's
 * results, and resuming refuses it.
 */
import { type FileHandle, open, readFile, truncate } from "node:fs/promises";
import { parseWith } from "../../errors/index.js";
import { fileReadError, writeAtomic, writeError } from "../../util/files.js";
import { BatchFileError } from "../errors.js";
import { type BatchOutputLine, BatchOutputLineSchema, isSuccess } from "./format.js";
import type { BatchRequest } from "./input.js";

/** What a results file already holds. */
export interface ExistingResults {
  /** Result lines by custom_id, in file order. */
  lines: Map<string, BatchOutputLine>;
  /** Bytes of a torn last line that was dropped (0 when the file ended with a newline). */
  droppedBytes: number;
}

const HINT = "choose another output file, or pass --restart to start over";

/**
 * Parses a results file's bytes against the input's requests: complete lines only (see the
 * header), each a valid output line of a known custom_id, none twice.
 */
export function parseResults(buf: Buffer, file: string, requests: readonly BatchRequest[]): ExistingResults {
  const known = new Set(requests.map((r) => r.customId));
  const end = buf.lastIndexOf(0x0a) + 1; // bytes up to and including the last newline
  const text = buf.subarray(0, end).toString("utf8");
  const lines = new Map<string, BatchOutputLine>();
  const firstLine = new Map<string, number>();
  for (const [k, raw] of text.split("\n").entries()) {
    const t = raw.trim();
    if (t === "") continue;
    const line = k + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch {
      throw new BatchFileError({
        where: `${file}: line ${line}`,
        what: "is not JSON, so this is not a results file to resume",
        hint: HINT,
      });
    }
    const v = parseWith(BatchOutputLineSchema, obj, `${file}: line ${line}`, HINT);
    if (!known.has(v.custom_id))
      throw new BatchFileError({
        where: `${file}: line ${line}`,
        what: `custom_id ${JSON.stringify(v.custom_id)} is not a request of this batch`,
        hint: HINT,
      });
    const seen = firstLine.get(v.custom_id);
    if (seen !== undefined)
      throw new BatchFileError({
        where: `${file}: line ${line}`,
        what: `custom_id ${JSON.stringify(v.custom_id)} is already on line ${seen}`,
        hint: HINT,
      });
    firstLine.set(v.custom_id, line);
    lines.set(v.custom_id, v);
  }
  return { lines, droppedBytes: buf.length - end };
}

/** Options of `openResults`. */
export interface OpenResultsOptions {
  /** Start over: an existing file is emptied (`--restart`). */
  restart?: boolean;
  /** Drop failed results (error, or a non-2xx response) so those requests are sent again. */
  retryFailed?: boolean;
}

/** Appends result lines, one whole line per write, in the order given. */
export class ResultsWriter {
  private chain: Promise<void> = Promise.resolve();
  private failed: unknown = null;
  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    /** Results already in the file when it was opened (resume). */
    readonly existing: ExistingResults,
    /** Failed results dropped by `retryFailed`. */
    readonly droppedFailed: number,
  ) {}

  /** Opens `file` for appending, reading (and repairing) what it holds; see the header. */
  static async open(
    file: string,
    requests: readonly BatchRequest[],
    opts: OpenResultsOptions = {},
  ): Promise<ResultsWriter> {
    let buf: Buffer | null = null;
    if (!opts.restart) {
      try {
        buf = await readFile(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw fileReadError(file, e);
      }
    }
    let existing: ExistingResults = { lines: new Map(), droppedBytes: 0 };
    let droppedFailed = 0;
    if (buf) {
      existing = parseResults(buf, file, requests);
      if (opts.retryFailed) {
        const kept = [...existing.lines.values()].filter(isSuccess);
        droppedFailed = existing.lines.size - kept.length;
        if (droppedFailed > 0 || existing.droppedBytes > 0) {
          // rewritten whole (temporary file, then rename), so the old file stays valid until then
          await writeAtomic(file, kept.map((l) => `${JSON.stringify(l)}\n`).join(""), { force: true });
          existing = {
            lines: new Map(kept.map((l) => [l.custom_id, l])),
            droppedBytes: existing.droppedBytes,
          };
        }
      } else if (existing.droppedBytes > 0) {
        try {
          await truncate(file, buf.length - existing.droppedBytes);
        } catch (e) {
          throw writeError(file, e);
        }
      }
    }
    let fh: FileHandle;
    try {
      fh = await open(file, opts.restart ? "w" : "a");
    } catch (e) {
      throw writeError(file, e);
    }
    return new ResultsWriter(file, fh, existing, droppedFailed);
  }

  /** Queues one line; resolves when it is written. A failed write fails this and every later append. */
  append(line: BatchOutputLine): Promise<void> {
    const text = `${JSON.stringify(line)}\n`;
    this.chain = this.chain.then(async () => {
      if (this.failed) throw this.failed;
      try {
        await this.fh.appendFile(text);
      } catch (e) {
        this.failed = writeError(this.file, e);
        throw this.failed;
      }
    });
    return this.chain;
  }

  /** Waits for pending lines, flushes them to disk and closes the file. */
  async close(): Promise<void> {
    try {
      await this.chain.catch(() => undefined);
      await this.fh.sync().catch(() => undefined);
    } finally {
      await this.fh.close();
    }
    if (this.failed) throw this.failed;
  }
}
