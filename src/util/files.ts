/**
 * File helpers shared by every command: read with a clear error, and write atomically
 * (a temporary sibling renamed when complete; never over an input; refuse to overwrite unless forced).
 */
import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, rmSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { FrugalError, InputError, IoError } from "../errors/index.js";

/** The text of a UTF-8 file; an InputError naming it (no such file, a folder, no permission) otherwise. */
export async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw fileReadError(file, e);
  }
}

/** The InputError for a failed read of `file`, from the Node error code (ENOENT, EISDIR, EACCES, other). */
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

/** How an output may be written: overwrite or not, and the inputs it must never replace. */
export interface WriteOptions {
  /** Overwrite an existing output. */
  force?: boolean;
  /** Paths that must never be written (the command's inputs). */
  inputs?: readonly string[];
}

/**
 * Checks that `out` may be written before any work is done: not an input, not a folder (unless
 * `folder`), its parent folder writable when it exists, and not existing unless forced.
 */
export function checkOutputPath(out: string, opts: WriteOptions & { folder?: boolean } = {}): void {
  const abs = resolve(out);
  for (const i of opts.inputs ?? []) {
    if (resolve(i) === abs)
      throw new InputError({ where: out, what: "is also an input", hint: "choose another output path" });
  }
  const st = statOrNull(abs);
  if (st?.isDirectory() && !opts.folder)
    throw new InputError({ where: out, what: "is a folder", hint: "give a file path" });
  if (st && !st.isDirectory() && opts.folder)
    throw new InputError({ where: out, what: "is a file, not a folder", hint: "give a folder path" });
  if (!opts.force && st)
    throw new InputError({ where: out, what: "already exists", hint: "choose another path or pass --force" });
  const parent = nearestExisting(dirname(abs));
  if (!statOrNull(parent)?.isDirectory())
    throw new InputError({
      where: out,
      what: `${shown(parent)} is not a folder`,
      hint: "choose another output path",
    });
  try {
    accessSync(parent, constants.W_OK);
  } catch {
    throw new InputError({
      where: out,
      what: `cannot write into ${shown(parent)} (permission denied)`,
      hint: "choose a writable folder",
    });
  }
}

/**
 * Checks every output of a command at once, before the work: each as `checkOutputPath`, and no
 * path given twice (`flag` names the option each comes from).
 */
export function checkOutputPaths(
  outs: readonly { path: string; flag: string; folder?: boolean }[],
  opts: WriteOptions = {},
): void {
  const seen = new Map<string, string>();
  for (const o of outs) {
    const abs = resolve(o.path);
    const prev = seen.get(abs);
    if (prev !== undefined)
      throw new InputError({
        where: o.flag,
        what: `writes to ${o.path}, as ${prev} does`,
        hint: "give each output its own path",
      });
    seen.set(abs, o.flag);
    checkOutputPath(o.path, { ...opts, folder: o.folder });
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** A path as the user would write it: relative to the working folder when inside it, else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

function nearestExisting(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Temporary files and folders being written now; removed synchronously if the process exits. */
const liveTemps = new Set<string>();
let exitHookInstalled = false;

function trackTemp(path: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const t of liveTemps) rmSync(t, { recursive: true, force: true });
    });
  }
  liveTemps.add(path);
}

/** A fresh hidden temporary name next to `path` (same folder, so a rename is atomic). */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Writes a file through `write(tmp)` into a temporary sibling and renames it over `out` when
 * `write` resolves. On failure or exit the temporary file is removed, so a file at `out` is always
 * complete. Use this for streamed writers; `writeAtomic` for data already in memory.
 */
export async function writeFileAtomic<T>(
  out: string,
  write: (tmp: string) => Promise<T>,
  opts: WriteOptions = {},
): Promise<T> {
  checkOutputPath(out, opts);
  await mkdir(dirname(resolve(out)), { recursive: true });
  const tmp = tempSibling(out);
  trackTemp(tmp);
  try {
    const r = await write(tmp);
    await rename(tmp, out);
    return r;
  } catch (e) {
    await rm(tmp, { force: true });
    throw writeError(out, e);
  } finally {
    liveTemps.delete(tmp);
  }
}

/**
 * The error to throw when writing `path` failed: typed errors pass through, the system's I/O errors
 * (those with an errno code) become an IoError naming the file; anything else is not about the file
 * (a bug in the code producing the bytes) and passes through unchanged, so it is not reported as
 * an unwritable folder.
 */
export function writeError(path: string, e: unknown): unknown {
  if (e instanceof FrugalError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string") return e;
  return new IoError({
    where: path,
    what: `cannot write (${code === "ENOSPC" ? "the disk is full" : code === "EACCES" ? "permission denied" : (e as Error).message})`,
    hint: "check the folder is writable and the disk has space",
    cause: e,
  });
}

/** Writes `data` to a temporary sibling and renames it over `out` when complete. */
export async function writeAtomic(
  out: string,
  data: string | Uint8Array,
  opts: WriteOptions = {},
): Promise<void> {
  await writeFileAtomic(out, (tmp) => writeFile(tmp, data), opts);
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
  checkOutputPath(out, { ...opts, folder: true });
  await mkdir(dirname(resolve(out)), { recursive: true });
  const tmp = tempSibling(out);
  trackTemp(tmp);
  await mkdir(tmp);
  try {
    await build(tmp);
    if (opts.force && existsSync(out)) await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    liveTemps.delete(tmp);
  }
}

/** Whether `path` exists and is a folder. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
