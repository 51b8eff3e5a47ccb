/**
 * 10,000 small encodes on one model (waves of 10 concurrent calls), reporting tf.memory().numTensors and RSS
 * (and the V8 heap in use) every 1,000: they must stay flat.
 * `npx tsx --expose-gc scripts/encode-leak.ts [count] [model dir] [--same]` (`--same`: one text repeated, so the
 * tokenizer's word cache does not grow with new words).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, SentenceTransformer } from '../src/index.js';

const count = Number(process.argv[2] ?? 10_000);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const same = process.argv.includes('--same');
const dir = process.argv[3] && process.argv[3] !== '--same' ? process.argv[3] : resolve(root, '..', 'shared', 'fixtures', 'models', 'tiny-bert');
await initBackend((process.env.SENTENCE_TFJS_TEST_DEVICE as 'cpu' | 'wasm' | undefined) ?? 'wasm');
const model = await SentenceTransformer.load(dir);
const gc = (globalThis as { gc?: () => void }).gc;
for (let i = 0; i < 50; i++) await model.encode([`warm up ${i}`]);
gc?.();
const t0 = tf.memory().numTensors;
const r0 = process.memoryUsage().rss;
const h0 = process.memoryUsage().heapUsed;
console.log(`start: tensors ${t0}, rss ${(r0 / 2 ** 20).toFixed(1)} MiB`);
const started = performance.now();
for (let done = 0; done < count; ) {
  const wave = Math.min(10, count - done);
  await Promise.all(Array.from({ length: wave }, (_, j) => model.encode([same ? 'the same sentence' : `sentence ${done + j}`])));
  done += wave;
  if (done % 1000 === 0) {
    gc?.();
    const rss = process.memoryUsage().rss;
    console.log(`${done} encodes: tensors ${tf.memory().numTensors} (${tf.memory().numTensors - t0 >= 0 ? '+' : ''}${tf.memory().numTensors - t0}), rss ${(rss / 2 ** 20).toFixed(1)} MiB (${((rss - r0) / 2 ** 20).toFixed(1)} MiB since start), heap used ${((process.memoryUsage().heapUsed - h0) / 2 ** 20).toFixed(2)} MiB since start, ${((performance.now() - started) / done).toFixed(2)} ms/encode`);
  }
}
model.dispose();
