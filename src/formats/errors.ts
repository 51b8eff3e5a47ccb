/**
 * The error of an invalid model file other than a safetensors file (which raises `SafetensorsError`) or a
 * tokenizer file (`TokenizerConfigError`): config.json, modules.json, a module's config.json,
 * sentence_bert_config.json, config_sentence_transformers.json, a sharded index, or a checkpoint that does not
 * match its config. It lives in formats/ (the bottom layer) so that every layer that reads model files can raise it.
 */

/**
 * Raised for a model file that cannot be used: the message names the file (or the config it came from), the key
 * when there is one, what was expected and what was got.
 *
 * @example
 * ```ts
 * try {
 *   await SentenceTransformer.load('my-model');
 * } catch (e) {
 *   if (e instanceof ModelConfigError) console.error(e.file, e.key, e.message);
 * }
 * ```
 */
export class ModelConfigError extends Error {
  constructor(
    message: string,
    /** The file (or the config's name, e.g. `bert config`) the problem is in. */
    readonly file: string,
    /** The key (JSON path) at fault, when there is one. */
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ModelConfigError';
  }
}
