/**
 * Search plus rerank: port of sentence-transformers' examples/sentence_transformer/applications/retrieve_rerank/
 * (retrieve with a bi-encoder, then re-score the candidates with a cross-encoder):
 *
 *   bi_encoder = SentenceTransformer("multi-qa-MiniLM-L6-cos-v1")
 *   hits = util.semantic_search(question_embedding, corpus_embeddings, top_k=top_k)[0]
 *   cross_scores = cross_encoder.predict([[query, passages[hit["corpus_id"]]] for hit in hits])
 *
 *   npx tsx examples/node/retrieve_rerank.ts [bi-encoder] [cross-encoder]
 *   # defaults: multi-qa-MiniLM-L6-cos-v1 and cross-encoder/ms-marco-MiniLM-L6-v2
 */
import { CrossEncoder, SentenceTransformer, semanticSearch } from 'sentence-tfjs';

const biEncoder = await SentenceTransformer.load(process.argv[2] ?? 'multi-qa-MiniLM-L6-cos-v1');
const crossEncoder = await CrossEncoder.load(process.argv[3] ?? 'cross-encoder/ms-marco-MiniLM-L6-v2');

const passages = [
  'Berlin is the capital and largest city of Germany by both area and population.',
  'Paris is the capital and most populous city of France.',
  'The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris.',
  'Python is a high-level, general-purpose programming language.',
  'The Great Wall of China is a series of fortifications built across northern China.',
  'Mount Everest is the highest mountain above sea level, located in the Himalayas.',
  'The capital of Japan is Tokyo, one of the most populous metropolitan areas in the world.',
  'Photosynthesis is the process by which plants convert light energy into chemical energy.',
];
const query = 'What is the capital of France?';
const topK = 4; // candidates retrieved by the bi-encoder, then re-ranked

// Retrieve: encode the passages once, then search with the query
const corpusEmbeddings = await biEncoder.encode(passages);
const questionEmbedding = await biEncoder.encode(query);
const hits = semanticSearch(questionEmbedding, corpusEmbeddings, { topK })[0];

console.log(`Query: ${query}`);
console.log(`\nTop-${topK} bi-encoder retrieval hits`);
for (const hit of hits) console.log(`\t${hit.score.toFixed(3)}\t[${hit.corpusId}] ${passages[hit.corpusId]}`);

// Re-rank: score every (query, passage) pair with the cross-encoder
// one score per pair (a 1-label reranker such as ms-marco gives number[])
const crossScores = (await crossEncoder.predict(hits.map((hit) => [query, passages[hit.corpusId]] as [string, string]))) as number[];
const reranked = hits.map((hit, i) => ({ corpusId: hit.corpusId, crossScore: crossScores[i] })).sort((a, b) => b.crossScore - a.crossScore);

console.log(`\nTop-${topK} cross-encoder re-ranker hits`);
for (const hit of reranked) console.log(`\t${hit.crossScore.toFixed(3)}\t[${hit.corpusId}] ${passages[hit.corpusId]}`);

biEncoder.dispose();
crossEncoder.dispose();
