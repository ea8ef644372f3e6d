/**
 * Architecture detection from tensor names and config.json. The facts (name templates, config
 * keys) are data in ../architectures.json; this module compiles the templates to regular
 * expressions and scores each architecture:
 *   - MoE: the number of tensors that match its expert template; a shared-expert template that
 *     matches (`shared_expert` vs `shared_experts`) or a config.json model_type / architectures
 *     entry naming it breaks ties between layouts with the same expert names.
 *   - dense: no expert tensors at all.
 */
import { z } from "zod";
import { parseWith } from "../../errors/index.js";
import data from "../architectures.json" with { type: "json" };

const ArchitectureSchema = z.object({
  name: z.string().min(1),
  label: z.string(),
  kind: z.enum(["moe", "dense"]),
  reference: z.string().url(),
  modelTypes: z.array(z.string()),
  configArchitectures: z.array(z.string()),
  expert: z.string().nullable(),
  mlp: z.string().optional(),
  projections: z.record(z.string(), z.string()),
  fused: z.boolean().optional(),
  router: z.string().nullable(),
  sharedExpert: z.string().nullable(),
  sharedExpertGate: z.string().optional(),
  config: z.record(z.string(), z.string()),
  /** MoE facts beyond tensor names (router, shared-expert gate, MoE layers), validated by src/mole. */
  moe: z.unknown().optional(),
});
/**
 * One architecture of the table in architectures.json: its tensor-name templates (`{L}` layer,
 * `{E}` expert, `{P}` projection), projection names, config.json markers and config keys.
 */
export type ArchitectureSpec = z.infer<typeof ArchitectureSchema>;

/** The architecture table, validated once at load. */
export const ARCHITECTURES: readonly ArchitectureSpec[] = parseWith(
  z.object({ architectures: z.array(ArchitectureSchema).min(1) }),
  data,
  "src/tensor/architectures.json",
).architectures;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Compiles a `{L}`/`{E}`/`{P}` template to a regex with named groups L, E, P. */
export function templateRegex(template: string, projections?: readonly string[]): RegExp {
  const parts = template.split(/(\{[LEP]\})/);
  const src = parts
    .map((p) => {
      if (p === "{L}") return "(?<L>\\d+)";
      if (p === "{E}") return "(?<E>\\d+)";
      if (p === "{P}")
        return projections?.length
          ? `(?<P>${projections.map(escapeRegex).join("|")})`
          : "(?<P>[A-Za-z0-9_]+)";
      return escapeRegex(p);
    })
    .join("");
  return new RegExp(`^${src}$`);
}

/**
 * Fills a template's `{L}`, `{E}`, `{P}` placeholders, e.g. `fillTemplate(spec.expert, {L: 0, E: 3, P: "w1"})`;
 * placeholders without a value stay as they are.
 */
export function fillTemplate(template: string, v: { L?: number; E?: number; P?: string }): string {
  return template.replace(/\{([LEP])\}/g, (_, k: "L" | "E" | "P") => String(v[k] ?? `{${k}}`));
}

/** What detection needs of a tensor: its name and shape. */
export interface TensorShapeInfo {
  name: string;
  shape: readonly number[];
}

/** The architecture a checkpoint was detected as, with the evidence and the sizes read from its tensors. */
export interface DetectedArchitecture {
  /** The table entry's name, e.g. `mixtral`. */
  name: string;
  /** A human name, e.g. `Mixtral`. */
  label: string;
  kind: "moe" | "dense";
  /** How it was decided, for humans. */
  evidence: string[];
  /** Layer indices that hold experts (MoE) or an MLP (dense). */
  layers: number[];
  /** Experts per MoE layer (the largest count seen), 0 for dense. */
  expertsPerLayer: number;
  /** Whether shared-expert tensors were found. */
  hasSharedExpert: boolean;
  /** Expert tensors matched. */
  expertTensors: number;
  /** Hidden size d, from the gate/up projection shape (p×d); null when no projection shows it. */
  hidden: number | null;
  /** The expert (MoE) or MLP (dense) intermediate size p; null when no projection shows it. */
  intermediate: number | null;
  /** config.json model_type, if any. */
  modelType: string | null;
}

type Dims2 = readonly [number, number];
type Dims3 = readonly [number, number, number];
const is2d = (s: readonly number[]): s is Dims2 => s.length === 2;
const is3d = (s: readonly number[]): s is Dims3 => s.length === 3;

/** The shape of the first tensor of projection `P` whose rank `hasRank` accepts. */
function shapeOf<S extends readonly number[]>(
  tensors: readonly { P: string; shape: readonly number[] }[],
  P: string | undefined,
  hasRank: (s: readonly number[]) => s is S,
): S | undefined {
  for (const t of tensors) if (t.P === P && hasRank(t.shape)) return t.shape;
  return undefined;
}

function configStrings(config: unknown): { modelType: string | null; archs: string[] } {
  const c = (config ?? {}) as Record<string, unknown>;
  const modelType = typeof c.model_type === "string" ? c.model_type : null;
  const archs = Array.isArray(c.architectures)
    ? c.architectures.filter((a): a is string => typeof a === "string")
    : [];
  return { modelType, archs };
}

/** Detects the architecture of a checkpoint from its tensors and (optional) config.json. */
export function detectArchitecture(
  tensors: readonly TensorShapeInfo[],
  config?: unknown,
): DetectedArchitecture {
  const { modelType, archs } = configStrings(config);
  let best:
    | {
        spec: ArchitectureSpec;
        score: number;
        matches: { L: number; E: number; P: string; shape: readonly number[] }[];
        shared: number;
        configHit: boolean;
      }
    | undefined;
  for (const spec of ARCHITECTURES) {
    if (spec.kind !== "moe" || !spec.expert) continue;
    const re = templateRegex(spec.expert, Object.values(spec.projections));
    const matches: { L: number; E: number; P: string; shape: readonly number[] }[] = [];
    for (const t of tensors) {
      const m = re.exec(t.name);
      if (m?.groups)
        matches.push({
          L: Number(m.groups.L),
          E: m.groups.E === undefined ? -1 : Number(m.groups.E),
          P: m.groups.P!,
          shape: t.shape,
        });
    }
    if (matches.length === 0) continue;
    let shared = 0;
    if (spec.sharedExpert) {
      const sre = templateRegex(spec.sharedExpert);
      shared = tensors.filter((t) => sre.test(t.name)).length;
    }
    const configHit =
      (modelType !== null && spec.modelTypes.includes(modelType)) ||
      archs.some((a) => spec.configArchitectures.includes(a));
    // Score: tensors matched, then config agreement, then whether the shared-expert layout fits.
    const sharedFit = spec.sharedExpert ? (shared > 0 ? 1 : -1) : 0;
    const score = matches.length * 4 + (configHit ? 2 : 0) + sharedFit;
    if (!best || score > best.score) best = { spec, score, matches, shared, configHit };
  }
  if (best) {
    const { spec, matches, shared, configHit } = best;
    const layers = [...new Set(matches.map((m) => m.L))].sort((a, b) => a - b);
    const perLayer = new Map<number, Set<number>>();
    for (const m of matches) perLayer.set(m.L, (perLayer.get(m.L) ?? new Set()).add(m.E));
    let experts = Math.max(...[...perLayer.values()].map((s) => s.size));
    let hidden: number | null = null;
    let inter: number | null = null;
    const gateName = spec.projections.gate ?? spec.projections.up;
    const gate = shapeOf(matches, gateName, is2d);
    if (gate) [inter, hidden] = gate;
    if (spec.fused) {
      const gateUp = shapeOf(matches, spec.projections.gateUp, is3d);
      if (gateUp) {
        const [e, a, b] = gateUp;
        experts = e;
        // transformers' fused layout: gate_up_proj (E, d, 2p) or (E, 2p, d); use the down projection to disambiguate.
        const down = shapeOf(matches, spec.projections.down, is3d);
        if (down && down[1] === a) [hidden, inter] = [a, b / 2];
        else [inter, hidden] = [a / 2, b];
      }
    }
    const evidence = [`${matches.length} expert tensors match ${spec.expert}`];
    if (configHit)
      evidence.push(
        `config.json model_type=${modelType ?? "?"}${archs.length ? ` architectures=${archs.join(",")}` : ""}`,
      );
    if (shared > 0) evidence.push(`${shared} shared-expert tensors match ${spec.sharedExpert}`);
    return {
      name: spec.name,
      label: spec.label,
      kind: "moe",
      evidence,
      layers,
      expertsPerLayer: experts,
      hasSharedExpert: shared > 0,
      expertTensors: matches.length,
      hidden,
      intermediate: inter,
      modelType,
    };
  }
  const dense = ARCHITECTURES.find((a) => a.kind === "dense")!;
  const re = dense.mlp ? templateRegex(dense.mlp) : undefined;
  const mlps = re
    ? tensors.flatMap((t) => {
        const m = re.exec(t.name);
        return m?.groups ? [{ L: Number(m.groups.L), P: m.groups.P!, shape: t.shape }] : [];
      })
    : [];
  const gate = shapeOf(mlps, dense.projections.gate, is2d);
  return {
    name: dense.name,
    label: dense.label,
    kind: "dense",
    evidence: [
      mlps.length ? `no expert tensors; ${mlps.length} MLP tensors match ${dense.mlp}` : "no expert tensors",
    ],
    layers: [...new Set(mlps.map((m) => m.L))].sort((a, b) => a - b),
    expertsPerLayer: 0,
    hasSharedExpert: false,
    expertTensors: 0,
    hidden: gate ? gate[1] : null,
    intermediate: gate ? gate[0] : null,
    modelType,
  };
}
