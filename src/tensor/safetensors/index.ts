/** Safetensors files: the validated header, a lazy one-tensor-at-a-time reader, and an atomic streaming writer. */
export { numel, type SafetensorsHeader, type TensorInfo } from "./header.js";
export {
  type ReadFloat32Options,
  type ReadOptions,
  type ReadRawOptions,
  readSafetensorsHeader,
  SafetensorsReader,
} from "./reader.js";
export {
  float32Source,
  type TensorSource,
  type WriteSafetensorsOptions,
  writeSafetensors,
} from "./writer.js";
