/**
 * Where one short query's `encode` goes, phase by phase: `npx tsx scripts/bench-encode-phases.ts [--model DIR]
 * [--reps 200] [--rounds 9] [--device wasm]`.
 *
 * On minilm-l6-full (default) and wasm, a ~10-token query of bench's `queries` workload (batch 1, normalized, as the
 * bench's queries:1 cell). Each phase runs `--reps` times in a loop, timed in CPU time of this process
 * (process.cpuUsage), `--rounds` times; prints the median µs per call and the spread (min-max of the rounds), and
 * the tf kernel calls of each phase (tf.profile). The phases are the pieces encode() runs: tokenization, input
 * tensors, the model's input validation, embeddings, the mask context, each encoder layer, pooling, normalize,
 * the read-back (the one-sequence path pools and normalizes on it; the tf-op pooling of the batched path is timed
 * too); the forward less its phases is what chaining the layers adds (their weights come from memory, not cache).
 * Prints markdown; label the figures with the machine's load.
 */
import * as tf from '@tensorflow/tfjs-core';
import { join, resolve } from 'node:path';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import type { DeviceName } from '../src/backends/index.js';
import { batchToTensors } from '../src/modules/tokenized_batch.js';
import { l2Normalize, l2NormalizeRowF32 } from '../src/modules/normalize.js';
import { meanPoolAllAttended, pool } from '../src/pooling/pooling.js';
import { Pooling } from '../src/modules/pooling.js';
import { TapRecorder } from '../src/layers/taps.js';
import { makeWorkload } from '../bench/bench-workloads.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Internals the phases call (protected members, reached for measurement only). */
interface Internals {
  validate(i: unknown): void;
  embed(i: unknown, taps: TapRecorder): tf.Tensor3D;
  forwardContext(i: unknown): { ctx: { mask: { dispose(): void } }; tensors: tf.Tensor[] };
  stack: { apply(x: tf.Tensor3D, ctx: unknown): { output: tf.Tensor3D } }[];
}

async function main(): Promise<void> {
  const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve('..', 'shared', 'fixtures');
  const dir = arg('--model', join(fixtures, 'models', 'minilm-l6-full'));
  const reps = Number(arg('--reps', '200'));
  const rounds = Number(arg('--rounds', '9'));
  const model = await SentenceTransformer.load(dir, { device: arg('--device', 'wasm') as DeviceName });
  const texts = makeWorkload('queries').texts;
  const q = texts.find((t) => model.tokenize([t]).seqLength >= 10) ?? texts[0]!;
  const batch = model.tokenize([q]);
  const enc = model.transformer.model as unknown as Internals;
  const poolCfg = (model.modules.find((m) => m instanceof Pooling) as Pooling).config;
  const feats = batchToTensors(batch);
  const inputs = { inputIds: feats.inputIds, attentionMask: feats.attentionMask, tokenTypeIds: feats.tokenTypeIds };
  const taps = new TapRecorder(undefined, () => []);
  const x0 = tf.tidy(() => enc.embed(inputs, taps));
  const fc = tf.tidy(() => {
    const c = enc.forwardContext(inputs);
    return { ...c, keep: c.tensors } as unknown as tf.TensorContainer;
  }) as unknown as ReturnType<Internals['forwardContext']>;
  const ctx = { ...fc.ctx, needProbs: false, taps };
  const last = tf.tidy(() => enc.stack.reduce((x, l) => l.apply(x, ctx).output, x0));
  const pooled = pool(last, feats.attentionMask, poolCfg);

  const phases: [string, () => unknown][] = [
    ['encode() whole', () => model.encode([q], { normalizeEmbeddings: true })],
    ['tokenize (tokenizer + pad)', () => model.tokenize([q])],
    ['input tensors (+ dispose)', () => tf.dispose(Object.values(batchToTensors(batch)).filter((t) => t) as tf.Tensor[])],
    ['validate (id ranges)', () => enc.validate(inputs)],
    ['embeddings', () => tf.tidy(() => enc.embed(inputs, taps)).dispose()],
    ['mask context', () => tf.tidy(() => enc.forwardContext(inputs).ctx.mask.dispose())],
    ...enc.stack.map((l, i) => [`layer ${i}`, () => tf.tidy(() => l.apply(x0, ctx).output).dispose()] as [string, () => unknown]),
    ['pooling, tf ops (the batched path)', () => pool(last, feats.attentionMask, poolCfg).dispose()],
    ['normalize, tf ops (the batched path)', () => l2Normalize(pooled).dispose()],
    ['read-back of [1, T, H] (data())', () => last.data()],
    ['pooling + 2 normalizes on the read-back (one-sequence path)', async () => {
      const row = meanPoolAllAttended((await last.data()) as Float32Array, batch.seqLength, poolCfg.wordEmbeddingDimension);
      l2NormalizeRowF32(row);
      l2NormalizeRowF32(row);
    }],
    ['model forward (Transformer module)', () => tf.tidy(() => model.transformer.forward({ ...inputs }).tokenEmbeddings!).dispose()],
  ];
  const res = new Map<string, number[]>(phases.map(([n]) => [n, []]));
  for (const [, f] of phases) for (let i = 0; i < 20; i++) await f(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of phases) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < reps; i++) await f();
      const c = process.cpuUsage(c0);
      res.get(name)!.push((c.user + c.system) / reps);
    }
  }
  const calls = async (f: () => unknown): Promise<number> => {
    const p = await tf.profile(async () => {
      await f();
      return [] as tf.Tensor[];
    });
    return p.kernels.filter((k) => !k.name.endsWith('__op')).length;
  };
  console.log(`# one ${batch.seqLength}-token query, ${dir.split('/').pop()} on ${tf.getBackend()}: CPU µs per call, median of ${rounds} rounds of ${reps} (min-max); measured under load\n`);
  console.log('| phase | CPU µs | spread | kernel calls |\n| --- | ---: | ---: | ---: |');
  for (const [name, f] of phases) {
    const m = median(res.get(name)!);
    const xs = res.get(name)!;
    console.log(`| ${name} | ${m.toFixed(1)} | ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)} | ${await calls(f)} |`); // spread-ok: rounds
  }
  const med = (n: string) => median(res.get(n)!);
  const outside = med('tokenize (tokenizer + pad)') + med('pooling + 2 normalizes on the read-back (one-sequence path)');
  const layers = enc.stack.reduce((a, _, i) => a + med(`layer ${i}`), 0);
  console.log(`| encode() less the forward, tokenize and the read-back pooling: encode's own JS and engine | ${(med('encode() whole') - med('model forward (Transformer module)') - outside).toFixed(1)} | | |`);
  console.log(`| the forward less its phases (the layers chained: weights from memory, not cache; tidy) | ${(med('model forward (Transformer module)') - layers - med('embeddings') - med('validate (id ranges)') - med('input tensors (+ dispose)')).toFixed(1)} | | |`);
  tf.dispose([x0, last, pooled, ...fc.tensors, ...(Object.values(feats).filter((t) => t) as tf.Tensor[])]);
  fc.ctx.mask.dispose();
  model.dispose();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
