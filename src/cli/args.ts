/**
 * The one way to check a flag's value: commander argument parsers (for numbers, integers, lists,
 * `name=value` pairs) and `choices` (for names from a registry). Each throws commander's
 * InvalidArgumentError, which the CLI prints as one line naming the flag and exits 2 with.
 */
import { InvalidArgumentError, Option } from "commander";

export interface NumberRange {
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** Values must be strictly greater than this. */
  above?: number;
}

function describe(kind: string, r: NumberRange): string {
  const parts: string[] = [];
  if (r.above !== undefined) parts.push(`> ${r.above}`);
  if (r.min !== undefined) parts.push(`≥ ${r.min}`);
  if (r.max !== undefined) parts.push(`≤ ${r.max}`);
  return parts.length ? `${kind} ${parts.join(" and ")}` : kind;
}

function inRange(n: number, r: NumberRange): boolean {
  return (
    (r.above === undefined || n > r.above) &&
    (r.min === undefined || n >= r.min) &&
    (r.max === undefined || n <= r.max)
  );
}

/** A finite number within `range`. */
export function numberArg(range: NumberRange = {}): (v: string) => number {
  return (v) => {
    const n = v.trim() === "" ? Number.NaN : Number(v);
    if (!Number.isFinite(n) || !inRange(n, range))
      throw new InvalidArgumentError(`must be a ${describe("number", range)}`);
    return n;
  };
}

/** An integer within `range` (no decimals, no exponent tricks: "1.9" and "abc" are refused). */
export function intArg(range: NumberRange = {}): (v: string) => number {
  return (v) => {
    const n = /^[+-]?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || !inRange(n, range))
      throw new InvalidArgumentError(`must be an ${describe("integer", range)}`);
    return n;
  };
}

/** A positive number (seconds, rates). */
export const positiveNumber = numberArg({ above: 0 });
/** A number ≥ 0. */
export const nonNegativeNumber = numberArg({ min: 0 });
/** A positive integer (counts). */
export const positiveInt = intArg({ min: 1 });
/** A seed: an integer ≥ 0. */
export const seedArg = intArg({ min: 0, max: 2 ** 32 - 1 });

/**
 * A comma-separated list of names, each one of `choices`; empty items and an empty list are
 * refused, duplicates are dropped.
 */
export function listArg(choices: readonly string[]): (v: string) => string[] {
  return (v) => {
    const items = v.split(",").map((s) => s.trim());
    if (items.length === 0 || items.some((s) => s === ""))
      throw new InvalidArgumentError(`must be a comma-separated list of ${choices.join(", ")}`);
    for (const s of items)
      if (!choices.includes(s)) throw new InvalidArgumentError(`"${s}" is not one of ${choices.join(", ")}`);
    return [...new Set(items)];
  };
}

/** A repeatable `name=value` flag; values are kept as text for the library to validate. */
export function collectPairs(v: string, prev: string[] = []): string[] {
  if (!/^[A-Za-z0-9_.-]+=.*$/.test(v)) throw new InvalidArgumentError("must look like name=value");
  return [...prev, v];
}

/** An option whose value must be one of `choices` (commander checks it, lists them in --help and on error). */
export function choiceOption(flags: string, description: string, choices: readonly string[]): Option {
  return new Option(flags, description).choices(choices);
}

/**
 * A size in bytes: a number with an optional unit, decimal K/M/G/T (as mergekit's
 * `--out-shard-size`) or binary KiB/MiB/GiB/TiB; `B` optional (`5G`, `500MB`, `2GiB`, `1048576`).
 */
export function byteSizeArg(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(i)?)?b?\s*$/i.exec(v);
  if (!m) throw new InvalidArgumentError("must be a size such as 5G, 500MB, 2GiB or a number of bytes");
  const exp = m[2] ? "kmgt".indexOf(m[2].toLowerCase()) + 1 : 0;
  const n = Number(m[1]) * (m[3] ? 1024 : 1000) ** exp;
  if (!(n >= 1) || !Number.isFinite(n)) throw new InvalidArgumentError("must be at least 1 byte");
  return Math.floor(n);
}
