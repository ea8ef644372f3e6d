/**
 * The one registry mechanism for pluggable things: schedules, serving policies, merge methods,
 * search strategies, scorers. An entry carries its metadata (name, one-line summary, reference
 * URL) and its parameters as a zod object; both are validated when the entry is registered, so a
 * broken entry fails at start-up, not in the middle of a run.
 *
 * Lookups of unknown names and invalid parameters throw typed errors that name the place the
 * caller gives (`where`: a config path such as `config.yml: merge_method`, or the registry's kind).
 * Library code never names a CLI flag; the CLI offers the names as commander `choices`.
 */
import { z } from "zod";
import { InputError, MisuseError } from "../errors/errors.js";
import { parseWith } from "../errors/zod.js";

/** What every registry entry has. Entries extend this with their own fields (a `create`, a `run` …). */
export interface RegistryEntry<P extends z.ZodObject = z.ZodObject> {
  /** Lowercase words (letters and digits, e.g. `1f1b`) joined by `-` or `_` (mergekit's method names use `_`). */
  readonly name: string;
  /** One line: what it does. */
  readonly summary: string;
  /** Where the behaviour comes from: a paper or a source file (an http(s) URL). */
  readonly reference: string;
  /** Parameters, each with a default (the empty object must parse). Unknown keys are rejected. */
  readonly params: P;
}

/** The parameters of an entry, as parsed. */
export type ParamsOf<E extends RegistryEntry> = z.output<E["params"]>;

/** A name that is not in a registry; carries the kind, the name and the known names. */
export class UnknownNameError extends InputError {
  readonly registry: string;
  readonly entryName: string;
  readonly known: readonly string[];
  constructor(kind: string, name: string, known: readonly string[], where: string) {
    super({
      where,
      what: `unknown ${kind} "${name}"`,
      hint: known.length ? `use one of ${known.join(", ")}` : `no ${kind} is registered`,
    });
    this.registry = kind;
    this.entryName = name;
    this.known = known;
  }
}

const Meta = z.object({
  name: z.string().regex(/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, "lowercase words joined by - or _"),
  summary: z.string().min(1),
  reference: z.string().regex(/^https?:\/\/\S+$/, "an http(s) URL"),
});

/** One parameter of an entry, described for help texts and listings. */
export interface ParamInfo {
  name: string;
  /** A short type, e.g. `number`, `integer`, `boolean`, `"a" | "b"`. */
  type: string;
  default: unknown;
  description: string;
}

/** A registry of entries of one kind ("policy", "schedule", "merge method" …). */
export class Registry<E extends RegistryEntry> {
  readonly #entries = new Map<string, E>();

  /** @param kind what an entry is called in messages, e.g. "merge method". */
  constructor(readonly kind: string) {}

  /** Adds an entry after validating its metadata and that its parameters all have defaults. */
  register(entry: E): void {
    const where = `${this.kind} ${JSON.stringify(entry.name)}`;
    const meta = Meta.safeParse({ name: entry.name, summary: entry.summary, reference: entry.reference });
    if (!meta.success) {
      const issue = meta.error.issues[0];
      throw new MisuseError({
        where: `${where}: ${String(issue?.path[0] ?? "")}`,
        what: issue?.message ?? "invalid metadata",
        hint: "fix the entry's metadata",
      });
    }
    if (this.#entries.has(entry.name))
      throw new MisuseError({ where, what: "is registered twice", hint: "give it another name" });
    if (!(entry.params instanceof z.ZodObject))
      throw new MisuseError({ where, what: "its params are not a zod object", hint: "use z.object({...})" });
    if (!entry.params.safeParse({}).success)
      throw new MisuseError({
        where,
        what: "its params schema rejects the empty object",
        hint: "give every parameter a default",
      });
    this.#entries.set(entry.name, entry);
  }

  /** The registered names, in registration order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** Every entry, in registration order. */
  entries(): E[] {
    return [...this.#entries.values()];
  }

  /** Whether an entry called `name` is registered. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** The entry called `name`; an UnknownNameError naming `where` otherwise. */
  get(name: string, where: string = this.kind): E {
    const e = this.#entries.get(name);
    if (!e) throw new UnknownNameError(this.kind, name, this.names(), where);
    return e;
  }

  /**
   * Validates an entry's parameters (defaults filled in, unknown keys rejected). `where` names the
   * place the parameters came from, e.g. `config.yml: parameters` or `policy hybrid parameters`.
   */
  params<N extends string>(name: N, raw: unknown, where?: string): ParamsOf<E> {
    const e = this.get(name);
    const at = where ?? `${this.kind} ${name} parameters`;
    const known = Object.keys(e.params.shape);
    return parseWith(
      e.params.strict(),
      raw ?? {},
      at,
      known.length ? `${name} takes ${known.join(", ")}` : `${name} takes no parameters`,
    ) as ParamsOf<E>;
  }

  /** Name, summary, reference and parameters of every entry, for listings and `--help`. */
  describe(): { name: string; summary: string; reference: string; params: ParamInfo[] }[] {
    return this.entries().map((e) => ({
      name: e.name,
      summary: e.summary,
      reference: e.reference,
      params: describeParams(e.params),
    }));
  }
}

/** Describes a zod object's fields (type, default, description) for listings and help texts. */
export function describeParams(schema: z.ZodObject): ParamInfo[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, JsonProp>;
  };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    type: typeName(p),
    default: p.default ?? null,
    description: p.description ?? "",
  }));
}

interface JsonProp {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonProp[];
  default?: unknown;
  description?: string;
}

function typeName(p: JsonProp): string {
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (p.anyOf) return p.anyOf.map(typeName).join(" | ");
  if (Array.isArray(p.type)) return p.type.join(" | ");
  return p.type ?? "any";
}
