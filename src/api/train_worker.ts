/**
 * The entry module of every data-parallel training worker (training/data_parallel.ts): loads one replica of the
 * SentenceTransformer or CrossEncoder (single-threaded wasm, or the coordinator's cpu backend), rebuilds the losses
 * and serves the replica protocol (training/replica.ts). Runs as compiled JS from dist/, in development and tests as
 * TypeScript through tsx, and in browsers as a module Web Worker from a browser bundle
 * (`node scripts/build-browser.mjs --train-worker` -> train-worker.js; the trainers' `dataParallel.workerUrl`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backends/index.js';
import { parentPort } from '../platform/workers.js';
import { crossEncoderReplica } from '../training/cross_encoder_trainer.js';
import { sentenceReplica } from '../training/loop.js';
import { serveTrainingReplica } from '../training/replica.js';
import { setLogLevel } from '../util/logger.js';
import { CrossEncoder, type CrossEncoderLoadOptions } from './cross_encoder.js';
import { SentenceTransformer, type SentenceTransformerLoadOptions } from './sentence_transformer.js';

serveTrainingReplica(await parentPort(), async (spec, losses) => {
  // One thread per replica: the parallelism comes from the replicas.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setLogLevel('error'); // the coordinator already gave the load's warnings once
  // Browsers: the worker's own script URL says nothing about where the page serves the .wasm binaries.
  if (spec.wasmPaths !== undefined && spec.options.device === 'wasm') await initBackend('wasm', { wasmPaths: spec.wasmPaths, fallbackToCpu: false });
  if (spec.kind === 'cross-encoder') {
    const ce = await CrossEncoder.load(spec.modelDir, spec.options as CrossEncoderLoadOptions);
    ce.maxSeqLength = (spec.options as CrossEncoderLoadOptions).maxSeqLength ?? null; // rank 0's truncation, null (none) included
    return crossEncoderReplica(ce, losses);
  }
  const { maxSeqLength, ...loadOptions } = spec.options as SentenceTransformerLoadOptions & { maxSeqLength?: number | null };
  const st = await SentenceTransformer.load(spec.modelDir, loadOptions);
  if (maxSeqLength !== undefined) st.maxSeqLength = maxSeqLength; // rank 0's truncation, null (none) included
  return sentenceReplica(st, losses);
});
