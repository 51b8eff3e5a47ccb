/**
 * Prompts: port of sentence-transformers' "Prompt Templates" usage (docs/sentence_transformer/usage):
 *
 *   query_embeddings = model.encode_query(queries)            # the model's "query" prompt
 *   document_embeddings = model.encode_document(documents)    # its "document"/"passage"/"corpus" prompt
 *   model.encode(queries, prompt_name="query")                # the same, by name
 *   model.encode(queries, prompt="query: ")                   # an explicit prompt string
 *
 *   npx tsx examples/node/prompts.ts [model]   # default intfloat/multilingual-e5-small (prompts "query: ", "passage: ")
 */
import { SentenceTransformer } from 'sentence-tfjs';

const model = await SentenceTransformer.load(process.argv[2] ?? 'intfloat/multilingual-e5-small');
console.log(`prompts: ${JSON.stringify(model.prompts)}`);

const queries = ['What is the capital of France?', 'How do plants make food?'];
const documents = ['Paris is the capital and most populous city of France.', 'Photosynthesis converts light energy into chemical energy in plants.', 'The Great Wall of China is a series of fortifications.'];

const queryEmbeddings = await model.encodeQuery(queries);
const documentEmbeddings = await model.encodeDocument(documents);
const similarities = model.similarity(queryEmbeddings, documentEmbeddings);
queries.forEach((q, i) => {
  let best = 0;
  similarities[i].forEach((score, d) => score > similarities[i][best] && (best = d));
  console.log(`query: ${q}\n  best document: [${best}] ${documents[best]} (score ${similarities[i][best].toFixed(4)})`);
});

// encodeQuery is encode with promptName "query" (when the model defines one) ...
const byName = await model.encode(queries, { promptName: 'query' });
// ... and a prompt string can be given directly; no prompt at all changes the embedding
const noPrompt = await model.encode(queries);
const same = model.similarityPairwise(queryEmbeddings, byName);
const changed = model.similarityPairwise(queryEmbeddings, noPrompt);
console.log(`cosine(encodeQuery, promptName 'query'): [${Array.from(same, (v) => v.toFixed(4)).join(', ')}]`);
console.log(`cosine(encodeQuery, no prompt): [${Array.from(changed, (v) => v.toFixed(4)).join(', ')}]`);

model.dispose();
