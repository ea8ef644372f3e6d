/** Hugging Face checkpoint folders: open and read lazily, plan shards and write atomically, detect the architecture. */
export {
  ARCHITECTURES,
  type ArchitectureSpec,
  type DetectedArchitecture,
  detectArchitecture,
  fillTemplate,
  type TensorShapeInfo,
  templateRegex,
} from "./architecture.js";
export {
  Checkpoint,
  type CheckpointTensor,
  type OpenOptions,
  openCheckpoint,
  type ShardInfo,
} from "./reader.js";
export {
  type CheckpointPlan,
  DEFAULT_MAX_SHARD_BYTES,
  type LazyShard,
  planShards,
  type ShardPlan,
  type WriteCheckpointOptions,
  type WrittenCheckpoint,
  writeCheckpoint,
  writeCheckpointShards,
} from "./writer.js";
