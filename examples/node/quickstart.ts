/**
 * Quickstart: port of sentence-transformers' quickstart (docs/quickstart.rst, "Sentence Transformer"):
 *
 *   model = SentenceTransformer("all-MiniLM-L6-v2")
 *   embeddings = model.encode(sentences)
 *   similarities = model.similarity(embeddings, embeddings)
 *
 * Run from the repository root (no build needed):
 *   npx tsx examples/node/quickstart.ts [model]        # default all-MiniLM-L6-v2 (hub or HF cache)
 *   npx tsx examples/node/quickstart.ts ../shared/fixtures/models/tiny-bert
 */
import { SentenceTransformer } from 'sentence-tfjs';

const modelId = process.argv[2] ?? 'all-MiniLM-L6-v2';

// 1. Load a pretrained Sentence Transformer model
const model = await SentenceTransformer.load(modelId);

// The sentences to encode
const sentences = ['The weather is lovely today.', "It's so sunny outside!", 'He drove to the stadium.'];

// 2. Calculate embeddings by calling model.encode()
const embeddings = await model.encode(sentences);
console.log(`embeddings shape: [${embeddings.length}, ${embeddings[0].length}]`);

// 3. Calculate the embedding similarities
const similarities = model.similarity(embeddings, embeddings);
console.log('similarities:');
for (const row of similarities) console.log(`  [${Array.from(row, (v) => v.toFixed(4)).join(', ')}]`);

model.dispose();
