/**
 * Defaults shared by the API, the CLI and util/, said once.
 */

/** `batch_size`: texts (or pairs) per forward pass in `encode`, `predict`, `rank`, paraphrase mining and the CLI (sentence-transformers' 32). */
export const DEFAULT_BATCH_SIZE = 32;
