/**
 * Checkpoints that resume: besides the model folder (which Python loads), a checkpoint holds
 * `training_state.safetensors` (every trained parameter under the trainer's names, in this library's layout, and
 * AdamW's moments) and `training_state.json` (step, epoch, position in the epoch, the generator state, the
 * current epoch's batches, Adam's step counts, the parameter names and shapes). Resuming checks that the
 * checkpoint's parameters are the model's (a checkpoint of another model is refused, naming the first mismatch).
 * As the HF Trainer's `checkpoint-<step>` folders (trainer_state.json, optimizer.pt, scheduler.pt, rng_state.pth).
 */
import * as tf from '@tensorflow/tfjs-core';
import { joinPath, pathKind, readFileBytes, readJSONFile, removePath, writeDirAtomically, writeFileBytes, writeJSONFile } from '../platform/fs.js';
import { SafetensorsFile, serializeSafetensors, type NamedParameter, type TensorToWrite } from '../weights/index.js';
import type { Example } from './datasets.js';
import type { AdamW } from './optimizer.js';

/** The loop's position, saved with a checkpoint. */
export interface LoopPosition {
  /** Optimizer steps done. */
  step: number;
  /** The epoch being run (0-based) and the steps of it done. */
  epoch: number;
  stepInEpoch: number;
  /** The generator state after this step. */
  rngState: number;
  /** The current epoch's batches per objective, and each objective's cursor. */
  batches: Example[][][];
  cursor: number[];
  /** The best evaluator metric so far. */
  best?: number;
}

interface StateJson extends LoopPosition {
  format: 'sentence-tfjs-training-state';
  version: 1;
  parameters: { name: string; shape: number[] }[];
  adamSteps: Record<string, number>;
}

const STATE_JSON = 'training_state.json';
const STATE_TENSORS = 'training_state.safetensors';

/** Write the training state into an existing checkpoint folder. */
export async function writeTrainingState(dir: string, params: readonly NamedParameter[], optimizer: AdamW, pos: LoopPosition): Promise<void> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const p of params) tensors[`param.${p.key}`] = { dtype: 'F32', shape: [...p.variable.shape], data: (await p.variable.data()) as Float32Array };
  const { steps, tensors: moments } = await optimizer.stateTensors();
  for (const [k, t] of Object.entries(moments)) tensors[`adam.${k}`] = { dtype: 'F32', shape: t.shape, data: t.data };
  await writeFileBytes(await joinPath(dir, STATE_TENSORS), serializeSafetensors(tensors));
  const json: StateJson = {
    format: 'sentence-tfjs-training-state',
    version: 1,
    ...pos,
    parameters: params.map((p) => ({ name: p.key, shape: [...p.variable.shape] })),
    adamSteps: steps,
  };
  await writeJSONFile(await joinPath(dir, STATE_JSON), json);
}

/**
 * Load a checkpoint's training state into the model's parameters and the optimizer; returns the loop position.
 * Throws when `dir` is not a checkpoint of this library or holds another model's parameters.
 */
export async function readTrainingState(dir: string, params: readonly NamedParameter[], optimizer: AdamW): Promise<LoopPosition> {
  const jsonPath = await joinPath(dir, STATE_JSON);
  if ((await pathKind(jsonPath)) !== 'file') throw new Error(`resumeFromCheckpoint: ${dir} is not a training checkpoint (no ${STATE_JSON})`);
  const json = await readJSONFile<StateJson>(jsonPath);
  if (json.format !== 'sentence-tfjs-training-state') throw new Error(`resumeFromCheckpoint: ${jsonPath} is not a sentence-tfjs training state (format ${JSON.stringify(json.format)})`);
  const theirs = new Map(json.parameters.map((p) => [p.name, p.shape]));
  for (const p of params) {
    const shape = theirs.get(p.key);
    if (!shape) throw new Error(`resumeFromCheckpoint: ${dir} is a checkpoint of another model: it has no parameter ${p.key}`);
    if (shape.join(',') !== p.variable.shape.join(',')) {
      throw new Error(`resumeFromCheckpoint: ${dir} is a checkpoint of another model: ${p.key} has shape [${shape.join(', ')}] there, [${p.variable.shape.join(', ')}] here`);
    }
  }
  if (json.parameters.length !== params.length) {
    const ours = new Set(params.map((p) => p.key));
    const extra = json.parameters.find((p) => !ours.has(p.name));
    throw new Error(`resumeFromCheckpoint: ${dir} is a checkpoint of another model: it has ${json.parameters.length} parameters, this model ${params.length}${extra ? ` (e.g. ${extra.name})` : ''}`);
  }
  const path = await joinPath(dir, STATE_TENSORS);
  const file = SafetensorsFile.parse(await readFileBytes(path), path);
  for (const p of params) {
    const t = tf.tensor(file.float32(`param.${p.key}`), p.variable.shape, 'float32');
    p.variable.assign(t);
    t.dispose();
  }
  const moments: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const name of file.names()) if (name.startsWith('adam.')) moments[name.slice(5)] = { shape: [...file.info(name).shape], data: file.float32(name) };
  optimizer.loadState(json.adamSteps, moments);
  return { step: json.step, epoch: json.epoch, stepInEpoch: json.stepInEpoch, rngState: json.rngState, batches: json.batches, cursor: json.cursor, best: json.best };
}

/**
 * Write `checkpoint-<step>` under `root` atomically, as both trainers do: the model's folder, `trainer_state.json`
 * (`state`) and the training state at `position`; its path is appended to `kept`, and the oldest of `kept` are removed
 * beyond `totalLimit` (transformers' `save_total_limit`; none or 0: keep all).
 */
export async function writeCheckpoint(
  root: string,
  model: { save?(dir: string): Promise<void> },
  state: Record<string, unknown>,
  params: readonly NamedParameter[],
  optimizer: AdamW,
  position: LoopPosition,
  kept: string[],
  totalLimit?: number,
): Promise<void> {
  const dir = await joinPath(root, `checkpoint-${position.step}`);
  await writeDirAtomically(dir, async (tmp) => {
    await model.save?.(tmp);
    await writeJSONFile(await joinPath(tmp, 'trainer_state.json'), state);
    await writeTrainingState(tmp, params, optimizer, position);
  });
  kept.push(dir);
  if (totalLimit !== undefined && totalLimit > 0) while (kept.length > totalLimit) await removePath(kept.shift()!);
}
