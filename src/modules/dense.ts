/**
 * The Dense module: `activation(linear(sentence_embedding))`, a feed-forward layer on the sentence embedding.
 * Directory layout: `config.json` (`in_features`, `out_features`, `bias`, `activation_function`) and
 * `model.safetensors` with `linear.weight` [out, in] and `linear.bias` [out].
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/models/Dense.py
 * and v6.0.1 `sentence_transformers/base/modules/dense.py` (which adds `module_input_name` / `module_output_name`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Linear } from '../layers/linear.js';
import { ConfigReader } from '../models/config.js';
import { checkNoLinksOutside, joinPath, makeDir, readJSONFile, writeFileBytes, writeJSONFile } from '../platform/fs.js';
import { loadCheckpointDir, serializeSafetensors, WeightMap, type NamedParameter, type TensorSource } from '../weights/index.js';
import { activationFromName, type ActivationFn } from './activations.js';
import { SENTENCE_EMBEDDING, type Features, type ModuleLoadOptions, type RequiredFile, type SentenceModule } from './types.js';

/** A Dense module's config.json, in Python's keys (`config_keys`). */
export interface DenseConfigJSON {
  in_features: number;
  out_features: number;
  /** Default true. */
  bias?: boolean;
  /** A torch class path; default `torch.nn.modules.activation.Tanh` (null: Tanh too, as Python's default). */
  activation_function?: string | null;
  /** sentence-transformers 6.x: the feature read (only `sentence_embedding` is supported; default). */
  module_input_name?: string;
  /** sentence-transformers 6.x: the feature written (only `sentence_embedding` is supported; default). */
  module_output_name?: string;
}

/**
 * A linear layer plus activation on `sentence_embedding` (e.g. 768 -> 256 with Tanh). Folder: `config.json` and
 * `model.safetensors` (`linear.weight` [out, in], `linear.bias` [out]).
 *
 * @example
 * ```ts
 * const dense = await Dense.load('my-model/2_Dense');
 * dense.getSentenceEmbeddingDimension(); // out_features
 * await dense.save('copy/2_Dense');      // config.json + model.safetensors, in PyTorch's layout
 * ```
 */
export class Dense implements SentenceModule {
  /** The modules.json type sentence-transformers 6.0.1 writes (the 3.x `sentence_transformers.models.Dense` loads too). */
  static readonly typeName = 'sentence_transformers.base.modules.dense.Dense';
  static readonly requiredFiles: readonly RequiredFile[] = [
    { name: 'config.json' },
    { name: 'model.safetensors', alternatives: ['model.safetensors.index.json'] },
  ];
  /** Python's `config_keys`. */
  static readonly configKeys = ['in_features', 'out_features', 'bias', 'activation_function', 'module_input_name', 'module_output_name'] as const;

  readonly typeName = Dense.typeName;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  /** The activation's Python class path. */
  readonly activationName: string;
  private readonly activation: ActivationFn;
  private readonly linear: Linear;
  private readonly weights: WeightMap;

  private constructor(config: DenseConfigJSON, weights: WeightMap, source: string) {
    const r = new ConfigReader(config as unknown as Record<string, unknown>, source);
    this.inFeatures = r.positiveInt('in_features');
    this.outFeatures = r.positiveInt('out_features');
    this.bias = r.bool('bias', true);
    const act = activationFromName(r.string('activation_function', 'torch.nn.modules.activation.Tanh'), `${source}: activation_function`);
    this.activationName = act.name;
    this.activation = act.fn;
    for (const key of ['module_input_name', 'module_output_name']) r.onlySupported(key, r.string(key, SENTENCE_EMBEDDING), [SENTENCE_EMBEDDING]);
    this.weights = weights;
    try {
      this.linear = Linear.load(weights, 'linear', this.inFeatures, this.outFeatures, this.bias);
    } catch (e) {
      weights.dispose(); // a rejected load keeps no tensor (the weight is made before the bias is checked)
      throw e;
    }
  }

  /** Build from a config object and the module's tensors (`linear.weight`, `linear.bias`). */
  static fromConfig(config: DenseConfigJSON, source: TensorSource, where = 'Dense'): Dense {
    return new Dense(config, WeightMap.from(source), where);
  }

  /** Load the module saved in `dir` (`config.json` + weights; a symlink resolving outside the folder is refused). */
  static async load(dir: string, opts: ModuleLoadOptions = {}): Promise<Dense> {
    await checkNoLinksOutside(dir, opts.within);
    const p = await joinPath(dir, 'config.json');
    const cfg = await readJSONFile<DenseConfigJSON>(p);
    const source = await loadCheckpointDir(dir);
    try {
      const dense = Dense.fromConfig(cfg, source, p);
      dense.weights.detachSource(); // its own file (read tensor by tensor) is closed; the weights live in their tensors
      return dense;
    } catch (e) {
      source.close?.();
      throw e;
    }
  }

  /** Python `get_config_dict()`. */
  getConfigDict(): Required<DenseConfigJSON> {
    return {
      in_features: this.inFeatures,
      out_features: this.outFeatures,
      bias: this.bias,
      activation_function: this.activationName,
      module_input_name: SENTENCE_EMBEDDING,
      module_output_name: SENTENCE_EMBEDDING,
    };
  }

  /** Write `config.json` and `model.safetensors` (`linear.weight` [out, in], `linear.bias`, the current values). */
  async save(dir: string): Promise<void> {
    await makeDir(dir);
    await writeJSONFile(await joinPath(dir, 'config.json'), this.getConfigDict());
    await writeFileBytes(await joinPath(dir, 'model.safetensors'), serializeSafetensors(await this.weights.stateDict()));
  }

  forward(features: Features): Features {
    const x = features.sentenceEmbedding;
    if (!x) throw new Error('Dense: features has no sentence_embedding (a Pooling module must come first)');
    if (x.shape[1] !== this.inFeatures) throw new Error(`Dense: expected sentence embeddings of size in_features=${this.inFeatures}, got ${x.shape[1]}`);
    const y = tf.tidy(() => this.activation(this.linear.apply(x)) as tf.Tensor2D);
    return { ...features, sentenceEmbedding: y };
  }

  getSentenceEmbeddingDimension(): number {
    return this.outFeatures;
  }

  /** `linear.weight` and `linear.bias` as live variables. */
  parameters(): NamedParameter[] {
    return this.weights.parameters();
  }

  dispose(): void {
    this.weights.dispose();
  }
}
