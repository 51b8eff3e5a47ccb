/**
 * Wrong-JSON-type sweep over the module configs of the fixture models: every top-level key of every JSON file a
 * model folder holds (and the keys the parsers read that the fixtures leave out) is set in turn to each value of a
 * list of wrong types; each load must succeed or fail with a named error (ModelConfigError, SafetensorsError,
 * TokenizerConfigError). Prints every other outcome. `npx tsx scripts/config-type-sweep.ts [model ...]`.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder, initBackend, ModelConfigError, SafetensorsError, SentenceTransformer, SparseEncoder, TokenizerConfigError } from '../src/index.js';

const FIX = process.env.STFJS_FIXTURES ?? '/work/shared/fixtures';
const MODELS: Record<string, 'st' | 'ce' | 'sparse'> = { 'tiny-roberta': 'st', 'tiny-bert': 'st', 'tiny-splade': 'sparse', 'tiny-bert-cross-encoder': 'ce', 'tiny-modernbert': 'st' };
const VALUES: unknown[] = [[true], true, 0, -1, 1.5, 'x', [], {}, null, [1], { a: 1 }, 'toString', [[]], 1e300];
/** Keys the parsers read that the fixture files may not hold. */
const EXTRA_KEYS: Record<string, string[]> = {
  'sentence_bert_config.json': ['max_seq_length', 'do_lower_case', 'transformer_task', 'model_args', 'tokenizer_args', 'config_args'],
  'config_sentence_transformers.json': ['prompts', 'default_prompt_name', 'similarity_fn_name', 'model_type', '__version__', 'activation_fn'],
  'config.json': [],
};
const named = (e: unknown) => e instanceof ModelConfigError || e instanceof SafetensorsError || e instanceof TokenizerConfigError;

function jsonFiles(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(dir, base))) {
    const rel = base ? `${base}/${f}` : f;
    if (statSync(join(dir, rel)).isDirectory()) { if (f !== 'onnx') out.push(...jsonFiles(dir, rel)); } // spread-ok: a few files
    else if (f.endsWith('.json') && !/^(tokenizer|tokenizer_config|special_tokens_map|vocab)\.json$/.test(f)) out.push(rel);
  }
  return out;
}

async function main(): Promise<void> {
  await initBackend('cpu');
  const only = process.argv.slice(2);
  let cases = 0, bad = 0;
  for (const [name, kind] of Object.entries(MODELS)) {
    if (only.length && !only.includes(name)) continue;
    const root = mkdtempSync(join(tmpdir(), 'stfjs-sweep-'));
    const dir = join(root, name);
    cpSync(join(FIX, 'models', name), dir, { recursive: true, filter: (s) => !s.includes('/onnx') });
    for (const rel of jsonFiles(dir)) {
      const orig = readFileSync(join(dir, rel), 'utf8');
      const parsed = JSON.parse(orig) as unknown;
      const variants: [string, unknown][] = [];
      if (Array.isArray(parsed)) {
        parsed.forEach((e, i) => {
          for (const k of [...Object.keys(e as object), 'idx', 'name', 'path', 'type']) for (const v of VALUES) variants.push([`[${i}].${k}`, parsed.map((x, j) => (j === i ? { ...(x as object), [k]: v } : x))]);
        });
      } else {
        const keys = new Set([...Object.keys(parsed as object), ...(EXTRA_KEYS[rel.split('/').pop()!] ?? [])]);
        if (rel.endsWith('config.json') && rel.includes('/')) for (const k of ['in_features', 'out_features', 'bias', 'activation_function', 'module_input_name', 'module_output_name', 'pooling_mode', 'include_prompt', 'embedding_dimension', 'word_embedding_dimension', 'pooling_strategy', 'chunk_size']) keys.add(k);
        for (const k of keys) for (const v of VALUES) variants.push([k, { ...(parsed as object), [k]: v }]);
        for (const v of VALUES) variants.push(['<whole file>', v]);
      }
      for (const [key, value] of variants) {
        writeFileSync(join(dir, rel), JSON.stringify(value));
        cases++;
        const before = tf.memory().numTensors;
        try {
          const m = kind === 'ce' ? await CrossEncoder.load(dir) : kind === 'sparse' ? await SparseEncoder.load(dir) : await SentenceTransformer.load(dir);
          try {
            if (m instanceof CrossEncoder) await m.predict([['a b', 'c d']]);
            else await (m as SentenceTransformer).encode(['a b c', 'hello']);
          } catch (e) {
            bad++;
            console.log(`ENCODE ${name}/${rel} ${key}=${JSON.stringify(value)?.slice(0, 60)}: ${(e as Error).name}: ${(e as Error).message.slice(0, 200)}`);
          }
          m.dispose();
        } catch (e) {
          if (!named(e)) {
            bad++;
            console.log(`STRAY ${name}/${rel} ${key}=${JSON.stringify(value)?.slice(0, 60)}: ${(e as Error).name}: ${(e as Error).message.slice(0, 200)}`);
          } else if (tf.memory().numTensors !== before) {
            bad++;
            console.log(`LEAK ${name}/${rel} ${key}: ${tf.memory().numTensors - before} tensors`);
          }
        }
      }
      writeFileSync(join(dir, rel), orig);
    }
    rmSync(root, { recursive: true, force: true });
    console.log(`${name}: done (${cases} cases so far, ${bad} findings)`);
  }
  console.log(`cases ${cases}, findings ${bad}`);
  if (bad) process.exitCode = 1;
}
void main();
