/**
 * The on-disk response cache: one JSON file per request, named by the SHA-256 of the request
 * (model, messages, sampling options, schema and the caller's cache key), written
 * atomically. An interrupted `eval` run again with the same cache folder replays the answers it
 * already has and asks the server only for the rest.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tempSibling } from "../util/files.js";
import type { TokenUsage } from "./types.js";

/** What the cache keeps per request. */
export interface CachedAnswer {
  contents: string[];
  usage: TokenUsage;
}

/** JSON with sorted keys, so equal requests hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** Answers on disk, one file per request key. */
export class ResponseCache {
  constructor(readonly dir: string) {}

  /** The key of a request (hex SHA-256 of its canonical JSON). */
  key(request: unknown): string {
    return createHash("sha256").update(canonicalJson(request)).digest("hex");
  }

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The cached answer, or null (a missing or unreadable entry is a miss). */
  async get(key: string): Promise<CachedAnswer | null> {
    try {
      const v = JSON.parse(await readFile(this.path(key), "utf8")) as CachedAnswer;
      if (!Array.isArray(v.contents) || typeof v.usage?.promptTokens !== "number") return null;
      return v;
    } catch {
      return null;
    }
  }

  /** Stores an answer (temporary file, then rename: a reader never sees half an entry). */
  async put(key: string, answer: CachedAnswer): Promise<void> {
    const file = this.path(key);
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    const tmp = tempSibling(file);
    await writeFile(tmp, JSON.stringify(answer));
    await rename(tmp, file);
  }
}
