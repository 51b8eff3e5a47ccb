/**
 * Child-process job for the SparseEncoder on one device (webgpu needs Dawn's env at process start):
 * `node --import tsx test/parity/splade_device.ts <device> [count]` encodes the first `count` (default all) tiny-splade
 * reference texts and prints
 * `RESULT <json>` (per text: indices, values) for the parent test to compare with sentence-transformers 6.0.1.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { SparseEncoder } from '../../src/api/sparse_encoder.js';
import { initBackend, type DeviceName } from '../../src/backends/index.js';
import { fixture } from '../helpers/fixtures.js';

async function main(): Promise<void> {
  const device = process.argv[2] as DeviceName;
  const active = await initBackend(device, { fallbackToCpu: false });
  const all = JSON.parse(readFileSync(fixture('reference', 'tiny-splade', 'reference.json'), 'utf8')).texts as string[];
  const texts = all.slice(0, process.argv[3] ? Number(process.argv[3]) : all.length);
  const model = await SparseEncoder.load(fixture('models', 'tiny-splade'));
  const t0 = performance.now();
  const vectors = await model.encode(texts);
  const ms = performance.now() - t0;
  model.dispose();
  const result = vectors.map((v) => ({ indices: [...v.indices], values: [...v.values] }));
  process.stdout.write(`RESULT ${JSON.stringify({ device: active, backend: tf.getBackend(), ms, result })}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stdout.write(`ERROR ${JSON.stringify({ message: (e as Error).message ?? String(e) })}\n`);
    process.exit(1);
  },
);
