/**
 * Storing and loading embeddings: port of sentence-transformers' FAQ recipe "How do I store embeddings?"
 * (pickle or safetensors with the sentences alongside). Here: `saveEmbeddings` / `loadEmbeddings` (safetensors,
 * texts under `__metadata__`, readable by Python's `safetensors`), and `saveNpy` / `loadNpy` (numpy `np.load`),
 * also with int8-quantized embeddings (`quantize_embeddings`).
 *
 *   npx tsx examples/node/store_load_embeddings.ts [model] [outDir]   # default all-MiniLM-L6-v2, ./stored-embeddings
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SentenceTransformer, loadEmbeddings, loadNpy, quantizeEmbeddings, saveEmbeddings, saveNpy } from 'sentence-tfjs';

const [modelId = 'all-MiniLM-L6-v2', outDir = 'stored-embeddings'] = process.argv.slice(2);
const model = await SentenceTransformer.load(modelId);
await mkdir(outDir, { recursive: true });

const sentences = ['This framework generates embeddings for each input sentence', 'Sentences are passed as a list of string.', 'The quick brown fox jumps over the lazy dog.'];
const embeddings = await model.encode(sentences);

// Store sentences & embeddings on disk
const file = join(outDir, 'embeddings.safetensors');
await saveEmbeddings(file, { embeddings, sentences, metadata: { model: modelId } });

// Load sentences & embeddings from disk
const stored = await loadEmbeddings(file);
console.log(`${file}: ${stored.dtype} [${stored.shape.join(', ')}], ${stored.sentences?.length} sentences, model ${stored.metadata.model}`);
let maxDiff = 0;
stored.rows.forEach((row, i) => row.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - embeddings[i][j])))));
console.log(`round trip: max |difference| ${maxDiff}`);
console.log(`first sentence: ${stored.sentences?.[0]}`);

// The same as .npy (np.load reads it), float32 and int8-quantized
const npyFile = join(outDir, 'embeddings.npy');
await saveNpy(npyFile, embeddings);
const int8File = join(outDir, 'embeddings-int8.npy');
await saveNpy(int8File, quantizeEmbeddings(embeddings, 'int8'));
const npy = await loadNpy(npyFile);
const int8 = await loadNpy(int8File);
console.log(`${npyFile}: ${npy.dtype} [${npy.shape.join(', ')}]`);
console.log(`${int8File}: ${int8.dtype} [${int8.shape.join(', ')}]`);

model.dispose();
