/**
 * Shared internals of every capability: files (read, check outputs, atomic writes), CSV, presets,
 * progress, the seeded PRNG, registries, plain-text tables, the package version. Not part of the
 * public API; modules usually import the one file they need.
 */
export { type CsvOptions, type CsvRecord, csvField, csvRow, parseCsv } from "./csv.js";
export {
  checkOutputPath,
  checkOutputPaths,
  fileReadError,
  isDirectory,
  readStructured,
  readText,
  tempSibling,
  type WriteOptions,
  writeAtomic,
  writeError,
  writeFileAtomic,
  writeFolderAtomic,
} from "./files.js";
export { loadPresetSpec, presetNames, presetPath, readPresetFile } from "./presets.js";
export { cliProgressSink, type OnProgress, type ProgressEvent, type ProgressSink } from "./progress.js";
export { mulberry32, Rng } from "./random.js";
export {
  describeParams,
  type ParamInfo,
  type ParamsOf,
  Registry,
  type RegistryEntry,
  UnknownNameError,
} from "./registry.js";
export { type Cell, formatCell, renderTable, type TableOptions } from "./table.js";
export { frugalVersion } from "./version.js";
