/**
 * The browser side of the training test (test/training_browser.test.ts): fine-tunes models/tiny-bert in the page
 * as the reference's CosineSimilarityLoss run does, with the model and the reference fetched from the test server.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../../src/api/sentence_transformer.js';
import { initBackend, type DeviceName } from '../../src/backends/index.js';
import { CosineSimilarityLoss } from '../../src/losses/cosine_similarity.js';
import type { StepLog } from '../../src/training/loop.js';

const api = {
  /**
   * Train 9 steps (the reference's schedule) and return the step logs, tf.memory().numTensors after each step, the
   * eval embeddings after training and the wall time of fit() in ms.
   */
  async train(device: DeviceName, wasmPaths: string): Promise<{ backend: string; logs: StepLog[]; live: number[]; encodeAfter: number[][]; fitMs: number }> {
    const backend = await initBackend(device, { wasmPaths, fallbackToCpu: false });
    const ref = await (await fetch(`${location.origin}/fixtures/reference/training/reference.json`)).json();
    const rows = ref.bi_encoder.dataset.rows.map((r: { sentence1: string; sentence2: string; score: number }) => ({ sentence1: r.sentence1, sentence2: r.sentence2, score: r.score }));
    const model = await SentenceTransformer.load(`${location.origin}/fixtures/models/tiny-bert`, { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } });
    try {
      const logs: StepLog[] = [];
      const live: number[] = [];
      const started = performance.now();
      await model.fit({
        trainObjectives: [{ data: rows, loss: new CosineSimilarityLoss() }],
        batchSize: 4,
        epochs: 3,
        warmupSteps: 2,
        optimizerParams: { lr: 2e-3 },
        weightDecay: 0.01,
        maxGradNorm: 1,
        shuffle: false,
        callback: (l) => {
          logs.push(l);
          live.push(tf.memory().numTensors);
        },
      });
      const fitMs = performance.now() - started;
      const enc = (await model.encode(ref.bi_encoder.eval_texts as string[])) as unknown as Float32Array[];
      return { backend, logs, live, encodeAfter: enc.map((r) => Array.from(r)), fitMs };
    } finally {
      model.dispose();
    }
  },
};

(globalThis as { sentenceTfjsTrain?: typeof api }).sentenceTfjsTrain = api;
export type BrowserTrainApi = typeof api;
