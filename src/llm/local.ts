/**
 * A local GGUF model through node-llama-cpp (https://node-llama-cpp.withcat.ai), loaded by dynamic
 * `import()` only when asked for: it is an optional package (hundreds of MB of prebuilt binaries),
 * not a dependency. Structured output uses its JSON-schema grammar when the schema is one it can
 * compile, and otherwise the caller's parse-and-repair loop.
 */
import { basename } from "node:path";
import { InputError } from "../errors/index.js";
import {
  type ChatRequest,
  type ChatResult,
  emptyUsage,
  type LlmClient,
  type LlmUsage,
  recordCall,
  snapshot,
} from "./types.js";

/** The parts of node-llama-cpp's API used here (v3). */
interface LlamaModule {
  getLlama(): Promise<Llama>;
  LlamaChatSession: new (o: { contextSequence: unknown; systemPrompt?: string }) => ChatSession;
}
interface Llama {
  loadModel(o: { modelPath: string }): Promise<LlamaModel>;
  createGrammarForJsonSchema(schema: unknown): Promise<unknown>;
}
interface LlamaModel {
  createContext(o?: { contextSize?: number }): Promise<{ getSequence(): Sequence }>;
  tokenize(text: string): unknown[];
}
interface Sequence {
  clearHistory(): Promise<void>;
}
interface ChatSession {
  prompt(
    text: string,
    o: { grammar?: unknown; temperature?: number; maxTokens?: number; signal?: AbortSignal; seed?: number },
  ): Promise<string>;
  dispose(o?: { disposeSequence?: boolean }): void;
}

/** Options of the local GGUF client. */
export interface LocalClientOptions {
  /** Context size in tokens (default: the model's). */
  contextSize?: number;
}

/** Loads node-llama-cpp if it is installed; a clear error otherwise. */
async function loadModule(): Promise<LlamaModule> {
  const name = "node-llama-cpp";
  try {
    return (await import(name)) as LlamaModule;
  } catch (e) {
    throw new InputError({
      where: "node-llama-cpp",
      what: "is not installed (it runs GGUF models locally and is optional)",
      hint: "run `npm install node-llama-cpp`, or serve the model with an OpenAI-compatible server (vLLM, Ollama, llama.cpp) and pass its URL",
      cause: e,
    });
  }
}

/** A client over a local GGUF file. Requests run one at a time on one context sequence. */
export class LocalLlamaClient implements LlmClient {
  readonly endpoint: string;
  readonly model: string;
  private readonly used: LlmUsage = emptyUsage();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly grammars = new Map<string, unknown>();

  private constructor(
    path: string,
    private readonly mod: LlamaModule,
    private readonly llama: Llama,
    private readonly llamaModel: LlamaModel,
    private readonly sequence: Sequence,
  ) {
    this.endpoint = path;
    this.model = basename(path);
  }

  /** Loads the model file (node-llama-cpp must be installed). */
  static async open(path: string, opts: LocalClientOptions = {}): Promise<LocalLlamaClient> {
    const mod = await loadModule();
    const llama = await mod.getLlama();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: path });
    } catch (e) {
      throw new InputError({
        where: path,
        what: `cannot load the model (${(e as Error).message})`,
        hint: "give a GGUF model file",
        cause: e,
      });
    }
    const ctx = await model.createContext(opts.contextSize ? { contextSize: opts.contextSize } : undefined);
    return new LocalLlamaClient(path, mod, llama, model, ctx.getSequence());
  }

  usage(): LlmUsage {
    return snapshot(this.used);
  }

  complete(req: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    const run = this.queue.then(() => this.completeNow(req, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async grammarFor(req: ChatRequest): Promise<unknown> {
    if (!req.responseFormat) return undefined;
    const key = req.responseFormat.name;
    if (!this.grammars.has(key)) {
      let g: unknown;
      try {
        g = await this.llama.createGrammarForJsonSchema(req.responseFormat.schema);
      } catch {
        g = undefined; // a schema the grammar compiler cannot take: rely on parse-and-repair
      }
      this.grammars.set(key, g);
    }
    return this.grammars.get(key);
  }

  private async completeNow(req: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    const system = req.messages
      .filter((m) => m.role === "system")
      .map((m) => m.content)
      .join("\n\n");
    const turns = req.messages.filter((m) => m.role !== "system");
    const prompt = turns
      .map((m) => (m.role === "user" ? m.content : `(your earlier answer)\n${m.content}`))
      .join("\n\n");
    const grammar = await this.grammarFor(req);
    const contents: string[] = [];
    let completionTokens = 0;
    const promptTokens = this.llamaModel.tokenize(`${system}\n${prompt}`).length;
    for (let k = 0; k < (req.n ?? 1); k++) {
      await this.sequence.clearHistory();
      const session = new this.mod.LlamaChatSession({
        contextSequence: this.sequence,
        systemPrompt: system || undefined,
      });
      try {
        const text = await session.prompt(prompt, {
          grammar,
          temperature: req.temperature,
          maxTokens: req.maxTokens,
          signal,
          seed: req.seed === undefined ? undefined : req.seed + k,
        });
        contents.push(text);
        completionTokens += this.llamaModel.tokenize(text).length;
      } finally {
        session.dispose({ disposeSequence: false });
      }
    }
    const usage = { promptTokens: promptTokens * (req.n ?? 1), completionTokens };
    recordCall(this.used, req.purpose, contents.length, usage);
    return { contents, usage, cached: false };
  }
}
