import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError, IoError } from "../../src/errors/index.js";
import {
  readStructured,
  writeAtomic,
  writeError,
  writeFileAtomic,
  writeFolderAtomic,
} from "../../src/util/files.js";

describe("atomic outputs", () => {
  it("a failed folder build leaves nothing behind, not even the temporary folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const out = join(dir, "out");
    await expect(
      writeFolderAtomic(out, async (tmp) => {
        await writeFile(join(tmp, "half.bin"), "x");
        throw new Error("interrupted");
      }),
    ).rejects.toThrow("interrupted");
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a write refused by the OS (EACCES) is one line naming the file; no temporary file is left", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const out = join(dir, "plan.json");
    // the OS error is raised by the writer: tests often run as root, where permissions never refuse
    const denied = Object.assign(new Error(`EACCES: permission denied, open '${out}'`), { code: "EACCES" });
    await expect(
      writeFileAtomic(out, async () => {
        throw denied;
      }),
    ).rejects.toThrow(
      `${out}: cannot write (permission denied); check the folder is writable and the disk has space`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses to overwrite an output or write over an input", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const f = join(dir, "a.txt");
    await writeAtomic(f, "one");
    await expect(writeAtomic(f, "two")).rejects.toThrow(
      /already exists; choose another path or pass --force/,
    );
    await expect(writeAtomic(f, "two", { force: true, inputs: [f] })).rejects.toThrow(/is also an input/);
    await writeAtomic(f, "three", { force: true });
    expect(readFileSync(f, "utf8")).toBe("three");
    expect(readdirSync(dir)).toEqual(["a.txt"]);
  });

  it("names the file and the syntax problem of a bad JSON/YAML file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-"));
    const f = join(dir, "c.json");
    await writeFile(f, "{ nope");
    await expect(readStructured(f)).rejects.toThrow(InputError);
    await expect(readStructured(f)).rejects.toThrow(/c\.json: not valid JSON/);
  });
});

describe("writeError", () => {
  it("names the file for the system's I/O errors, and lets other errors through unchanged", async () => {
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const io = writeError("out.bin", full);
    expect(io).toBeInstanceOf(IoError);
    expect((io as IoError).message).toBe(
      "out.bin: cannot write (the disk is full); check the folder is writable and the disk has space",
    );
    const bad = new InputError({ where: "a.json", what: "bad", hint: "fix it" });
    expect(writeError("out.bin", bad)).toBe(bad);
    const bug = new RangeError("offset out of range");
    expect(writeError("out.bin", bug)).toBe(bug);
    // Through an atomic write: a bug while producing the bytes is not reported as an unwritable folder.
    const dir = await mkdtemp(join(tmpdir(), "frugal-files-"));
    await expect(
      writeFileAtomic(join(dir, "x.bin"), async () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
    expect(readdirSync(dir)).toEqual([]);
  });
});
