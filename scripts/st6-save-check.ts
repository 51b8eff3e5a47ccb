/**
 * Step 1 of the sentence-transformers 6.0.1 save check (step 2: scripts/st6-save-check.py): save the fixture
 * cross-encoders and bi-encoders with this library into `<out>/<model>/` and record this library's scores and
 * embeddings on the fixture texts into `<out>/ours.json`.
 *
 * Run: npx tsx scripts/st6-save-check.ts /tmp/st6-save-check   (fixtures from ../shared/fixtures)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CrossEncoder, SentenceTransformer } from '../src/index.js';

const out = resolve(process.argv[2] ?? '/tmp/st6-save-check');
const fixtures = resolve(process.env.SENTENCE_TFJS_FIXTURES ?? join(import.meta.dirname, '..', '..', 'shared', 'fixtures'));
const ref = (name: string) => JSON.parse(readFileSync(join(fixtures, 'reference', 'st6', `${name}.json`), 'utf8'));

mkdirSync(out, { recursive: true });
const ours: Record<string, unknown> = {};
for (const name of ['tiny-bert-cross-encoder', 'tiny-roberta-nli-cross-encoder', 'tiny-modernbert-cross-encoder']) {
  const ce = await CrossEncoder.load(join(fixtures, 'models', name), { device: 'wasm' });
  // the ModernBERT twin has no reference/st6 file: it scores the BERT cross-encoder's pairs
  const pairs = ref(name === 'tiny-modernbert-cross-encoder' ? 'tiny-bert-cross-encoder' : name).pairs as [string, string][];
  await ce.save(join(out, name));
  ours[name] = { pairs, scores: await ce.predict(pairs) };
  ce.dispose();
}
for (const name of ['tiny-bert', 'tiny-roberta', 'tiny-bert-pooling', 'tiny-qwen3', 'tiny-embeddinggemma', 'tiny-modernbert']) {
  const st = await SentenceTransformer.load(join(fixtures, 'models', name), { device: 'wasm' });
  // the new-architecture twins (saved by 6.0.1 themselves) have no reference/st6 file: they embed tiny-bert's texts
  const texts = ref(['tiny-bert', 'tiny-roberta', 'tiny-bert-pooling'].includes(name) ? name : 'tiny-bert').texts as string[];
  await st.save(join(out, name));
  ours[name] = { texts, embeddings: (await st.encode(texts)).map((r) => Array.from(r)) };
  st.dispose();
}
writeFileSync(join(out, 'ours.json'), JSON.stringify(ours));
console.log(`saved ${Object.keys(ours).join(', ')} into ${out}`);
