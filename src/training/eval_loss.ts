/**
 * The validation loss of the bi-encoder trainers (`eval_dataset` in sentence-transformers 6.0.1): at each
 * evaluation, the training loss computed in eval mode (no dropout, no gradients) over the eval dataset's batches.
 * As transformers' `evaluation_loop`, each batch's loss is repeated `eval_batch_size` times and the mean taken; but
 * accelerate's `gather_for_metrics` cuts the last batch's copies to the dataset's remainder (`tensor[:remainder]`),
 * so the result is the mean of the batch losses weighted by their row counts (measured: the plain mean misses 6.0.1
 * by 1%, the weighted one matches within 1e-6, test/training_eval_loss.test.ts). A stream (no length) has no
 * remainder: its last batch's loss is kept `batchSize` times, as accelerate's `remainder == -1` branch. The batches: 6.0.1 builds the eval loader with the training
 * batch sampler and a generator seeded `args.seed`, rebuilt at each evaluation (epoch 0); a stream keeps its order.
 * A record of datasets gives `eval_<name>_loss` for each, in its order. The CrossEncoder trainers' validation loss
 * ({@link crossEncoderEvalLosses}) follows the same rules over (text, text) pairs.
 * https://github.com/huggingface/transformers/blob/v4.57.1/src/transformers/trainer.py (`evaluation_loop`)
 * https://github.com/huggingface/sentence-transformers/blob/v5.1.0/sentence_transformers/trainer.py (`get_eval_dataloader`)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Loss } from '../losses/types.js';
import { batchOrder, isStream, readDataset, streamBatches, type BatchSamplerName, type Example, type TrainingData, type TrainingRow } from './datasets.js';
import { batchToTensors, type TokenizedBatch } from '../modules/tokenized_batch.js';
import type { EncoderInputs } from '../models/types.js';
import { labelVectorTensor, type TrainableSentenceModel } from './loop.js';
import type { CrossEncoderEvalData } from './cross_encoder_card.js';

/** An evaluation dataset: one dataset (`eval_loss`), or a record name -> dataset (`eval_<name>_loss`). */
export type EvalData = TrainingData | Readonly<Record<string, TrainingData>>;

/** How the eval batches are cut (the training arguments that apply). */
export interface EvalBatching {
  batchSize: number;
  dropLast: boolean;
  sampler: BatchSamplerName;
  seed: number;
}

/** Whether `data` is a record of datasets rather than one dataset. */
export function isEvalRecord(data: EvalData): data is Readonly<Record<string, TrainingData>> {
  return !Array.isArray(data) && !isStream(data as TrainingData);
}

/** The eval batches of one dataset. */
async function evalBatches(data: TrainingData, loss: Loss, o: EvalBatching, name: string): Promise<Example[][]> {
  const spec = { what: loss.name, textColumns: loss.textColumns, needsLabels: loss.needsLabels };
  if (isStream(data)) {
    const out: Example[][] = [];
    for await (const b of streamBatches(data, o.batchSize, spec)) if (!o.dropLast || b.length === o.batchSize) out.push(b);
    return out;
  }
  const examples = readDataset(data as readonly Record<string, unknown>[], spec, name);
  return batchOrder(examples, { batchSize: o.batchSize, shuffle: true, dropLast: o.dropLast, sampler: o.sampler, seed: o.seed, epoch: 0 }).map((b) => b.map((i) => examples[i]));
}

/** One batch's loss in eval mode (dropout off: the layers' default outside training mode). */
async function batchLoss(model: TrainableSentenceModel, loss: Loss, batch: readonly Example[]): Promise<number> {
  const columns = batch[0].texts.length;
  const tokenized = Array.from({ length: columns }, (_, c) => model.tokenize(batch.map((e) => e.texts[c])));
  const value = tf.tidy(() => {
    const labels = batch[0].label !== null ? tf.tensor1d(Float32Array.from(batch.map((e) => e.label as number)), 'float32') : null;
    const labelVectors = batch[0].labelVector ? labelVectorTensor(batch) : null;
    const embeddings = tokenized.map((b, c) => {
      const f = model.forward(b);
      if (!f.sentenceEmbedding) throw new Error(`evalDataset column ${c}: the model produced no sentence embedding`);
      return f.sentenceEmbedding;
    });
    return loss.compute({ embeddings, labels, labelVectors });
  });
  const v = (await value.data())[0];
  value.dispose();
  return v;
}

/**
 * The eval losses (`eval_loss`, or `eval_<name>_loss` per dataset of a record) of the model as it is now.
 * @example
 * ```ts
 * await evalDatasetLosses(model, loss, devRows, { batchSize: 8, dropLast: false, sampler: 'batch_sampler', seed: 42 }); // { eval_loss: 0.41 }
 * ```
 */
export async function evalDatasetLosses(model: TrainableSentenceModel, loss: Loss, data: EvalData, o: EvalBatching): Promise<Record<string, number>> {
  const named: [string, TrainingData][] = isEvalRecord(data) ? Object.entries(data) : [['', data]];
  const out: Record<string, number> = {};
  for (const [name, d] of named) {
    const batches = await evalBatches(d, loss, o, name ? `evalDataset.${name}` : 'evalDataset');
    if (batches.length === 0) throw new Error(`evalDataset${name ? `.${name}` : ''}: expected at least one batch of rows, got none`);
    let sum = 0;
    let rows = 0;
    for (const b of batches) {
      const weight = isStream(d) ? o.batchSize : b.length;
      sum += (await batchLoss(model, loss, b)) * weight;
      rows += weight;
    }
    out[name ? `eval_${name}_loss` : 'eval_loss'] = sum / rows;
  }
  return out;
}

/**
 * The CrossEncoder's validation losses (`eval_loss`, or `eval_<name>_loss` per dataset of a record): `lossOf` (the
 * training loss on the logits [B, L], activation included) in eval mode over the batches 6.0.1's eval loader gives
 * (the batch sampler with `seed`, epoch 0), averaged weighted by the batches' rows, as {@link evalDatasetLosses}.
 */
export async function crossEncoderEvalLosses(
  ce: { model: { forward(inputs: EncoderInputs): tf.Tensor2D }; tokenize(pairs: readonly (readonly [string, string])[]): TokenizedBatch },
  lossOf: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar,
  data: CrossEncoderEvalData,
  batchSize: number,
  seed: number,
): Promise<Record<string, number>> {
  const named: [string, readonly TrainingRow[]][] = Array.isArray(data) ? [['', data]] : Object.entries(data);
  const out: Record<string, number> = {};
  for (const [name, rows] of named) {
    const where = name ? `evalDataset.${name}` : 'evalDataset';
    const examples = readDataset(rows, { what: 'CrossEncoderTrainer', textColumns: { min: 2, max: 2 }, needsLabels: true }, where);
    if (examples.length === 0) throw new Error(`${where}: expected at least one row, got none`);
    let sum = 0;
    for (const b of batchOrder(examples, { batchSize, shuffle: true, dropLast: false, seed, epoch: 0 })) {
      const batch = b.map((i) => examples[i]);
      const inputs = batchToTensors(ce.tokenize(batch.map((e) => [e.texts[0], e.texts[1]] as const)));
      const value = tf.tidy(() => lossOf(ce.model.forward(inputs), tf.tensor1d(Float32Array.from(batch.map((e) => e.label as number)), 'float32')));
      tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds].filter((t): t is tf.Tensor2D => t !== undefined));
      sum += (await value.data())[0] * batch.length;
      value.dispose();
    }
    out[name ? `eval_${name}_loss` : 'eval_loss'] = sum / examples.length;
  }
  return out;
}
