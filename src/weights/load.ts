/**
 * Loading checkpoints from a directory (Node) or from bytes (anywhere).
 * Prefers `model.safetensors`, then `model.safetensors.index.json` with its shards.
 */
import { configError } from '../formats/errors.js';
import { joinPath, openFileReader, pathExists, readFileBytes, readJSONFile } from '../platform/fs.js';
import { isUrl } from '../platform/url.js';
import { SafetensorsError, SafetensorsFile, type TensorSource } from '../formats/safetensors.js';
import { parseIndex, shardFiles, ShardedSafetensors } from './sharded.js';

/**
 * Open and validate one safetensors file: a local file is read one tensor at a time as they are asked for (never
 * whole: a model keeps only what it uses; close() the result, or let the weight map's detachSource do it), a URL is
 * fetched whole.
 */
export async function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  if (isUrl(path)) return SafetensorsFile.parse(await readFileBytes(path), path);
  return SafetensorsFile.open(await openFileReader(path), path);
}

/** Read a sharded checkpoint from its index file path. */
export async function readShardedSafetensors(indexPath: string): Promise<ShardedSafetensors> {
  const index = parseIndex(await readJSONFile(indexPath), indexPath);
  const dir = indexPath.replace(/[\\/][^\\/]*$/, '');
  const shards = new Map<string, SafetensorsFile>();
  try {
    for (const f of shardFiles(index)) {
      const path = await joinPath(dir, f);
      if (!(await pathExists(path))) throw new SafetensorsError(`shard ${JSON.stringify(f)} named in the index is missing (${path})`, indexPath);
      shards.set(f, await readSafetensorsFile(path));
    }
    return new ShardedSafetensors(indexPath, index, shards);
  } catch (e) {
    for (const s of shards.values()) s.close();
    throw e;
  }
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
