/**
 * Tokenizer for `function` and `domain` strings. Reads the plain form (`sum_{i in I} c_i * x_i <= B`)
 * and the LaTeX-like form (`\sum_{i \in I} c_{i} \cdot x_{i} \leq B`), and the Unicode symbols
 * (≤ ≥ ≠ ∑ ∈ ∀ · × −). Layout commands (`\left`, `\right`, `\,`, `\quad` …) are skipped;
 * `\text{…}`, `\mathrm{…}` and friends become identifiers. Every token keeps its offset in the
 * source, so parse errors can point at it.
 */

/** The kinds of tokens. */
export type TokenKind =
  | "num"
  | "ident"
  | "sum"
  | "in"
  | "forall"
  | "frac"
  | "and"
  | "le"
  | "ge"
  | "lt"
  | "gt"
  | "eq"
  | "ne"
  | "+"
  | "-"
  | "*"
  | "/"
  | "^"
  | "("
  | ")"
  | "["
  | "]"
  | "{"
  | "}"
  | ","
  | ":"
  | "|"
  | "_"
  | ".."
  | "eof";

/** One token with its offsets in the source. */
export interface Token {
  kind: TokenKind;
  /** The text as written (for identifiers: the name; for numbers: the digits). */
  text: string;
  /** Number value (kind `num`). */
  value?: number;
  /** 0-based offset of the first character. */
  pos: number;
  /** Offset just past the last character. */
  end: number;
}

/** A tokenizer failure: an offset and what was found. */
export class TokenizeError extends Error {
  constructor(
    readonly position: number,
    readonly what: string,
    readonly hint: string,
  ) {
    super(what);
  }
}

/** LaTeX commands that mean an operator or keyword. */
const MACROS: Readonly<Record<string, TokenKind>> = {
  sum: "sum",
  in: "in",
  forall: "forall",
  frac: "frac",
  dfrac: "frac",
  tfrac: "frac",
  leq: "le",
  le: "le",
  leqslant: "le",
  geq: "ge",
  ge: "ge",
  geqslant: "ge",
  neq: "ne",
  ne: "ne",
  cdot: "*",
  times: "*",
  ast: "*",
  land: "and",
  wedge: "and",
  mid: ":",
  colon: ":",
  lt: "lt",
  gt: "gt",
};

/** LaTeX commands that are layout only. */
const SKIP = new Set([
  "left",
  "right",
  "big",
  "Big",
  "bigg",
  "Bigg",
  "quad",
  "qquad",
  "displaystyle",
  "limits",
]);

/** LaTeX commands whose braced argument is a name. */
const TEXT_MACROS = new Set([
  "text",
  "textrm",
  "textit",
  "textbf",
  "mathrm",
  "mathit",
  "mathbf",
  "mathsf",
  "mathcal",
  "operatorname",
  "boldsymbol",
]);

/** Greek letters (and a few more) that LLMs write as commands and mean as plain names. */
const GREEK = new Set([
  "alpha",
  "beta",
  "gamma",
  "delta",
  "epsilon",
  "varepsilon",
  "zeta",
  "eta",
  "theta",
  "vartheta",
  "iota",
  "kappa",
  "lambda",
  "mu",
  "nu",
  "xi",
  "pi",
  "rho",
  "sigma",
  "tau",
  "upsilon",
  "phi",
  "varphi",
  "chi",
  "psi",
  "omega",
  "Gamma",
  "Delta",
  "Theta",
  "Lambda",
  "Xi",
  "Pi",
  "Sigma",
  "Upsilon",
  "Phi",
  "Psi",
  "Omega",
]);

const UNICODE: Readonly<Record<string, TokenKind>> = {
  "≤": "le",
  "⩽": "le",
  "≥": "ge",
  "⩾": "ge",
  "≠": "ne",
  "∑": "sum",
  Σ: "sum",
  "∈": "in",
  "∀": "forall",
  "·": "*",
  "⋅": "*",
  "×": "*",
  "∗": "*",
  "−": "-",
  "–": "-",
  "∧": "and",
};

/** Words that act as keywords when they stand alone. */
const WORDS: Readonly<Record<string, TokenKind>> = {
  in: "in",
  forall: "forall",
  and: "and",
};

const isLetter = (c: string) => /\p{L}/u.test(c);
const isIdentChar = (c: string) => /[\p{L}\p{N}]/u.test(c);

/** Splits `src` into tokens, ending with an `eof` token. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, text: string, pos: number, end: number, value?: number) =>
    out.push(value === undefined ? { kind, text, pos, end } : { kind, text, pos, end, value });
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    // numbers: 12, 1.5, .5, 1e-3 (a "1.." range keeps its dots)
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^(?:\d+(?:\.(?!\.)\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
      const text = m![0];
      i += text.length;
      push("num", text, start, i, Number(text));
      continue;
    }
    if (isLetter(c)) {
      // an identifier; `_` joins when a letter or digit follows (x_i, cost_per_unit), not before `{`
      let j = i + 1;
      while (j < src.length) {
        const d = src[j]!;
        if (isIdentChar(d) || d === "'") j++;
        else if (d === "_" && j + 1 < src.length && isIdentChar(src[j + 1]!)) j++;
        else break;
      }
      const text = src.slice(i, j);
      i = j;
      const kw = WORDS[text];
      // `sum` is the operator when a subscript follows
      if (text === "sum" && src[i] === "_") push("sum", text, start, i);
      else if (/^sum_[A-Za-z][0-9]?$/.test(text)) {
        // `sum_i x_i`: the operator with a one-letter subscript
        push("sum", "sum", start, start + 3);
        push("_", "_", start + 3, start + 4);
        push("ident", text.slice(4), start + 4, i);
      } else if (kw) push(kw, text, start, i);
      else push("ident", text, start, i);
      continue;
    }
    if (c === "\\") {
      const m = /^\\([A-Za-z]+|.)/.exec(src.slice(i));
      if (!m) throw new TokenizeError(i, "a lone backslash at the end", "remove it");
      const name = m[1]!;
      i += m[0].length;
      if (name === "{" || name === "}") {
        push(name, name, start, i);
        continue;
      }
      if (/^[,;:! ]$/.test(name) || SKIP.has(name)) continue;
      if (name === "%") continue;
      const kind = MACROS[name];
      if (kind) {
        push(kind, `\\${name}`, start, i);
        continue;
      }
      if (TEXT_MACROS.has(name)) {
        while (/\s/.test(src[i] ?? "")) i++;
        if (src[i] !== "{")
          throw new TokenizeError(i, `\\${name} must be followed by {…}`, "write \\text{name}");
        const close = src.indexOf("}", i);
        if (close < 0) throw new TokenizeError(i, `\\${name}{ is not closed`, "add the closing }");
        const inner = src
          .slice(i + 1, close)
          .trim()
          .replace(/\\_/g, "_")
          .replace(/\s+/g, "_");
        if (inner === "") throw new TokenizeError(i, `\\${name}{} is empty`, "put a name inside the braces");
        i = close + 1;
        const kw = WORDS[inner.toLowerCase()];
        if (kw) push(kw, inner, start, i);
        else if (/^for_?all$/i.test(inner) || /^for$/i.test(inner)) push("forall", inner, start, i);
        else push("ident", inner, start, i);
        continue;
      }
      if (GREEK.has(name)) {
        // \lambda_i → ident "lambda" followed by its subscript
        push("ident", name, start, i);
        continue;
      }
      throw new TokenizeError(
        start,
        `unknown LaTeX command \\${name}`,
        "use + - * / ^, \\sum, \\in, \\leq, \\geq, \\cdot, \\frac or plain names",
      );
    }
    const two = src.slice(i, i + 2);
    const twoKinds: Record<string, TokenKind> = {
      "<=": "le",
      "=<": "le",
      ">=": "ge",
      "=>": "ge",
      "==": "eq",
      "!=": "ne",
      "<>": "ne",
      "&&": "and",
      "..": "..",
    };
    const tk = twoKinds[two];
    if (tk) {
      i += 2;
      push(tk, two, start, i);
      continue;
    }
    const u = UNICODE[c];
    if (u) {
      i++;
      push(u, c, start, i);
      continue;
    }
    const single: Record<string, TokenKind> = {
      "+": "+",
      "-": "-",
      "*": "*",
      "/": "/",
      "^": "^",
      "(": "(",
      ")": ")",
      "[": "[",
      "]": "]",
      "{": "{",
      "}": "}",
      ",": ",",
      ":": ":",
      "|": "|",
      _: "_",
      "<": "lt",
      ">": "gt",
      "=": "eq",
    };
    const sk = single[c];
    if (sk) {
      i++;
      push(sk, c, start, i);
      continue;
    }
    if (c === "$") {
      i++; // math-mode delimiters
      continue;
    }
    throw new TokenizeError(
      start,
      `unexpected character ${JSON.stringify(c)}`,
      "write the expression with names, numbers, + - * / ^, sums and <=, >=, =",
    );
  }
  out.push({ kind: "eof", text: "", pos: src.length, end: src.length });
  return out;
}

/** How a token is named in "expected … found …" messages. */
export function describeToken(t: Token): string {
  if (t.kind === "eof") return "the end of the text";
  if (t.kind === "num") return `the number ${t.text}`;
  if (t.kind === "ident") return `"${t.text}"`;
  return `"${t.text}"`;
}
