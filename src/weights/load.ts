/**
 * Loading checkpoints from a directory (Node) or from bytes (anywhere).
 * Prefers `model.safetensors`, then `model.safetensors.index.json` with its shards.
 */
import { configError } from '../formats/errors.js';
import { joinPath, pathExists, readFileBytes, readJSONFile } from '../platform/fs.js';
import { SafetensorsError, SafetensorsFile, type TensorSource } from '../formats/safetensors.js';
import { parseIndex, shardFiles, ShardedSafetensors } from './sharded.js';

/** Read and validate one safetensors file from disk. */
export async function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  return SafetensorsFile.parse(await readFileBytes(path), path);
}

/** Read a sharded checkpoint from its index file path. */
export async function readShardedSafetensors(indexPath: string): Promise<ShardedSafetensors> {
  const index = parseIndex(await readJSONFile(indexPath), indexPath);
  const dir = indexPath.replace(/[\\/][^\\/]*$/, '');
  const shards = new Map<string, SafetensorsFile>();
  for (const f of shardFiles(index)) {
    const path = await joinPath(dir, f);
    if (!(await pathExists(path))) throw new SafetensorsError(`shard ${JSON.stringify(f)} named in the index is missing (${path})`, indexPath);
    shards.set(f, await readSafetensorsFile(path));
  }
  return new ShardedSafetensors(indexPath, index, shards);
}

/**
 * Open the weights of a Hugging Face model directory: `model.safetensors`, else
 * `model.safetensors.index.json` + shards. A directory with only `pytorch_model.bin` is a clear error.
 */
export async function loadCheckpointDir(dir: string, baseName = 'model'): Promise<TensorSource> {
  const single = await joinPath(dir, `${baseName}.safetensors`);
  if (await pathExists(single)) return readSafetensorsFile(single);
  const index = await joinPath(dir, `${baseName}.safetensors.index.json`);
  if (await pathExists(index)) return readShardedSafetensors(index);
  const bin = await joinPath(dir, 'pytorch_model.bin');
  if (await pathExists(bin)) {
    throw configError(`${dir}: only pytorch_model.bin found; sentence-tfjs reads safetensors only (expected ${baseName}.safetensors or ${baseName}.safetensors.index.json). Convert it with Python: model.save_pretrained(dir, safe_serialization=True)`);
  }
  throw configError(`${dir}: no weights found (expected ${baseName}.safetensors or ${baseName}.safetensors.index.json)`);
}
