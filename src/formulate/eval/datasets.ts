/**
 * Benchmark files as lists of problems (question, reference answer). JSON Lines (or one JSON
 * array) in one of three shapes, detected from the first record or given:
 *
 *   mamo        {"Question": …, "Answer": "57.0"}          MAMO EasyLP / ComplexLP
 *   industryor  {"en_question": …, "en_answer": "…"}        IndustryOR, ORLM-style files
 *   nl4opt      {"<id>": {"document": …, "obj_declaration": …, "const_declarations": …}}
 *               NL4OPT documents: the reference is the optimum of the annotated LP (nl4opt.ts)
 *
 * A record without a usable answer ("No Best Solution", an annotation that cannot be read or is
 * infeasible) is kept with `answer: null` and the reason, so `eval` reports it instead of guessing.
 */
import { InputError } from "../../errors/index.js";
import { solveModel } from "../../mip/index.js";
import { readText } from "../../util/files.js";
import { annotatedLp, Nl4optRecordSchema } from "./nl4opt.js";

/** The benchmark formats `loadDataset` reads (`auto` detects from the first record). */
export const DATASET_FORMATS = ["auto", "mamo", "industryor", "nl4opt"] as const;
/** One of `DATASET_FORMATS`. */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** One benchmark problem. */
export interface Problem {
  id: string;
  question: string;
  /** The reference objective value, or null when the record has none usable. */
  answer: number | null;
  /** Why `answer` is null, or where it comes from. */
  note?: string;
}

/** A benchmark file read as problems. */
export interface Dataset {
  file: string;
  format: Exclude<DatasetFormat, "auto">;
  problems: Problem[];
}

function records(text: string, file: string): { line: number; value: unknown }[] {
  const t = text.trim();
  if (t.startsWith("[")) {
    try {
      const arr = JSON.parse(t) as unknown[];
      return arr.map((value, i) => ({ line: i + 1, value }));
    } catch (e) {
      throw new InputError({
        where: file,
        what: `not valid JSON (${(e as Error).message})`,
        hint: "give JSON Lines or one JSON array",
      });
    }
  }
  const out: { line: number; value: unknown }[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (l.trim() === "") return;
    try {
      out.push({ line: i + 1, value: JSON.parse(l) });
    } catch (e) {
      throw new InputError({
        where: `${file}: line ${i + 1}`,
        what: `not valid JSON (${(e as Error).message})`,
        hint: "one JSON object per line",
      });
    }
  });
  return out;
}

function detect(v: unknown, file: string): Exclude<DatasetFormat, "auto"> {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if ("Question" in o || "question" in o) return "mamo";
    if ("en_question" in o) return "industryor";
    const inner = Object.values(o)[0];
    if (Object.keys(o).length === 1 && inner && typeof inner === "object" && "document" in inner)
      return "nl4opt";
  }
  throw new InputError({
    where: `${file}: line 1`,
    what: "is not a record of a known benchmark format",
    hint: 'give MAMO ({"Question", "Answer"}), IndustryOR ({"en_question", "en_answer"}) or NL4OPT records, or pass the format',
  });
}

/** Reads an answer: a number, or a numeric string ("57.0", "1,200", "$77,500"); else null. */
export function readAnswer(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v !== "string") return null;
  const t = v.trim().replace(/[,$\s]/g, "");
  if (t === "" || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  return Number(t);
}

function str(o: Record<string, unknown>, keys: string[]): string | null {
  for (const k of keys) if (typeof o[k] === "string" && (o[k] as string).trim()) return o[k] as string;
  return null;
}

/** Reads a benchmark file. NL4OPT references are computed by solving each annotated LP. */
export async function loadDataset(file: string, format: DatasetFormat = "auto"): Promise<Dataset> {
  const recs = records(await readText(file), file);
  if (recs.length === 0)
    throw new InputError({
      where: file,
      what: "holds no records",
      hint: "give a JSON Lines file with one problem per line",
    });
  const fmt = format === "auto" ? detect(recs[0]!.value, file) : format;
  const problems: Problem[] = [];
  for (const { line, value } of recs) {
    const where = `${file}: line ${line}`;
    if (!value || typeof value !== "object" || Array.isArray(value))
      throw new InputError({ where, what: "is not a JSON object", hint: "one problem object per line" });
    const o = value as Record<string, unknown>;
    if (fmt === "nl4opt") {
      const [id, raw] = Object.entries(o)[0] ?? [];
      const rec = Nl4optRecordSchema.safeParse(raw);
      if (!id || !rec.success)
        throw new InputError({
          where,
          what: "is not an NL4OPT record ({id: {document, obj_declaration, const_declarations}})",
          hint: "check the format (--format)",
        });
      const lp = annotatedLp(rec.data, id);
      if (!lp.ok) {
        problems.push({
          id,
          question: rec.data.document,
          answer: null,
          note: `annotation not usable: ${lp.reason}`,
        });
        continue;
      }
      const r = await solveModel(lp.model, { inline: true, timeLimit: 30 });
      problems.push(
        r.status === "optimal"
          ? { id, question: rec.data.document, answer: r.objective, note: "optimum of the annotated LP" }
          : { id, question: rec.data.document, answer: null, note: `the annotated LP is ${r.status}` },
      );
      continue;
    }
    const question = str(o, fmt === "mamo" ? ["Question", "question"] : ["en_question", "question"]);
    if (!question)
      throw new InputError({
        where,
        what: `has no ${fmt === "mamo" ? '"Question"' : '"en_question"'} text`,
        hint: "check the format (--format)",
      });
    const rawAnswer = fmt === "mamo" ? (o.Answer ?? o.answer) : (o.en_answer ?? o.answer);
    const answer = readAnswer(rawAnswer);
    const id = o.id === undefined ? String(line) : String(o.id);
    problems.push(
      answer === null
        ? { id, question, answer, note: `no numeric answer (${JSON.stringify(rawAnswer)})` }
        : { id, question, answer },
    );
  }
  const ids = new Set<string>();
  for (const p of problems) {
    if (ids.has(p.id))
      throw new InputError({
        where: file,
        what: `problem id ${p.id} appears twice`,
        hint: "give each record its own id",
      });
    ids.add(p.id);
  }
  return { file, format: fmt, problems };
}
