/**
 * Sharded checkpoints: `model.safetensors.index.json` maps each tensor name to the shard file holding it
 * (https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/modeling_utils.py#L384).
 */
import { pathEscapeProblem } from '../platform/fs.js';
import { SafetensorsError, SafetensorsFile, type StoredArray, type TensorInfo, type TensorSource } from '../formats/safetensors.js';

/** The parsed index file. */
export interface SafetensorsIndex {
  metadata?: Record<string, unknown>;
  weight_map: Record<string, string>;
}

/** Validate an index object; errors name the index source. */
export function parseIndex(obj: unknown, source: string): SafetensorsIndex {
  const o = obj as { weight_map?: unknown } | null;
  if (!o || typeof o !== 'object' || !o.weight_map || typeof o.weight_map !== 'object' || Array.isArray(o.weight_map)) {
    throw new SafetensorsError('index must be an object with a "weight_map" object of tensor name -> shard file', source);
  }
  for (const [k, v] of Object.entries(o.weight_map as Record<string, unknown>)) {
    if (typeof v !== 'string' || v === '' || pathEscapeProblem(v) !== null) {
      throw new SafetensorsError(`weight_map entry must be a plain shard file name, got ${JSON.stringify(v)}`, source, k);
    }
  }
  return obj as SafetensorsIndex;
}

/** A set of shard files seen as one {@link TensorSource}. */
export class ShardedSafetensors implements TensorSource {
  private readonly owner = new Map<string, SafetensorsFile>();

  /**
   * @param source   the index file's path, for errors
   * @param index    the parsed index
   * @param shards   shard file name (as in weight_map) -> parsed shard
   */
  constructor(
    readonly source: string,
    index: SafetensorsIndex,
    private readonly shards: Map<string, SafetensorsFile>,
  ) {
    for (const [name, file] of Object.entries(index.weight_map)) {
      const shard = shards.get(file);
      if (!shard) throw new SafetensorsError(`shard ${JSON.stringify(file)} named in the index was not loaded`, source, name);
      if (!shard.has(name)) throw new SafetensorsError(`index says the tensor is in ${file}, but that shard does not hold it`, source, name);
      this.owner.set(name, shard);
    }
  }

  /** Names of every tensor over all shards. */
  names(): string[] {
    return [...this.owner.keys()];
  }
  /** Whether some shard holds a tensor of that name. */
  has(name: string): boolean {
    return this.owner.has(name);
  }
  private shard(name: string): SafetensorsFile {
    const s = this.owner.get(name);
    if (!s) throw new SafetensorsError('cannot find tensor', this.source, name);
    return s;
  }
  /** Dtype, shape and byte range (in its shard) of a tensor; throws when no shard holds it. */
  info(name: string): TensorInfo {
    return this.shard(name).info(name);
  }
  float32(name: string): Float32Array {
    return this.shard(name).float32(name);
  }
  typed(name: string): StoredArray {
    return this.shard(name).typed(name);
  }
  /** True when every shard is read tensor by tensor (see {@link SafetensorsFile.readsCopies}). */
  get readsCopies(): boolean {
    return [...this.shards.values()].every((s) => s.readsCopies);
  }
  typedRange(name: string, begin: number, end: number, scratch?: ArrayBuffer): StoredArray {
    return this.shard(name).typedRange(name, begin, end, scratch);
  }
  /** Release every shard's file (see {@link SafetensorsFile.close}). */
  close(): void {
    for (const s of this.shards.values()) s.close();
  }
}

/** The shard file names an index refers to, deduplicated, in first-seen order. */
export function shardFiles(index: SafetensorsIndex): string[] {
  return [...new Set(Object.values(index.weight_map))];
}
