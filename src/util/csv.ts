/**
 * The one CSV reader and row writer (RFC 4180, https://www.rfc-editor.org/rfc/rfc4180): fields
 * separated by commas, records by LF or CRLF; a field in double quotes may hold commas, line breaks
 * and doubled quotes (`""` is one `"`). Two additions for hand-written files: blank lines are
 * skipped, and so are lines starting with a comment character (`#` by default) outside quotes.
 * A byte-order mark at the start is dropped. Each record keeps the 1-based line it starts on, so
 * readers can name the line in their errors.
 */
import { type FrugalErrorFields, InputError } from "../errors/errors.js";

/** One record of a CSV text: its fields and the 1-based line it starts on. */
export interface CsvRecord {
  /** 1-based line number of the record's first character. */
  line: number;
  /** The fields, unquoted; whitespace is kept. */
  fields: string[];
}

/** Options of `parseCsv`. */
export interface CsvOptions {
  /** Name of the file in errors (default "CSV"). */
  file?: string;
  /** Lines starting with this character (outside quotes) are skipped; "" keeps every line. Default "#". */
  comment?: string;
  /** The error class thrown for bad syntax (a reader's own InputError subclass); default InputError. */
  error?: new (
    fields: FrugalErrorFields,
  ) => InputError;
}

/**
 * A short excerpt of untrusted text for an error message, in double quotes: at most `max`
 * characters (then "…"), control characters, U+FFFD and other invisible characters escaped as
 * `\xNN` / `\uNNNN`, so a binary file never floods the terminal.
 */
export function textExcerpt(text: string, max = 40): string {
  const chars = [...text.slice(0, 2 * max + 2)];
  let out = "";
  for (const c of chars.slice(0, max)) {
    const code = c.codePointAt(0) ?? 0;
    const invisible =
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      code === 0xad ||
      (code >= 0x200b && code <= 0x200f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      code === 0xfeff ||
      code === 0xfffd;
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (invisible)
      out +=
        code < 0x100
          ? `\\x${code.toString(16).padStart(2, "0")}`
          : `\\u${code.toString(16).padStart(4, "0")}`;
    else out += c;
  }
  return `"${out}${chars.length > max ? "…" : ""}"`;
}

/**
 * Throws `Err` (naming `file` and the line) when `text` is not text: a NUL character (a binary
 * file) or U+FFFD (what reading invalid UTF-8 bytes as UTF-8 produces).
 */
export function checkText(
  text: string,
  file: string,
  Err: new (fields: FrugalErrorFields) => InputError = InputError,
): void {
  const nul = text.indexOf("\u0000");
  const bad = text.indexOf("\ufffd");
  const at = nul < 0 ? bad : bad < 0 ? nul : Math.min(nul, bad);
  if (at < 0) return;
  const lineStart = text.lastIndexOf("\n", at) + 1;
  const lineEnd = text.indexOf("\n", at);
  const line0 = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, "");
  const line = text.slice(0, at).split("\n").length;
  throw new Err({
    where: `${file}: line ${line}`,
    what: `is not UTF-8 text (${text[at] === "\u0000" ? "a NUL byte" : "an invalid UTF-8 byte sequence"} at column ${at - lineStart + 1}: ${textExcerpt(line0, 24)})`,
    hint: "give a UTF-8 text file (a binary or differently encoded file cannot be read)",
  });
}

/**
 * Splits CSV text into records. An unterminated quoted field, or text between a closing quote and
 * the next comma, is an InputError naming the file and the line.
 */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvRecord[] {
  const file = opts.file ?? "CSV";
  const comment = opts.comment ?? "#";
  const Err = opts.error ?? InputError;
  checkText(text, file, Err);
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const n = s.length;
  const out: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  while (i < n) {
    // At the start of a physical line: skip blank and comment lines.
    let eol = s.indexOf("\n", i);
    if (eol < 0) eol = n;
    const raw = s.slice(i, eol);
    if (raw.trim() === "" || (comment !== "" && raw.startsWith(comment))) {
      i = eol + 1;
      line++;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = "";
      if (s[i] === '"') {
        const open = line;
        i++;
        for (;;) {
          const q = s.indexOf('"', i);
          if (q < 0)
            throw new Err({
              where: `${file}: line ${open}`,
              what: "a quoted field is not closed",
              hint: 'end it with " (write "" for a quote inside a field)',
            });
          const part = s.slice(i, q);
          field += part;
          line += countNewlines(part);
          if (s[q + 1] === '"') {
            field += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        if (i < n && s[i] !== "," && s[i] !== "\n" && !(s[i] === "\r" && s[i + 1] === "\n"))
          throw new Err({
            where: `${file}: line ${line}`,
            what: "text after a closing quote",
            hint: 'quote the whole field, and write "" for a quote inside it',
          });
      } else {
        let j = i;
        while (j < n && s[j] !== "," && s[j] !== "\n") j++;
        field = s.slice(i, j);
        if (j < n && s[j] === "\n" && field.endsWith("\r")) field = field.slice(0, -1);
        else if (j === n && field.endsWith("\r")) field = field.slice(0, -1);
        i = j;
      }
      fields.push(field);
      if (i < n && s[i] === ",") {
        i++;
        continue;
      }
      if (s[i] === "\r") i++;
      if (i < n && s[i] === "\n") {
        i++;
        line++;
      }
      break;
    }
    out.push({ line: start, fields });
  }
  return out;
}

function countNewlines(t: string): number {
  let k = 0;
  for (let p = t.indexOf("\n"); p >= 0; p = t.indexOf("\n", p + 1)) k++;
  return k;
}

/**
 * One field as CSV: quoted when it holds a comma, a quote or a line break, or when it would read
 * back as a blank or comment line (an only field that is blank, a first field starting with `#`).
 */
export function csvField(value: string, only = false, first = false): string {
  const quote = /[",\r\n]/.test(value) || (only && value.trim() === "") || (first && value.startsWith("#"));
  return quote ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One record as a CSV line (without the line break); `parseCsv` reads it back to the same fields. */
export function csvRow(fields: readonly (string | number)[]): string {
  return fields.map((f, k) => csvField(String(f), fields.length === 1, k === 0)).join(",");
}
