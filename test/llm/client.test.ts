/**
 * The LLM layer's parts: JSON extraction, the concurrency limit and the classifier answer formats,
 * against a scripted server on loopback where HTTP is involved (a test double: no LLM server runs
 * on this machine); and the optional local client's error when node-llama-cpp is absent.
 */
import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors/index.js";
import { readProbability } from "../../src/formulate/score/classifier.js";
import { extractJson } from "../../src/llm/json.js";
import { LocalLlamaClient } from "../../src/llm/local.js";
import { OpenAiClient } from "../../src/llm/openai.js";
import { type ScriptedServer, startScriptedServer } from "../helpers/scripted-server.js";

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("extractJson", () => {
  it("finds the object in fences, prose and after a reasoning block", () => {
    expect(extractJson('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(extractJson('Here you go:\n```json\n{"a": [1, 2]}\n```\nDone.')).toEqual({
      ok: true,
      value: { a: [1, 2] },
    });
    expect(extractJson('The model is {"a": "}"} as asked')).toEqual({ ok: true, value: { a: "}" } });
    expect(extractJson('<think>maybe {"a": 0}? no</think>\n{"a": 2}')).toEqual({ ok: true, value: { a: 2 } });
    expect(extractJson("")).toEqual({ ok: false, error: "the reply is empty" });
    expect(extractJson("no object")).toEqual({ ok: false, error: "the reply contains no JSON object" });
    expect(extractJson('{"a": [1, 2')).toEqual({
      ok: false,
      error: "the JSON object is cut short (no closing brace)",
    });
  });
});

describe("classifier answers", () => {
  it("reads a probability from the usual formats", () => {
    const pos = /^(LABEL_1|correct)$/i;
    expect(readProbability(0.7, pos)).toBe(0.7);
    expect(readProbability({ probability: 0.3 }, pos)).toBe(0.3);
    expect(readProbability({ score: 0.4 }, pos)).toBe(0.4);
    expect(
      readProbability(
        [
          { label: "LABEL_0", score: 0.2 },
          { label: "LABEL_1", score: 0.8 },
        ],
        pos,
      ),
    ).toBe(0.8);
    expect(
      readProbability(
        [
          [
            { label: "correct", score: 0.6 },
            { label: "wrong", score: 0.4 },
          ],
        ],
        pos,
      ),
    ).toBe(0.6);
    expect(readProbability([0.9], pos)).toBe(0.9);
    expect(readProbability({ verdict: "yes" }, pos)).toBeNull();
  });
});

describe("OpenAiClient", () => {
  it("keeps at most `concurrency` requests in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const s = await startScriptedServer(() => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => inFlight--, 40);
      return { kind: "reply", contents: ["{}"], delayMs: 40 };
    });
    servers.push(s);
    const c = new OpenAiClient({ baseUrl: s.url, model: "m", concurrency: 3 });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        c.complete({ messages: [{ role: "user", content: `q${i}` }], purpose: "test" }),
      ),
    );
    expect(s.requests).toHaveLength(12);
    expect(most).toBeLessThanOrEqual(3);
    expect(c.usage()).toMatchObject({
      calls: 12,
      samples: 12,
      httpRequests: 12,
      byPurpose: { test: { calls: 12 } },
    });
  });

  it("counts answers without a usage record and refuses a base URL that is not http(s)", async () => {
    const s = await startScriptedServer(() => ({ kind: "reply", contents: ["ok"], usage: null }));
    servers.push(s);
    const c = new OpenAiClient({ baseUrl: `${s.url}/`, model: "m" });
    const r = await c.complete({ messages: [{ role: "user", content: "q" }], purpose: "t", n: 1 });
    expect(r).toEqual({ contents: ["ok"], usage: { promptTokens: 0, completionTokens: 0 }, cached: false });
    expect(c.usage().usageMissing).toBe(1);
    expect(s.requests[0]?.path).toBe("/v1/chat/completions");
    expect(() => new OpenAiClient({ baseUrl: "ftp://host/v1", model: "m" })).toThrow(
      "ftp://host/v1: is not an http(s) URL; give the server's base URL, e.g. http://localhost:8000/v1",
    );
  });
});

const hasLlamaCpp = (() => {
  try {
    createRequire(import.meta.url).resolve("node-llama-cpp");
    return true;
  } catch {
    return false;
  }
})();

describe("local GGUF client", () => {
  it.skipIf(hasLlamaCpp)("says how to install node-llama-cpp when it is absent", async () => {
    const e = await LocalLlamaClient.open("model.gguf").catch((x) => x);
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(
      "node-llama-cpp: is not installed (it runs GGUF models locally and is optional); run `npm install node-llama-cpp`, or serve the model with an OpenAI-compatible server (vLLM, Ollama, llama.cpp) and pass its URL",
    );
  });
});
