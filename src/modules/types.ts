/**
 * The contract of the modules in a sentence-transformers pipeline (`modules.json`): each module reads and
 * extends a features record, as Python's `nn.Sequential` of modules passes a `features` dict along.
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/SentenceTransformer.py
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NamedParameter } from '../weights/index.js';

/**
 * Python's `features` dict, camelCased. Inputs are int32 [B, T]; `tokenEmbeddings` [B, T, H];
 * `sentenceEmbedding` [B, D]. Modules run synchronously; the caller runs the pipeline inside `tf.tidy`.
 */
export interface Features {
  /** `input_ids` [B, T] int32. */
  inputIds: tf.Tensor2D;
  /** `attention_mask` [B, T] int32. */
  attentionMask: tf.Tensor2D;
  /** `token_type_ids` [B, T] int32, only for models that take them. */
  tokenTypeIds?: tf.Tensor2D;
  /** `prompt_length`: number of leading prompt tokens (prompt tokenized alone, minus its final special token). */
  promptLength?: number;
  /** `token_embeddings` (shape [B, T, H]), the Transformer's last hidden state. */
  tokenEmbeddings?: tf.Tensor3D;
  /** `sentence_embedding` [B, D]. */
  sentenceEmbedding?: tf.Tensor2D;
  /** `all_layer_embeddings`: with `outputHiddenStates`, the embedding output and every layer's output. */
  allLayerEmbeddings?: tf.Tensor3D[];
  /** With `outputAttentions`: every layer's attention probabilities [B, heads, T, T]. */
  attentions?: tf.Tensor4D[];
  /** With `taps`: named intermediates of the transformer. */
  intermediates?: Record<string, tf.Tensor>;
}

/** Options passed through the pipeline to the Transformer module. */
export interface PipelineForwardOptions {
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
  taps?: string[];
}

/**
 * One module of the pipeline, as Python's `sentence_transformers.models.Module`: it runs on features, and it
 * saves itself to a folder that the class's static `load` reads back (see {@link SentenceModuleClass}).
 */
export interface SentenceModule {
  /** The Python class path of the module, e.g. `sentence_transformers.models.Pooling` (the modules.json `type`). */
  readonly typeName: string;
  /** Run the module on a batch (synchronous, inside the caller's `tf.tidy`). */
  forward(features: Features, opts?: PipelineForwardOptions): Features;
  /** The output size of this module's sentence embedding when it sets one (Python `get_sentence_embedding_dimension`). */
  getSentenceEmbeddingDimension?(): number | undefined;
  /** The module's config in Python's keys (`get_config_dict()`), when it has one. */
  getConfigDict?(): object;
  /** Write the module's files into `dir` (created when missing), as Python's `save(output_path)`. */
  save?(dir: string): Promise<void>;
  /**
   * The module's trainable parameters (live variables, checkpoint keys), for the trainers; absent for modules
   * without weights (Pooling, Normalize).
   */
  parameters?(): NamedParameter[];
  /** Free the module's tensors. */
  dispose(): void;
}

/** A file a module folder must hold; `alternatives` may stand in for it, `note` is added when it is missing. */
export interface RequiredFile {
  name: string;
  alternatives?: readonly string[];
  note?: string;
}

/** The static side of a module class: what the modules.json registry needs to load it. */
export interface SentenceModuleClass {
  /** The Python class path written to modules.json (3.x name). */
  readonly typeName: string;
  /** Files its folder must hold (checked for every module before any is loaded, and reported together). */
  readonly requiredFiles: readonly RequiredFile[];
  /** Load the module saved in `dir` (Python `Module.load(path)`). */
  load(dir: string, opts?: ModuleLoadOptions): Promise<SentenceModule>;
}

/** Options every module's static `load` takes. */
export interface ModuleLoadOptions {
  /**
   * The folder symbolic links in `dir` may resolve into (default: `dir` itself; a hub snapshot's `blobs/` is always
   * allowed). A pipeline passes its model folder. A link resolving elsewhere is a `ModelConfigError`.
   */
  within?: string;
}

/** The class name of a module's Python type (`sentence_transformers.models.Dense` -> `Dense`), used for folder names. */
export function moduleClassName(typeName: string): string {
  return typeName.slice(typeName.lastIndexOf('.') + 1);
}

/** The one feature Dense and Normalize read and write here (sentence-transformers 6.x `module_input_name` / `module_output_name`). */
export const SENTENCE_EMBEDDING = 'sentence_embedding';
