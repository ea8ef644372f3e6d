/**
 * Calibration files: one safetensors file with the inputs of each MoE block, captured from the
 * model on representative text (scripts/capture_moe_inputs.py does it with transformers forward
 * hooks). Tensor `layers.{L}.moe_input`, shape [tokens, hidden], F32, F16 or BF16; layers that
 * are not converted may be absent. The same file serves `convert --calibration` (whitening) and
 * `report --calibration` (the output error on these inputs instead of random ones).
 */
import { type Matrix, SafetensorsReader } from "../tensor/index.js";
import { CalibrationError } from "./errors.js";

/** The tensor name template of a calibration file. */
export const CALIBRATION_TENSOR = "layers.{L}.moe_input";

/** The calibration tensor of layer L. */
export function calibrationTensorName(layer: number): string {
  return CALIBRATION_TENSOR.replace("{L}", String(layer));
}

/** An open calibration file. */
export interface Calibration {
  file: string;
  /** Layers that have inputs, sorted. */
  layers: number[];
  /** Tokens of layer L's inputs. */
  tokens(layer: number): number;
  /** Layer L's inputs (tokens × d), at most `maxTokens` rows. */
  read(layer: number, d: number, maxTokens?: number): Promise<Matrix>;
  close(): Promise<void>;
}

/** Opens and checks a calibration file (header only; data is read per layer). */
export async function openCalibration(file: string): Promise<Calibration> {
  const r = await SafetensorsReader.open(file);
  const layers: number[] = [];
  for (const t of r.tensors) {
    const m = /^layers\.(\d+)\.moe_input$/.exec(t.name);
    if (m) layers.push(Number(m[1]));
  }
  layers.sort((a, b) => a - b);
  const info = (layer: number) => {
    const name = calibrationTensorName(layer);
    if (!r.has(name))
      throw new CalibrationError({
        where: `${file}: tensor ${JSON.stringify(name)}`,
        what: `is missing (the file has inputs for ${layers.length ? `layers ${layers.join(", ")}` : "no layer"})`,
        hint: "capture the inputs of every converted MoE layer (scripts/capture_moe_inputs.py)",
      });
    return r.info(name);
  };
  return {
    file,
    layers,
    tokens: (layer) => info(layer).shape[0] ?? 0,
    async read(layer, d, maxTokens) {
      const t = info(layer);
      const [n, cols] = t.shape;
      if (t.shape.length !== 2 || n === undefined || cols !== d || n < 1)
        throw new CalibrationError({
          where: `${file}: tensor ${JSON.stringify(t.name)}`,
          what: `has shape [${t.shape.join(", ")}], expected [tokens, ${d}]`,
          hint: "capture the MoE block inputs of this model (hidden size d) as a tokens × d matrix",
        });
      if (!["F32", "F16", "BF16"].includes(t.dtype))
        throw new CalibrationError({
          where: `${file}: tensor ${JSON.stringify(t.name)}`,
          what: `has dtype ${t.dtype}`,
          hint: "save the inputs as float32, float16 or bfloat16",
        });
      const rows = Math.min(n, maxTokens ?? n);
      return { rows, cols: d, data: await r.readFloat32Range(t.name, 0, rows * d) };
    },
    close: () => r.close(),
  };
}
