/** util/: similarity, search, mining, clustering, quantization and embedding storage on plain embeddings. */
export * from './matrix.js';
export * from './similarity.js';
export * from './topk.js';
export * from './retrieval.js';
export * from './community.js';
export * from './quantization.js';
export * from './kmeans.js';
export * from './storage.js';
export { getLogLevel, setLogLevel, setLogger, type LogLevel, type LogSink, type LogThreshold } from './logger.js';
