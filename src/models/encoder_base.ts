/**
 * What the BERT-family encoders share on top of {@link ModelBase} (sizes, reports, validation, the layer loop, taps):
 * the embedding block (word + token type + position, LayerNorm) and the layer list under their checkpoint names
 * (`<encoder>.layer.i`), token type ids, positions. Architectures supply an {@link EncoderSpec} (their layer,
 * prefixes, positions) and the attention bias.
 */
import { configError } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import type { AttentionMask } from '../layers/attention_mask.js';
import { Embeddings } from '../layers/embeddings.js';
import { Module } from '../layers/module.js';
import { absolutePositionIds, positionIdsFromInputIds } from '../layers/position_ids.js';
import type { TapRecorder } from '../layers/taps.js';
import type { WeightMap } from '../weights/index.js';
import { basePrefix, ModelBase, type ForwardContext } from './model_base.js';
import type { BaseConfig, EncoderInputs, EncoderShape } from './types.js';

/** What an architecture's attention needs for one batch: built once per forward, shared by every layer. */
export interface AttentionContext {
  /** The padding mask, in the form each attention path asks for (built lazily, once). */
  mask: AttentionMask;
  /** MPNet's relative position bias [1, heads, T, T], added to the scaled scores before the mask. */
  positionBias?: tf.Tensor4D;
}

/** What a layer receives besides its input. */
export interface LayerContext extends AttentionContext {
  /** Whether layers must return their attention probabilities. */
  needProbs: boolean;
  taps: TapRecorder;
}

/** One transformer layer, a module at `<encoder>.layer.i` (its path names its tap). */
export interface EncoderLayer extends Module {
  apply(x: tf.Tensor3D, ctx: LayerContext): { output: tf.Tensor3D; probs?: tf.Tensor4D };
}

/** What an architecture tells {@link EncoderBase} besides its config. */
export interface EncoderSpec<C extends BaseConfig> {
  /** Base-model prefixes accepted besides the root (`bert`, `roberta`, ...). */
  prefixes: readonly string[];
  /** The module holding the layer list: `encoder` (layers at `encoder.layer.i`) or DistilBERT's `transformer`. */
  encoder: string;
  /** Build layer i from its weights (`<encoder>.layer.i`). */
  layer: (wm: WeightMap, config: C) => EncoderLayer;
  /**
   * Positions counted from this padding index over the non-pad tokens (RoBERTa, MPNet; HF
   * `create_position_ids_from_input_ids`), so `max_position_embeddings - paddingIdx - 1` tokens fit.
   * Absent: `arange(T)`.
   */
  paddingIdx?: number;
}

/** What the attention context reads of the inputs. */
export type ResolvedInputs = Pick<EncoderInputs, 'inputIds' | 'attentionMask'>;

/**
 * The root module of an encoder (its children: `embeddings`, then `encoder` / `transformer` holding `layer.i`).
 * Its `wm` is the view under the base-model prefix (`bert.`, `roberta.`, ... or the root). Build models with
 * `createModel`, which also frees the weights when loading fails.
 */
export abstract class EncoderBase<C extends BaseConfig> extends ModelBase<C, LayerContext> {
  /** `embeddings`: word (+ token type) + position, LayerNorm. */
  readonly embeddings: Embeddings;
  /** The module holding the layer list (`encoder`, DistilBERT's `transformer`). */
  readonly encoder: Module;
  protected readonly layers: EncoderLayer[];
  private readonly paddingIdx?: number;

  protected constructor(config: C, root: WeightMap, spec: EncoderSpec<C>) {
    const s: EncoderShape = config.shape;
    // Longest usable sequence: the position table's rows, less `paddingIdx + 1` for positions counted from it.
    const maxPositions = s.max_position_embeddings - (spec.paddingIdx === undefined ? 0 : spec.paddingIdx + 1);
    if (maxPositions < 1) {
      throw configError(
        `${config.model_type} config: max_position_embeddings (${s.max_position_embeddings}) leaves no position once positions count from the padding index ${spec.paddingIdx} (pad_token_id)`,
        'pad_token_id',
      );
    }
    super(config, root, basePrefix(root, 'embeddings.word_embeddings.weight', spec.prefixes, config.model_type), maxPositions);
    this.paddingIdx = spec.paddingIdx;
    this.embeddings = this.leaf(
      'embeddings',
      (wm, name) =>
        new Embeddings(wm.pp(name), {
          vocabSize: s.vocab_size,
          hiddenSize: s.hidden_size,
          maxPositions: s.max_position_embeddings,
          typeVocabSize: s.type_vocab_size,
          layerNormEps: s.layer_norm_eps,
        }),
      true,
    );
    this.encoder = this.module(spec.encoder, (wm) => new Module(wm), false);
    const list = this.encoder.module('layer', (wm) => new Module(wm), false);
    this.layers = Array.from({ length: s.num_hidden_layers }, (_, i) => list.module(i, (wm) => spec.layer(wm, config)));
  }

  protected get stack(): readonly EncoderLayer[] {
    return this.layers;
  }

  /** Position ids int32 [1, T] (`arange(T)`) or [B, T] (counted from `paddingIdx`). */
  protected positionIds(inputIds: tf.Tensor2D): tf.Tensor2D {
    if (this.paddingIdx === undefined) return absolutePositionIds(inputIds.shape[1]); // [1, T]
    return positionIdsFromInputIds(inputIds, this.paddingIdx); // [B, T]
  }

  /** Embedding output [B, T, H]: (word + token type) + position, LayerNorm (tap `embeddings`). */
  protected embed(inputs: EncoderInputs, taps: TapRecorder): tf.Tensor3D {
    const ids = inputs.inputIds;
    const e = this.embeddings.apply(ids, this.positionIds(ids), inputs.tokenTypeIds ?? (tf.zerosLike(ids) as tf.Tensor2D)); // [B, T, H]
    taps.put('embeddings', e);
    return e;
  }

  /** The attention mask (and bias) of this batch; runs inside a tidy: tensors it returns are kept. */
  protected abstract attentionContext(inputs: ResolvedInputs): AttentionContext;

  protected forwardContext(inputs: EncoderInputs): ForwardContext<LayerContext> {
    const ctx = this.attentionContext(inputs);
    return { ctx, tensors: ctx.positionBias ? [ctx.positionBias] : [] };
  }

  protected override extraInputs(inputs: EncoderInputs): [tf.Tensor | undefined, string][] {
    return inputs.tokenTypeIds !== undefined ? [[inputs.tokenTypeIds, 'tokenTypeIds']] : [];
  }

  protected override extraRanges(inputs: EncoderInputs): { ids: tf.Tensor; name: string; size: number; key: string }[] {
    const { tokenTypeIds } = inputs;
    return this.usesTokenTypes && tokenTypeIds !== undefined ? [{ ids: tokenTypeIds, name: 'tokenTypeIds', size: this.typeVocabSize, key: 'type_vocab_size' }] : [];
  }
}
