/**
 * Semantic search: port of sentence-transformers' examples/sentence_transformer/applications/semantic-search/
 * semantic_search.py: embed a small corpus, then for each query print the top-5 corpus entries by cosine
 * similarity (`util.semantic_search`).
 *
 *   npx tsx examples/node/semantic_search.ts [model]   # default all-MiniLM-L6-v2
 */
import { SentenceTransformer, semanticSearch } from 'sentence-tfjs';

const embedder = await SentenceTransformer.load(process.argv[2] ?? 'all-MiniLM-L6-v2');

// Corpus with example documents
const corpus = [
  'A man is eating food.',
  'A man is eating a piece of bread.',
  'The girl is carrying a baby.',
  'A man is riding a horse.',
  'A woman is playing violin.',
  'Two men pushed carts through the woods.',
  'A man is riding a white horse on an enclosed ground.',
  'A monkey is playing drums.',
  'A cheetah is running behind its prey.',
];
// Use "convert_to_tensor=True" in Python; here plain Float32Array rows are what the util functions take
const corpusEmbeddings = await embedder.encode(corpus);

// Query sentences:
const queries = ['A man is eating pasta.', 'Someone in a gorilla costume is playing a set of drums.', 'A cheetah chases prey on across a field.'];

// Find the closest 5 sentences of the corpus for each query sentence based on cosine similarity
const topK = Math.min(5, corpus.length);
const queryEmbeddings = await embedder.encode(queries);
const hits = semanticSearch(queryEmbeddings, corpusEmbeddings, { topK });
queries.forEach((query, q) => {
  console.log(`\nQuery: ${query}`);
  console.log(`Top ${topK} most similar sentences in corpus:`);
  for (const hit of hits[q]) console.log(`${corpus[hit.corpusId]} (Score: ${hit.score.toFixed(4)}) [corpus_id ${hit.corpusId}]`);
});

embedder.dispose();
