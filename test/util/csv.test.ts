/** The one CSV reader (RFC 4180 plus blank and comment lines) and its row writer. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors/index.js";
import { checkText, csvRow, parseCsv, textExcerpt } from "../../src/util/csv.js";

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe("parseCsv", () => {
  it("reads plain, quoted and empty fields with LF or CRLF, keeping each record's line", () => {
    expect(parseCsv('a,b,c\r\n1,"x, y",\n"say ""hi""",2,3')).toEqual([
      { line: 1, fields: ["a", "b", "c"] },
      { line: 2, fields: ["1", "x, y", ""] },
      { line: 3, fields: ['say "hi"', "2", "3"] },
    ]);
  });

  it("lets a quoted field span lines; the next record's line counts them", () => {
    expect(parseCsv('id,note\n1,"two\nlines"\n2,x\n')).toEqual([
      { line: 1, fields: ["id", "note"] },
      { line: 2, fields: ["1", "two\nlines"] },
      { line: 4, fields: ["2", "x"] },
    ]);
  });

  it("skips blank lines, comment lines and a byte-order mark; '#' inside quotes or later fields is data", () => {
    expect(fields('\uFEFF# made by hand\n\na,b\n   \n"#1",x#\n# end\n')).toEqual([
      ["a", "b"],
      ["#1", "x#"],
    ]);
    expect(parseCsv("#a,b\n", { comment: "" })).toEqual([{ line: 1, fields: ["#a", "b"] }]);
  });

  it("names the file and line of an unclosed quote or text after a closing quote, with the caller's error class", () => {
    class MyError extends InputError {}
    expect(() => parseCsv('a\n"open\n\n', { file: "m.csv" })).toThrow(
      'm.csv: line 2: a quoted field is not closed; end it with " (write "" for a quote inside a field)',
    );
    expect(() => parseCsv('a,"b"c\n', { file: "m.csv", error: MyError })).toThrow(MyError);
    expect(() => parseCsv('a,"b"c\n', { file: "m.csv" })).toThrow(
      "m.csv: line 1: text after a closing quote",
    );
  });

  it("csvRow then parseCsv gives the fields back (property: quote/unquote round trip)", () => {
    const field = fc.string({ unit: fc.constantFrom("a", "#", " ", ",", '"', "\n", "\r", "é", "1") });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom("\n", "\r\n"),
        (rows, eol) => {
          const text = rows.map(csvRow).join(eol) + eol;
          expect(fields(text)).toEqual(rows);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("error excerpts of untrusted text", () => {
  it("textExcerpt: quoted, at most max characters, no control or invisible characters (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 3000 }),
        fc.integer({ min: 1, max: 80 }),
        (s, max) => {
          const e = textExcerpt(s, max);
          expect(e.startsWith('"')).toBe(true);
          // Each shown character is at most 6 characters escaped, plus quotes and "…".
          expect(e.length).toBeLessThanOrEqual(6 * max + 3);
          const invisible = [...e].filter((c) => {
            const code = c.codePointAt(0) ?? 0;
            return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xfffd;
          });
          expect(invisible).toEqual([]);
        },
      ),
    );
    expect(textExcerpt("PK\u0003\u0004\u0000", 40)).toBe('"PK\\x03\\x04\\x00"');
    expect(textExcerpt("x".repeat(50), 10)).toBe(`"${"x".repeat(10)}…"`);
  });

  it("checkText refuses a NUL byte or invalid UTF-8 naming the line and column, with a short excerpt", () => {
    expect(() => checkText(`a,b\n1,2\n3,\u0000${"z".repeat(2000)}\n`, "f.csv")).toThrow(
      `f.csv: line 3: is not UTF-8 text (a NUL byte at column 3: "3,\\x00${"z".repeat(21)}…"); give a UTF-8 text file`,
    );
    expect(() => checkText("ok\ncaf\ufffd\n", "g.csv")).toThrow(
      /^g\.csv: line 2: is not UTF-8 text \(an invalid UTF-8 byte sequence at column 4/,
    );
    expect(() => checkText("\ufeffplain text\n", "h.csv")).not.toThrow();
  });
});
