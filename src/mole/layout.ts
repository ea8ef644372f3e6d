/**
 * Resolves a checkpoint's MoE layout from the architecture table: for every MoE layer, where each
 * expert's gate, up and down matrices live (a whole 2-D tensor, or a contiguous slice of a fused
 * 3-D tensor), the router, the shared expert and its gate. Everything is checked against the
 * tensors' shapes and dtypes here, once, so the planner and the executors work on a consistent
 * description: experts 0..E−1 complete in every layer, gate/up p×d and down d×p with one d, a
 * router E×d, fused tensors (E, 2p, d) and (E, d, p).
 */
import type { Checkpoint, CheckpointTensor, DType } from "../tensor/index.js";
import { fillTemplate, templateRegex } from "../tensor/index.js";
import { ExpertShapeError, MissingRouterError, UnknownLayoutError } from "./errors.js";
import { familyOf, type MoeArchitecture, type MoeFacts, moeArchitecture } from "./facts.js";

/** The three projections of a SwiGLU expert. */
export type Kind = "gate" | "up" | "down";
/** Every kind, in the order the tools process them. */
export const KINDS: readonly Kind[] = ["gate", "up", "down"];

/** One expert matrix: `rows × cols` row-major elements of `tensor` starting at element `start`. */
export interface ExpertMatrix {
  tensor: string;
  start: number;
  rows: number;
  cols: number;
}

/** One MoE layer of a checkpoint. */
export interface MoeLayer {
  layer: number;
  /** The MoE block's name prefix, e.g. `model.layers.3.block_sparse_moe`. */
  block: string;
  experts: number;
  /** Expert intermediate size p. */
  intermediate: number;
  router: string;
  /** DeepSeek-V3's e_score_correction_bias, when the checkpoint has it. */
  scoreBias: string | null;
  /** Per kind, per expert (index = expert): gate/up are p×d, down is d×p. */
  matrices: Record<Kind, ExpertMatrix[]>;
  shared: Record<Kind, string> | null;
  sharedGate: string | null;
}

/** A checkpoint's MoE layout, as the planner, the forward pass and the report use it. */
export interface MoeLayout {
  path: string;
  /** The architecture-table entry that matched the tensor names (e.g. `mixtral`, `fused_moe`). */
  architecture: string;
  label: string;
  /** The entry whose routing and shared experts apply (for fused layouts: from model_type). */
  family: string;
  storage: "per_expert" | "fused";
  modelType: string | null;
  hidden: number;
  experts: number;
  layers: MoeLayer[];
  /** dtype of every expert tensor, by name. */
  dtypes: Record<string, DType>;
  /** Source projection names by kind (`w1`/`w3`/`w2` or `gate_proj`/`up_proj`/`down_proj`). */
  projections: Record<Kind, string>;
  /** The expert name template with {L}/{E}/{P}. */
  expertTemplate: string;
  /** The family's validated MoE facts (routing, shared-expert gate, MoE layers). */
  facts: MoeFacts;
  config: unknown;
}

const FLOAT_DTYPES: readonly DType[] = ["F32", "F16", "BF16"];

/** Tensor names that look like expert weights (for the unknown-layout error). */
export function expertLikeNames(names: readonly string[]): string[] {
  return names.filter((n) =>
    /(^|\.)(experts?|moe|block_sparse_moe)(\.|$)|(^|\.)w[123](\.|$)|gate_up_proj/.test(n),
  );
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(", ")}]`;
}

/** Resolves and checks the MoE layout of an open checkpoint. */
export function resolveLayout(ck: Checkpoint): MoeLayout {
  const names = ck.tensors.map((t) => t.name);
  const detected = ck.architecture();
  const arch = detected.kind === "moe" ? moeArchitecture(detected.name) : undefined;
  if (!arch) throw new UnknownLayoutError(ck.path, expertLikeNames(names));
  const family = familyOf(arch, detected.modelType);
  const { spec } = arch;
  const where = ck.path;
  const info = (n: string) => (ck.has(n) ? ck.info(n) : undefined);
  const dtypes: Record<string, DType> = {};
  const checkDtype = (t: CheckpointTensor) => {
    if (!FLOAT_DTYPES.includes(t.dtype))
      throw new ExpertShapeError({
        where: `${where}: tensor ${JSON.stringify(t.name)}`,
        what: `has dtype ${t.dtype}; expert matrices must be F32, F16 or BF16`,
        hint: "convert the checkpoint's experts to a floating-point dtype first",
      });
    dtypes[t.name] = t.dtype;
  };
  const re = templateRegex(spec.expert!, Object.values(spec.projections));
  const byLayer = new Map<number, CheckpointTensor[]>();
  for (const t of ck.tensors) {
    const m = re.exec(t.name);
    if (!m?.groups) continue;
    const L = Number(m.groups.L);
    if (!byLayer.has(L)) byLayer.set(L, []);
    byLayer.get(L)!.push(t);
  }
  const fused = spec.fused === true;
  const projections: Record<Kind, string> = fused
    ? { gate: "gate_proj", up: "up_proj", down: spec.projections.down ?? "down_proj" }
    : { gate: spec.projections.gate!, up: spec.projections.up!, down: spec.projections.down! };
  const familyShared = family.spec.sharedExpert;
  const familyProj = family.spec.projections;
  let hidden: number | null = null;
  const layers: MoeLayer[] = [];
  for (const L of [...byLayer.keys()].sort((a, b) => a - b)) {
    const block = fillTemplate(family.facts.block, { L });
    const routerName = fillTemplate(fused ? spec.router! : family.spec.router!, { L });
    const router = info(routerName);
    if (!router)
      throw new MissingRouterError({
        where: `${where}: layer ${L}`,
        what: `has expert tensors but no router tensor ${JSON.stringify(routerName)}`,
        hint: "the checkpoint is incomplete: restore the router (gate) weights of every MoE layer",
      });
    let experts: number;
    let p: number;
    let d: number;
    const matrices: Record<Kind, ExpertMatrix[]> = { gate: [], up: [], down: [] };
    if (fused) {
      const gu = info(fillTemplate(spec.expert!, { L, P: spec.projections.gateUp! }));
      const dn = info(fillTemplate(spec.expert!, { L, P: spec.projections.down! }));
      const guName = fillTemplate(spec.expert!, { L, P: spec.projections.gateUp! });
      const dnName = fillTemplate(spec.expert!, { L, P: spec.projections.down! });
      if (!gu || !dn)
        throw new ExpertShapeError({
          where: `${where}: layer ${L}`,
          what: `has ${gu ? "no" : `${JSON.stringify(guName)} missing and`} ${JSON.stringify(gu ? dnName : guName)}`,
          hint: "a fused MoE layer needs both experts.gate_up_proj (E, 2p, d) and experts.down_proj (E, d, p)",
        });
      checkDtype(gu);
      checkDtype(dn);
      const [E, twoP, dd] = gu.shape;
      if (
        gu.shape.length !== 3 ||
        E === undefined ||
        twoP === undefined ||
        dd === undefined ||
        twoP % 2 !== 0
      )
        throw new ExpertShapeError({
          where: `${where}: tensor ${JSON.stringify(gu.name)}`,
          what: `has shape ${shapeText(gu.shape)}, expected (E, 2p, d)`,
          hint: "the fused layout stores gate and up stacked as (experts, 2 × intermediate, hidden)",
        });
      [experts, p, d] = [E, twoP / 2, dd];
      if (dn.shape.length !== 3 || dn.shape[0] !== E || dn.shape[1] !== d || dn.shape[2] !== p) {
        const inputMajor = dn.shape[0] === E && dn.shape[1] === twoP / 2 && gu.shape[1] === dn.shape[2];
        throw new ExpertShapeError({
          where: `${where}: tensor ${JSON.stringify(dn.name)}`,
          what: `has shape ${shapeText(dn.shape)}, expected (${E}, ${d}, ${p}) to match gate_up_proj ${shapeText(gu.shape)}${inputMajor ? " (the input-major (E, d, 2p) / (E, p, d) orientation is not supported)" : ""}`,
          hint: "the fused layout is gate_up_proj (E, 2p, d) and down_proj (E, d, p), as transformers' MixtralExperts",
        });
      }
      for (let e = 0; e < E; e++) {
        matrices.gate.push({ tensor: gu.name, start: e * 2 * p * d, rows: p, cols: d });
        matrices.up.push({ tensor: gu.name, start: e * 2 * p * d + p * d, rows: p, cols: d });
        matrices.down.push({ tensor: dn.name, start: e * d * p, rows: d, cols: p });
      }
    } else {
      const found = new Map<number, Map<string, CheckpointTensor>>();
      for (const t of byLayer.get(L)!) {
        const m = re.exec(t.name)!.groups!;
        const E = Number(m.E);
        if (!found.has(E)) found.set(E, new Map());
        found.get(E)!.set(m.P!, t);
      }
      experts = Math.max(...found.keys()) + 1;
      const missing = Array.from({ length: experts }, (_, e) => e).filter((e) => !found.has(e));
      if (missing.length)
        throw new ExpertShapeError({
          where: `${where}: layer ${L}`,
          what: `has experts up to ${experts - 1} but none of expert(s) ${missing.slice(0, 5).join(", ")}`,
          hint: "the checkpoint is incomplete: every expert 0..E−1 needs its gate, up and down tensors",
        });
      const first = found.get(0)!.get(projections.gate);
      p = first?.shape[0] ?? 0;
      d = first?.shape[1] ?? 0;
      for (let e = 0; e < experts; e++) {
        for (const kind of ["gate", "up", "down"] as const) {
          const proj = projections[kind];
          const name = fillTemplate(spec.expert!, { L, E: e, P: proj });
          const t = found.get(e)!.get(proj);
          if (!t)
            throw new ExpertShapeError({
              where: `${where}: layer ${L} expert ${e}`,
              what: `has no ${kind} projection tensor ${JSON.stringify(name)}`,
              hint: "the checkpoint is incomplete: every expert needs its gate, up and down tensors",
            });
          checkDtype(t);
          const want = kind === "down" ? [d, p] : [p, d];
          if (t.shape.length !== 2 || t.shape[0] !== want[0] || t.shape[1] !== want[1] || p === 0 || d === 0)
            throw new ExpertShapeError({
              where: `${where}: tensor ${JSON.stringify(name)}`,
              what: `has shape ${shapeText(t.shape)}, expected ${shapeText(want)} like expert 0's ${kind === "down" ? "(d × p)" : "(p × d)"}`,
              hint: "every expert of a layer must have the same shapes; the file may be corrupted",
            });
          matrices[kind].push({ tensor: name, start: 0, rows: want[0]!, cols: want[1]! });
        }
      }
    }
    if (hidden !== null && d !== hidden)
      throw new ExpertShapeError({
        where: `${where}: layer ${L}`,
        what: `experts have hidden size ${d}, earlier layers ${hidden}`,
        hint: "every MoE layer must share one hidden size; the file may be corrupted",
      });
    hidden = d;
    if (router.shape.length !== 2 || router.shape[0] !== experts || router.shape[1] !== d)
      throw new MissingRouterError({
        where: `${where}: tensor ${JSON.stringify(routerName)}`,
        what: `has shape ${shapeText(router.shape)}, expected [${experts}, ${d}] (experts × hidden)`,
        hint: "the router must score every expert of its layer",
      });
    const biasName = family.facts.routing.scoreBias
      ? fillTemplate(family.facts.routing.scoreBias, { L })
      : null;
    let shared: Record<Kind, string> | null = null;
    if (familyShared) {
      const names3 = {
        gate: fillTemplate(familyShared, { L, P: familyProj.gate! }),
        up: fillTemplate(familyShared, { L, P: familyProj.up! }),
        down: fillTemplate(familyShared, { L, P: familyProj.down! }),
      };
      if (ck.has(names3.gate) && ck.has(names3.up) && ck.has(names3.down)) shared = names3;
    }
    const gateName = family.facts.sharedExpertGate
      ? fillTemplate(family.facts.sharedExpertGate, { L })
      : null;
    layers.push({
      layer: L,
      block,
      experts,
      intermediate: p,
      router: routerName,
      scoreBias: biasName && ck.has(biasName) ? biasName : null,
      matrices,
      shared,
      sharedGate: gateName && ck.has(gateName) ? gateName : null,
    });
  }
  if (layers.length === 0 || hidden === null) throw new UnknownLayoutError(ck.path, expertLikeNames(names));
  return {
    path: ck.path,
    architecture: arch.spec.name,
    label: arch.spec.label,
    family: family.spec.name,
    storage: fused ? "fused" : "per_expert",
    modelType: detected.modelType,
    hidden,
    experts: Math.max(...layers.map((l) => l.experts)),
    layers,
    dtypes,
    projections,
    expertTemplate: spec.expert!,
    facts: family.facts,
    config: ck.config,
  };
}

/** The MoE architecture entry of a layout (for its config key names). */
export function layoutArchitecture(layout: MoeLayout): MoeArchitecture {
  return moeArchitecture(layout.family)!;
}
