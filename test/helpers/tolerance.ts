/** Tolerance helpers for numeric assertions: `expectClose(actual, expected, { rel, abs })`. */
import { expect } from "vitest";

export interface Tolerance {
  /** Relative tolerance (default 1e-6). */
  rel?: number;
  /** Absolute tolerance (default 1e-9). */
  abs?: number;
}

export function isClose(actual: number, expected: number, tol: Tolerance = {}): boolean {
  const rel = tol.rel ?? 1e-6;
  const abs = tol.abs ?? 1e-9;
  if (Number.isNaN(actual) || Number.isNaN(expected)) return Number.isNaN(actual) && Number.isNaN(expected);
  if (actual === expected) return true;
  return Math.abs(actual - expected) <= Math.max(abs, rel * Math.max(Math.abs(actual), Math.abs(expected)));
}

export function expectClose(actual: number | null | undefined, expected: number, tol: Tolerance = {}): void {
  expect(actual, `expected a number close to ${expected}`).not.toBeNull();
  expect(actual).not.toBeUndefined();
  if (!isClose(actual as number, expected, tol))
    expect.fail(
      `expected ${actual} to be within rel ${tol.rel ?? 1e-6} / abs ${tol.abs ?? 1e-9} of ${expected}`,
    );
}

export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance = {},
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++)
    if (!isClose(actual[i]!, expected[i]!, tol))
      expect.fail(
        `index ${i}: expected ${actual[i]} to be within rel ${tol.rel ?? 1e-6} / abs ${tol.abs ?? 1e-9} of ${expected[i]}`,
      );
}
