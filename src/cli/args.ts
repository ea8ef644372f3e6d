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
      if (!choices.includes(s))
        throw new InvalidArgumentError(`has "${s}", which is not one of ${choices.join(", ")}`);
    return [...new Set(items)];
  };
}

/** A comma-separated list of numbers, each within `range` (e.g. `0,0.25,0.5`); duplicates dropped, order kept. */
export function numberListArg(range: NumberRange = {}): (v: string) => number[] {
  const one = numberArg(range);
  return (v) => {
    const items = v.split(",").map((x) => x.trim());
    if (items.some((x) => x === ""))
      throw new InvalidArgumentError(`must be a comma-separated list of ${describe("number", range)}s`);
    try {
      return [...new Set(items.map(one))];
    } catch {
      throw new InvalidArgumentError(`must be a comma-separated list of ${describe("number", range)}s`);
    }
  };
}

/** A byte size: a number with an optional unit (B, KB, MB, GB, KiB, MiB, GiB), e.g. `5GB`; at least 1 byte. */
export function byteSizeArg(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/i.exec(v.trim());
  const units: Record<string, number> = {
    b: 1,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
  };
  const n = m ? Number(m[1]) * (units[(m[2] ?? "b").toLowerCase()] ?? 1) : Number.NaN;
  if (!(n >= 1)) throw new InvalidArgumentError("must be a size like 5GB, 500MB or 1048576");
  return Math.floor(n);
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
