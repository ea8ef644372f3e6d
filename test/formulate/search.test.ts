/**
 * The strategies against a scripted OpenAI-compatible server on loopback (a test double: no LLM
 * server runs on this machine). Real HTTP, canned completions from the toy world; the call counts
 * must be exactly the formulas' (docs/formulate.md), bpp must pick the leaf the preference judge
 * prefers, and faults must be retried or repaired without changing the outcome.
 */
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runSearch, type SearchOptions } from "../../src/formulate/search/run.js";
import { strategies } from "../../src/formulate/search/strategies.js";
import { LlmError } from "../../src/llm/errors.js";
import { OpenAiClient, type OpenAiClientOptions } from "../../src/llm/openai.js";
import {
  type Action,
  type Recorded,
  type ScriptedServer,
  startScriptedServer,
} from "../helpers/scripted-server.js";
import {
  brokenReply,
  layerOf,
  PREFERRED_LEAF,
  PREFERRED_OBJECTIVE,
  PRM_BEST_OBJECTIVE,
  policyReply,
  preference,
  prmScore,
  TOY_QUESTION,
  toyAnswer,
} from "./helpers/toy-world.js";

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(script: (r: Recorded) => Action = toyAnswer): Promise<ScriptedServer> {
  const s = await startScriptedServer(script);
  servers.push(s);
  return s;
}

function client(url: string, extra: Partial<OpenAiClientOptions> = {}): OpenAiClient {
  return new OpenAiClient({
    baseUrl: url,
    model: "toy",
    retry: { timeoutMs: 10_000, retries: 3, backoffMs: 1, maxBackoffMs: 5 },
    ...extra,
  });
}

function search(
  s: ScriptedServer,
  strategy: string,
  params: Record<string, unknown>,
  extra: Partial<SearchOptions> = {},
) {
  return runSearch({
    question: TOY_QUESTION,
    llm: client(s.url),
    strategy,
    params,
    solveTimeLimit: 20,
    ...extra,
  });
}

/** Requests the server saw, by kind, and the samples asked of the policy. */
function seen(s: ScriptedServer) {
  const policy = s.requests.filter((r) => layerOf(r) !== null && !/cannot be used/.test(r.user));
  return {
    policyRequests: policy.length,
    policySamples: policy.reduce((t, r) => t + r.n, 0),
    prm: s.requests.filter((r) => r.schema === "process_reward").length,
    preference: s.requests.filter((r) => r.schema === "pairwise_preference").length,
  };
}

// n = 3 children, b = 2 beam, k = 3 chains, L = 3 generated layers
const TABLE: [
  string,
  Record<string, unknown>,
  { policy: number; prm: number; preference: number },
  number | null,
][] = [
  ["cot", {}, { policy: 3, prm: 0, preference: 0 }, 50],
  ["self-consistency", { samples: 3 }, { policy: 9, prm: 0, preference: 0 }, 50],
  ["tot-random", { children: 3 }, { policy: 39, prm: 0, preference: 0 }, null],
  ["tot-full", { children: 3 }, { policy: 39, prm: 27, preference: 0 }, PRM_BEST_OBJECTIVE],
  ["greedy", { children: 3 }, { policy: 9, prm: 9, preference: 0 }, PRM_BEST_OBJECTIVE],
  [
    "random-greedy",
    { children: 3, threshold: 0.05 },
    { policy: 9, prm: 9, preference: 0 },
    PRM_BEST_OBJECTIVE,
  ],
  ["epsilon-greedy", { children: 3, epsilon: 0 }, { policy: 9, prm: 9, preference: 0 }, PRM_BEST_OBJECTIVE],
  ["beam", { children: 3, beam: 2 }, { policy: 15, prm: 15, preference: 0 }, PRM_BEST_OBJECTIVE],
  ["bpp", { children: 3, beam: 2 }, { policy: 15, prm: 9, preference: 30 }, PREFERRED_OBJECTIVE],
  ["bpp", { children: 3, beam: 3 }, { policy: 21, prm: 12, preference: 72 }, PREFERRED_OBJECTIVE],
  [
    "bpp",
    { children: 3, beam: 2, symmetric: false },
    { policy: 15, prm: 9, preference: 15 },
    PREFERRED_OBJECTIVE,
  ],
];

describe("strategies make exactly the calls of their formulas", () => {
  it("covers every registered strategy", () => {
    expect(new Set(TABLE.map((t) => t[0]))).toEqual(new Set(strategies.names()));
  });

  it.each(TABLE)("%s %j: %j", async (name, params, calls, objective) => {
    const s = await serve();
    const r = await search(s, name, params);
    expect(r.expectedCalls).toEqual(calls);
    expect(r.calls).toEqual({ ...calls, repair: 0 });
    const v = seen(s);
    expect(v.policySamples).toBe(calls.policy);
    expect({ prm: v.prm, preference: v.preference }).toEqual({
      prm: calls.prm,
      preference: calls.preference,
    });
    expect(r.usage.byPurpose.policy?.samples).toBe(calls.policy);
    expect(r.usage.httpRequests).toBe(s.requests.length);
    expect(r.tokens).toEqual({ prompt: 100 * s.requests.length, completion: 20 * s.requests.length });
    expect(r.status).toBe("chosen");
    expect(r.chosen?.status).toBe("optimal");
    if (objective !== null) expect(r.chosen?.objective).toBeCloseTo(objective, 6);
    // the chosen path runs from the root to the chosen leaf
    expect(r.tree.filter((n) => n.chosen).map((n) => n.layer)).toEqual([0, 1, 2, 3]);
  });

  it("asks n samples in one request: bpp makes 1 + 2 + 2 policy requests", async () => {
    const s = await serve();
    await search(s, "bpp", { children: 3, beam: 2 });
    expect(seen(s).policyRequests).toBe(5);
  });
});

describe("bpp", () => {
  it("picks the final leaf the preference judge prefers, where beam follows the process reward", async () => {
    const s = await serve();
    const r = await search(s, "bpp", { children: 3, beam: 2 });
    expect(r.chosen?.model.constraints[0]?.description).toBe(`leaf:${PREFERRED_LEAF}`);
    expect(r.chosen?.objective).toBeCloseTo(PREFERRED_OBJECTIVE, 6);
    const finals = r.tree.filter((n) => n.layer === 3);
    expect(finals).toHaveLength(6);
    const chosen = finals.find((n) => n.chosen)!;
    expect(chosen.preference).toBeCloseTo(0.9, 12);
    for (const f of finals) if (f !== chosen) expect(f.preference).toBeCloseTo(0.42, 12);
    expect(finals.every((f) => f.prm === null)).toBe(true);
    const b = await search(await serve(), "beam", { children: 3, beam: 2 });
    expect(b.chosen?.objective).toBeCloseTo(PRM_BEST_OBJECTIVE, 6);
  });
});

describe("faults", () => {
  it("retries 5xx, 429 and dropped connections, waits for slow answers, repairs broken replies; the outcome is unchanged", async () => {
    const byLayer: Record<string, number> = {};
    let prmSeen = 0;
    let prefSeen = 0;
    const s = await serve((req) => {
      if (req.index === 0) return { kind: "status", status: 500 };
      if (req.index === 1) return { kind: "drop" };
      if (req.index === 2) return { kind: "status", status: 429, headers: { "retry-after": "0" } };
      if (req.schema === "process_reward" && prmSeen++ === 3) return { kind: "status", status: 503 };
      if (req.schema === "pairwise_preference" && prefSeen++ === 7) return { kind: "drop" };
      const a = toyAnswer(req);
      const layer = layerOf(req);
      if (a.kind !== "reply" || !layer || /cannot be used/.test(req.user)) return a;
      const k = (byLayer[layer] ?? 0) + 1;
      byLayer[layer] = k;
      // the first request of each layer has one broken sample, and arrives late
      if (k === 1 && layer === "sets_parameters") a.contents[1] = brokenReply("compile", layer, 1);
      if (k === 1 && layer === "variables") a.contents[2] = brokenReply("truncated", layer, 2);
      if (k === 1 && layer === "objective_constraints") a.contents[0] = brokenReply("prose", layer, 0);
      return { ...a, delayMs: 30 };
    });
    const r = await search(s, "bpp", { children: 3, beam: 2 });
    expect(r.calls).toEqual({ policy: 15, prm: 9, preference: 30, repair: 3 });
    expect(r.usage.retries).toBe(5);
    expect(r.usage.httpRequests).toBe(s.requests.length);
    expect(r.chosen?.model.constraints[0]?.description).toBe(`leaf:${PREFERRED_LEAF}`);
    const repaired = r.tree.filter((n) => n.repairs > 0);
    expect(repaired).toHaveLength(3);
    expect(repaired.every((n) => n.valid)).toBe(true);
    // the repair request carried the compiler's message with a caret under the position
    const repair = s.requests.find((q) => /cannot be used/.test(q.user) && /unknown set Q/.test(q.user));
    expect(repair?.user).toMatch(
      /parameters\[0\] \(profit\)\.domain: at position 5: unknown set Q; did you mean P\? \(declared sets: P\)\n {2}p in Q\n {7}\^/,
    );
  });

  it("keeps a child that stays broken after the repairs as invalid, unscored and uncompared", async () => {
    const s = await serve((req) => {
      const a = toyAnswer(req);
      const first: string =
        req.body?.messages?.find((m: { role: string }) => m.role === "user")?.content ?? "";
      const branch = /"name":"cap"[^}]*"data":12/.test(first) && /"description":"v1"/.test(first);
      if (a.kind !== "reply" || layerOf(req) !== "objective_constraints" || !branch) return a;
      if (/cannot be used/.test(req.user)) return { kind: "reply", contents: ["no JSON here #1"] };
      return { kind: "reply", contents: a.contents.map((c, i) => (i === 1 ? "no JSON here #1" : c)) };
    });
    // the broken sample's repairs are broken too: "no JSON here" comes back for every repair of the 12:1 branch
    const r = await search(s, "bpp", { children: 3, beam: 2 }, { repairs: 1 });
    const bad = r.tree.filter((n) => !n.valid);
    expect(bad.length).toBeGreaterThan(0);
    for (const b of bad) expect(b.error).toBe("the reply contains no JSON object");
    expect(r.calls.preference).toBe(r.leaves.valid * (r.leaves.valid - 1));
    expect(r.chosen?.objective).toBeCloseTo(PREFERRED_OBJECTIVE, 6);
  });

  it("tops up when a server ignores n, and steps down from json_schema when it refuses response_format", async () => {
    // a server that ignores n samples anew for each request (the toy world's sample i is the i-th identical request)
    const repeats = new Map<string, number>();
    const s = await serve((req) => {
      if (req.body?.response_format)
        return {
          kind: "status",
          status: 400,
          body: JSON.stringify({
            error: { message: `response_format ${req.body.response_format.type} is not supported` },
          }),
        };
      const layer = layerOf(req);
      if (!layer) return toyAnswer(req);
      const key = JSON.stringify(req.body.messages);
      const i = repeats.get(key) ?? 0;
      repeats.set(key, i + 1);
      const first: string = req.body.messages.find((m: { role: string }) => m.role === "user").content;
      return { kind: "reply", contents: [policyReply(layer, first, i)] };
    });
    const events: string[] = [];
    const r = await runSearch({
      question: TOY_QUESTION,
      llm: client(s.url, { onEvent: (e) => events.push(e.kind) }),
      strategy: "bpp",
      params: { children: 3, beam: 2 },
    });
    expect(r.calls).toEqual({ policy: 15, prm: 9, preference: 30, repair: 0 });
    expect(r.chosen?.objective).toBeCloseTo(PREFERRED_OBJECTIVE, 6);
    expect(events.filter((e) => e === "fallback")).toHaveLength(2);
    expect(events).toContain("topup");
    const plain = s.requests.filter((q) => !q.body?.response_format);
    expect(plain.filter((q) => layerOf(q) !== null)).toHaveLength(15);
  });

  it("reports a server that answers garbage, one that never answers, one that refuses and one that says 401", async () => {
    const html = await serve(() => ({ kind: "raw", body: "<html><body>Bad gateway</body></html>" }));
    const c1 = new OpenAiClient({
      baseUrl: html.url,
      model: "toy",
      retry: { retries: 2, backoffMs: 1, maxBackoffMs: 2, timeoutMs: 10_000 },
    });
    await expect(runSearch({ question: TOY_QUESTION, llm: c1, strategy: "cot" })).rejects.toThrow(
      `${html.url}/chat/completions: the server answered with something that is not JSON (<html><body>Bad gateway</body></html>) (3 attempts); check that the URL is an OpenAI-compatible API`,
    );
    const notChat = await serve(() => ({ kind: "json", body: { hello: "world" } }));
    await expect(
      runSearch({ question: TOY_QUESTION, llm: client(notChat.url), strategy: "cot" }),
    ).rejects.toThrow(
      /chat\/completions: the answer is not an OpenAI chat completion \(.*\); check that the base URL is an OpenAI-compatible API/,
    );
    const hang = await serve(() => ({ kind: "hang" }));
    const c2 = new OpenAiClient({
      baseUrl: hang.url,
      model: "toy",
      retry: { retries: 1, timeoutMs: 200, backoffMs: 1, maxBackoffMs: 2 },
    });
    const err = await runSearch({ question: TOY_QUESTION, llm: c2, strategy: "cot" }).catch((e) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect(err.message).toBe(
      `${hang.url}/chat/completions: no answer within 0.2 s (2 attempts); check the URL and that the server is up`,
    );
    expect((err as LlmError).attempts).toBe(2);
    const gone = await serve();
    const url = gone.url;
    await gone.close();
    const c3 = new OpenAiClient({
      baseUrl: url,
      model: "toy",
      retry: { retries: 1, backoffMs: 1, maxBackoffMs: 2, timeoutMs: 5000 },
    });
    await expect(runSearch({ question: TOY_QUESTION, llm: c3, strategy: "cot" })).rejects.toThrow(
      `${url}/chat/completions: the connection was refused (is the server running?) (2 attempts); check the URL and that the server is up`,
    );
    const denied = await serve(() => ({ kind: "status", status: 401, body: '{"error":"invalid api key"}' }));
    const d = client(denied.url);
    await expect(runSearch({ question: TOY_QUESTION, llm: d, strategy: "cot" })).rejects.toThrow(
      `${denied.url}/chat/completions: the server answered HTTP 401 ({"error":"invalid api key"}); set the API key in FRUGAL_LLM_API_KEY (or OPENAI_API_KEY)`,
    );
    expect(denied.requests).toHaveLength(1);
  });

  it("counts an unreadable judge reply as 0.5 and notes it", async () => {
    const s = await serve((req) =>
      req.schema === "process_reward" ? { kind: "reply", contents: ["looks fine to me"] } : toyAnswer(req),
    );
    const r = await search(s, "greedy", { children: 3 });
    expect(r.calls).toEqual({ policy: 9, prm: 9, preference: 0, repair: 0 });
    expect(r.tree.filter((n) => n.prm !== null).every((n) => n.prm === 0.5)).toBe(true);
    expect(r.notes).toHaveLength(9);
    expect(r.notes[0]).toMatch(
      /^unreadable judge reply \(process reward of 0\.\d: the reply contains no JSON object\); counted as 0\.5$/,
    );
  });
});

/** Answers stored in a cache folder. */
async function cached(dir: string): Promise<number> {
  const subs = await readdir(dir).catch(() => [] as string[]);
  let n = 0;
  for (const d of subs) n += (await readdir(join(dir, d))).filter((f) => f.endsWith(".json")).length;
  return n;
}

describe("cache", () => {
  it("replays cached answers: an interrupted run resumes where it stopped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "frugal-cache-"));
    const cacheDir = join(dir, "cache");
    // a server that fails for good after 12 answers: the first run stops with an error
    let answered = 0;
    const flaky = await serve((req) => (answered++ < 12 ? toyAnswer(req) : { kind: "status", status: 500 }));
    const opts = { retry: { retries: 1, backoffMs: 1, maxBackoffMs: 2, timeoutMs: 10_000 }, cacheDir };
    await expect(
      runSearch({
        question: TOY_QUESTION,
        llm: client(flaky.url, opts),
        strategy: "bpp",
        params: { children: 3, beam: 2 },
      }),
    ).rejects.toThrow(/HTTP 500/);
    // requests still in flight when the run failed may store their answers a moment later: wait for all 12
    for (let k = 0; k < 200 && (await cached(cacheDir)) < 12; k++)
      await new Promise((r) => setTimeout(r, 25));
    expect(await cached(cacheDir)).toBe(12);
    const healthy = await serve();
    const r = await runSearch({
      question: TOY_QUESTION,
      llm: client(healthy.url, opts),
      strategy: "bpp",
      params: { children: 3, beam: 2 },
    });
    expect(r.chosen?.objective).toBeCloseTo(PREFERRED_OBJECTIVE, 6);
    expect(r.usage.cacheHits).toBe(12);
    expect(healthy.requests.length).toBe(5 + 9 + 30 - 12);
    const again = await serve();
    const r2 = await runSearch({
      question: TOY_QUESTION,
      llm: client(again.url, opts),
      strategy: "bpp",
      params: { children: 3, beam: 2 },
    });
    expect(again.requests).toHaveLength(0);
    expect(r2.calls).toEqual(r.calls);
    expect(r2.tokens).toEqual(r.tokens);
    expect(r2.chosen?.objective).toBe(r.chosen?.objective);
  });
});

describe("scorers", () => {
  it("classifier endpoints (TEI-style answers) as process reward and preference give the same search", async () => {
    const s = await serve((req) => {
      if (req.path === "/predict") {
        const text: string = req.body.inputs;
        const score = text.includes("Model B:") ? preference(text) : prmScore(text);
        return {
          kind: "json",
          body: [
            [
              { label: "LABEL_0", score: 1 - score },
              { label: "LABEL_1", score },
            ],
          ],
        };
      }
      return toyAnswer(req);
    });
    const part = [{ name: "classifier", weight: 1, params: { url: `${s.origin}/predict` } }];
    const r = await search(s, "bpp", { children: 3, beam: 2 }, { prm: part, preference: part });
    expect(r.calls).toEqual({ policy: 15, prm: 9, preference: 30, repair: 0 });
    expect(r.chosen?.objective).toBeCloseTo(PREFERRED_OBJECTIVE, 6);
    expect(s.requests.filter((q) => q.path === "/predict")).toHaveLength(39);
    expect(
      s.requests.filter((q) => q.schema === "process_reward" || q.schema === "pairwise_preference"),
    ).toHaveLength(0);
  });

  it("the solver verifier makes no LLM calls; weighted with the judge it keeps the judge's calls", async () => {
    const s = await serve();
    const solverOnly = [{ name: "solver", weight: 1 }];
    const r = await search(s, "bpp", { children: 3, beam: 2 }, { prm: solverOnly, preference: solverOnly });
    expect(r.calls).toEqual({ policy: 15, prm: 9, preference: 30, repair: 0 });
    expect(seen(s)).toMatchObject({ prm: 0, preference: 0 });
    const s2 = await serve();
    const mixed = [
      { name: "llm-judge", weight: 0.7 },
      { name: "solver", weight: 0.3 },
    ];
    const r2 = await search(s2, "bpp", { children: 3, beam: 2 }, { prm: mixed, preference: mixed });
    expect(seen(s2)).toMatchObject({ prm: 9, preference: 30 });
    expect(r2.chosen?.objective).toBeCloseTo(PREFERRED_OBJECTIVE, 6);
  });

  it("refuses unknown strategies, unknown parameters and scorers without what they need", async () => {
    const s = await serve();
    await expect(search(s, "mcts", {})).rejects.toThrow(
      'strategy: unknown strategy "mcts"; use one of cot, self-consistency, tot-random, tot-full, greedy, random-greedy, epsilon-greedy, beam, bpp',
    );
    await expect(search(s, "greedy", { beam: 2 })).rejects.toThrow(
      /strategy greedy parameters: Unrecognized key: "beam"; greedy takes children/,
    );
    await expect(search(s, "bpp", {}, { prm: [{ name: "classifier", weight: 1 }] })).rejects.toThrow(
      "scorer classifier parameters: url: is missing; give the classifier endpoint's URL, e.g. http://localhost:8080/predict",
    );
    expect(s.requests).toHaveLength(0);
  });
});
