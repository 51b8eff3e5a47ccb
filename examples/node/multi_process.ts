/**
 * The multi-process pool: port of sentence-transformers' computing_embeddings_multi_gpu.py,
 *
 *   pool = model.start_multi_process_pool()
 *   emb = model.encode_multi_process(sentences, pool)
 *   model.stop_multi_process_pool(pool)
 *
 * In Node the "processes" are worker_threads, each holding its own copy of the model on the wasm backend with one
 * thread; the texts are split into chunks and the embeddings come back in input order.
 *
 *   npx tsx examples/node/multi_process.ts [model] [n] [workers]   # default all-MiniLM-L6-v2, 10000 texts, 2 workers
 */
import { SentenceTransformer } from 'sentence-tfjs';

const [modelId = 'all-MiniLM-L6-v2', nArg = '10000', workersArg = '2'] = process.argv.slice(2);
const n = Number(nArg);
const workers = Number(workersArg);

// Create a large list of sentences
const sentences = Array.from({ length: n }, (_, i) => `This is sentence ${i}`);

const model = await SentenceTransformer.load(modelId);

// Start the multi-process pool on `workers` worker threads
const pool = await model.startMultiProcessPool({ workers });
const start = performance.now();
// Compute the embeddings using the multi-process pool
const emb = await model.encodeMultiProcess(sentences, { batchSize: 32 });
const seconds = (performance.now() - start) / 1000;
console.log(`Embeddings computed. Shape: [${emb.length}, ${emb[0].length}] on ${pool.size} workers in ${seconds.toFixed(1)} s`);
console.log(`first embedding: [${Array.from(emb[0].subarray(0, 4), (v) => v.toFixed(6)).join(', ')}, ...]`);

// Optional: Stop the processes in the pool
await model.stopMultiProcessPool();
model.dispose();
