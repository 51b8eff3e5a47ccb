/**
 * Clustering: port of sentence-transformers' examples/sentence_transformer/applications/clustering/
 * fast_clustering.py (`util.community_detection`) and kmeans.py (scikit-learn `KMeans` on the embeddings; here the
 * library's own `kMeans`).
 *
 *   npx tsx examples/node/clustering.ts [model] [threshold]   # default all-MiniLM-L6-v2, threshold 0.75
 */
import { SentenceTransformer, communityDetection, kMeans } from 'sentence-tfjs';

const embedder = await SentenceTransformer.load(process.argv[2] ?? 'all-MiniLM-L6-v2');
const threshold = Number(process.argv[3] ?? 0.75);

// Corpus with example sentences
const corpus = [
  'A man is eating food.',
  'A man is eating a piece of bread.',
  'A man is eating pasta.',
  'The girl is carrying a baby.',
  'The baby is carried by the woman',
  'A man is riding a horse.',
  'A man is riding a white horse on an enclosed ground.',
  'A monkey is playing drums.',
  'Someone in a gorilla costume is playing a set of drums.',
  'A cheetah is running behind its prey.',
  'A cheetah chases prey on across a field.',
];
const corpusEmbeddings = await embedder.encode(corpus, { normalizeEmbeddings: true });

// Fast clustering: communities of sentences with cosine similarity >= threshold, at least 2 members each
const clusters = communityDetection(corpusEmbeddings, { threshold, minCommunitySize: 2 });
console.log(`community detection (threshold ${threshold}): ${clusters.length} clusters`);
clusters.forEach((cluster, i) => {
  console.log(`\nCluster ${i + 1}, #${cluster.length} Elements: [${cluster.join(', ')}]`);
  for (const id of cluster) console.log(`\t${corpus[id]}`);
});

// k-means: every sentence gets one of numClusters labels
const numClusters = 5;
const { labels } = kMeans(corpusEmbeddings, { k: numClusters, seed: 0 });
console.log(`\nk-means labels (k=${numClusters}): [${Array.from(labels).join(', ')}]`);
for (let c = 0; c < numClusters; c++) {
  console.log(`Cluster ${c + 1}`);
  corpus.forEach((s, i) => labels[i] === c && console.log(`\t${s}`));
}

embedder.dispose();
