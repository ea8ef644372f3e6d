/**
 * File helpers shared by every command: read with a clear error, and write atomically
 * (a temporary sibling renamed when complete; never over an input; refuse to overwrite unless forced).
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { InputError, IoError } from "../errors/index.js";

export async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw fileReadError(file, e);
  }
}

export function fileReadError(file: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT")
    return new InputError({ where: file, what: "no such file", hint: "check the path", cause: e });
  if (code === "EISDIR")
    return new InputError({
      where: file,
      what: "is a directory, not a file",
      hint: "give a file path",
      cause: e,
    });
  if (code === "EACCES")
    return new InputError({
      where: file,
      what: "permission denied",
      hint: "check the file's permissions",
      cause: e,
    });
  return new InputError({
    where: file,
    what: `cannot read (${code ?? String(e)})`,
    hint: "check the path",
    cause: e,
  });
}

/** Reads a JSON or YAML file (by extension; `.json` is JSON, everything else YAML, a JSON superset). */
export async function readStructured(file: string): Promise<unknown> {
  const text = await readText(file);
  try {
    return file.toLowerCase().endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new InputError({
      where: file,
      what: `not valid ${file.toLowerCase().endsWith(".json") ? "JSON" : "YAML"} (${(e as Error).message.split("\n")[0]})`,
      hint: "fix the syntax",
      cause: e,
    });
  }
}

export interface WriteOptions {
  /** Overwrite an existing output. */
  force?: boolean;
  /** Paths that must never be written (the command's inputs). */
  inputs?: readonly string[];
}

/** Checks that `out` may be written: not an input, and not existing unless forced. */
export function checkOutputPath(out: string, opts: WriteOptions = {}): void {
  const abs = resolve(out);
  for (const i of opts.inputs ?? []) {
    if (resolve(i) === abs)
      throw new InputError({ where: out, what: "is also an input", hint: "choose another output path" });
  }
  if (!opts.force && existsSync(abs))
    throw new InputError({ where: out, what: "already exists", hint: "choose another path or pass --force" });
}

export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** Writes `data` to a temporary sibling and renames it over `out` when complete. */
export async function writeAtomic(
  out: string,
  data: string | Uint8Array,
  opts: WriteOptions = {},
): Promise<void> {
  checkOutputPath(out, opts);
  await mkdir(dirname(resolve(out)), { recursive: true });
  const tmp = tempSibling(out);
  try {
    await writeFile(tmp, data);
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new IoError({
      where: out,
      what: `cannot write (${(e as Error).message})`,
      hint: "check the folder exists and is writable",
      cause: e,
    });
  }
}

/**
 * Builds a folder under a temporary sibling name and renames it to `out` when `build` resolves.
 * If `build` throws (or the process is interrupted), the temporary folder is removed and `out`
 * is never created, so a folder at `out` is always complete.
 */
export async function writeFolderAtomic(
  out: string,
  build: (tmpDir: string) => Promise<void>,
  opts: WriteOptions = {},
): Promise<void> {
  checkOutputPath(out, opts);
  await mkdir(dirname(resolve(out)), { recursive: true });
  const tmp = tempSibling(out);
  await mkdir(tmp);
  const cleanup = () => {
    void rm(tmp, { recursive: true, force: true });
  };
  process.once("exit", cleanup);
  try {
    await build(tmp);
    if (opts.force && existsSync(out)) await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    process.removeListener("exit", cleanup);
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
