/**
 * Paraphrase mining: port of sentence-transformers' examples/sentence_transformer/applications/paraphrase-mining/
 * (`util.paraphrase_mining(model, sentences)`): every pair of sentences, best-scoring first.
 *
 *   npx tsx examples/node/paraphrase_mining.ts [model]   # default all-MiniLM-L6-v2
 */
import { SentenceTransformer, paraphraseMining } from 'sentence-tfjs';

const model = await SentenceTransformer.load(process.argv[2] ?? 'all-MiniLM-L6-v2');

// Single list of sentences - Possible tens of thousands of sentences
const sentences = [
  'The cat sits outside',
  'A man is playing guitar',
  'I love pasta',
  'The new movie is awesome',
  'The cat plays in the garden',
  'A woman watches TV',
  'The new movie is so great',
  'Do you like pizza?',
];

const paraphrases = await paraphraseMining(model, sentences);

for (const [score, i, j] of paraphrases.slice(0, 10)) {
  console.log(`${sentences[i]}\t\t${sentences[j]}\t\tScore: ${score.toFixed(4)}\t[${i}, ${j}]`);
}

model.dispose();
