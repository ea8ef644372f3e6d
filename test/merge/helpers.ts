/** Fixtures for the merge tests, generated at test time. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mergeMethods } from "../../src/merge/index.js";
import type { TensorMergeOutput } from "../../src/merge/methods/types.js";
import { Rng } from "../../src/util/random.js";

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "frugal-merge-test-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function writeConfig(dir: string, name: string, yaml: string): Promise<string> {
  const f = join(dir, name);
  await writeFile(f, yaml);
  return f;
}

/**
 * Runs one method on small tensors: `tensors` in source order, parameters given raw (validated by
 * the method's schemas, defaults filled), a seeded rng per source.
 */
export function runMethod(
  name: string,
  tensors: number[][],
  opts: {
    baseIndex?: number | null;
    params?: Record<string, unknown>;
    tensorParams?: Record<string, unknown>[];
    shape?: number[];
    seed?: number;
  } = {},
): TensorMergeOutput {
  const m = mergeMethods.get(name);
  const params = m.params.parse(opts.params ?? {});
  const tensorParams = tensors.map((_, i) => {
    const raw = opts.tensorParams?.[i] ?? {};
    return i === opts.baseIndex ? m.tensorParams.partial().parse(raw) : m.tensorParams.parse(raw);
  });
  return m.merge({
    name: "t",
    shape: opts.shape ?? [tensors[0]!.length],
    tensors: tensors.map((t) => Float32Array.from(t)),
    baseIndex: opts.baseIndex ?? null,
    params,
    tensorParams,
    rng: (i) => new Rng((opts.seed ?? 1) * 1000 + i),
  });
}
