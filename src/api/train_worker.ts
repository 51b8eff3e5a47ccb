/**
 * The entry module of every data-parallel training worker (training/data_parallel.ts): loads one replica of the
 * SentenceTransformer (single-threaded wasm, or the coordinator's cpu backend) and serves the replica protocol
 * (training/replica.ts). Runs as compiled JS from dist/, and in development and tests as TypeScript through tsx.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort } from '../platform/workers.js';
import { serveTrainingReplica } from '../training/replica.js';
import { setLogLevel } from '../util/logger.js';
import { SentenceTransformer, type SentenceTransformerLoadOptions } from './sentence_transformer.js';

serveTrainingReplica(await parentPort(), async (spec) => {
  // One thread per replica: the parallelism comes from the replicas.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setLogLevel('error'); // the coordinator already gave the load's warnings once
  return SentenceTransformer.load(spec.modelDir, spec.options as SentenceTransformerLoadOptions);
});
