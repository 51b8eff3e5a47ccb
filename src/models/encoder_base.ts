/**
 * What every encoder shares: the sizes (read from the config's {@link EncoderShape}), the embedding block and the
 * layer list under their checkpoint names, input validation, the `tf.tidy` around the forward pass, the plain loop
 * over layers collecting hidden states / attention maps, inspection taps (the module tree's paths), load reports
 * and disposal. Architectures supply an {@link EncoderSpec} (their layer, prefixes, positions) and the attention bias.
 */
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync } from '../backends/read.js';
import type { AttentionMask } from '../layers/attention_mask.js';
import { Embeddings } from '../layers/embeddings.js';
import { Module } from '../layers/module.js';
import { absolutePositionIds, positionIdsFromInputIds } from '../layers/position_ids.js';
import { TapRecorder } from '../layers/taps.js';
import type { WeightMap } from '../weights/index.js';
import type { BaseConfig, EncoderInputs, EncoderModel, EncoderOutput, EncoderShape, ForwardOptions, LoadReport } from './types.js';

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

/** Validated inputs: token types filled in. */
export interface ResolvedInputs {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds: tf.Tensor2D;
}

/** Find the base-model prefix: '' when `probe` is at the root, else the first of `prefixes` holding it. */
export function basePrefix(root: WeightMap, probe: string, prefixes: readonly string[], what: string): string {
  if (root.has(probe)) return '';
  for (const p of prefixes) if (root.has(`${p}.${probe}`)) return p;
  throw new Error(`cannot find tensor ${probe} (nor ${prefixes.map((p) => `${p}.${probe}`).join(', ')}) in ${root.source.source}: not a ${what} checkpoint?`);
}

/**
 * The root module of an encoder (its children: `embeddings`, then `encoder` / `transformer` holding `layer.i`).
 * Its `wm` is the view under the base-model prefix (`bert.`, `roberta.`, ... or the root). Build models with
 * `createModel`, which also frees the weights when loading fails.
 */
export abstract class EncoderBase<C extends BaseConfig> extends Module implements EncoderModel {
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  /** Longest usable sequence: the position table's rows, less `paddingIdx + 1` for positions counted from it. */
  readonly maxPositionEmbeddings: number;
  readonly padTokenId: number;
  readonly usesTokenTypes: boolean;
  /** Vocabulary size (input ids must be below it). */
  readonly vocabSize: number;
  /** Number of token types (token type ids must be below it); 0 when unused. */
  readonly typeVocabSize: number;
  /** `embeddings`: word (+ token type) + position, LayerNorm. */
  readonly embeddings: Embeddings;
  /** The module holding the layer list (`encoder`, DistilBERT's `transformer`). */
  readonly encoder: Module;
  protected readonly layers: EncoderLayer[];
  private readonly paddingIdx?: number;

  private report?: LoadReport;

  protected constructor(
    readonly config: C,
    /** The checkpoint's root map (owns every tensor; disposed with the model). */
    protected readonly root: WeightMap,
    spec: EncoderSpec<C>,
  ) {
    super(root.pp(basePrefix(root, 'embeddings.word_embeddings.weight', spec.prefixes, config.model_type)));
    const s: EncoderShape = config.shape;
    this.hiddenSize = s.hidden_size;
    this.numLayers = s.num_hidden_layers;
    this.numHeads = s.num_attention_heads;
    this.paddingIdx = spec.paddingIdx;
    this.maxPositionEmbeddings = s.max_position_embeddings - (spec.paddingIdx === undefined ? 0 : spec.paddingIdx + 1);
    this.padTokenId = s.pad_token_id;
    this.usesTokenTypes = s.type_vocab_size > 0;
    this.vocabSize = s.vocab_size;
    this.typeVocabSize = s.type_vocab_size;
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

  /** The view under the base-model prefix (`bert.` etc.), for heads that read more of it (BERT's pooler). */
  get baseWeights(): WeightMap {
    return this.wm;
  }

  get modelType(): string {
    return this.config.model_type;
  }

  /** Unused checkpoint keys at the time of the first call (after construction). Missing keys throw while loading. */
  get loadReport(): LoadReport {
    this.report ??= { unused: this.root.unusedKeys(), missing: [] };
    return this.report;
  }

  /** Take the report now (the factory does, after construction and before a head reads more keys). */
  sealReport(): void {
    this.report = { unused: this.root.unusedKeys(), missing: [] };
  }

  /** Position ids int32 [1, T] (`arange(T)`) or [B, T] (counted from `paddingIdx`). */
  protected positionIds(inputIds: tf.Tensor2D): tf.Tensor2D {
    if (this.paddingIdx === undefined) return absolutePositionIds(inputIds.shape[1]); // [1, T]
    return positionIdsFromInputIds(inputIds, this.paddingIdx); // [B, T]
  }

  /** Embedding output [B, T, H]: (word + token type) + position, LayerNorm. */
  protected embed(inputs: ResolvedInputs): tf.Tensor3D {
    return this.embeddings.apply(inputs.inputIds, this.positionIds(inputs.inputIds), inputs.tokenTypeIds);
  }

  /** The attention mask (and bias) of this batch; runs inside a tidy: tensors it returns are kept. */
  protected abstract attentionContext(inputs: ResolvedInputs): AttentionContext;

  forward(inputs: EncoderInputs, opts: ForwardOptions = {}): EncoderOutput {
    this.validate(inputs);
    const taps = new TapRecorder(opts.taps, () => this.tapNames());
    const kept: tf.Tensor[] = []; // everything handed to the caller, freed here on error
    const keep = <T extends tf.Tensor>(t: T): T => (kept.push(t), t);
    try {
      // Each stage runs in its own tidy so that a layer's temporaries ([B, heads, T, T] scores) are freed before
      // the next layer runs; only what the caller asked for survives.
      const zeros = inputs.tokenTypeIds ? undefined : tf.zerosLike(inputs.inputIds);
      const resolved: ResolvedInputs = {
        inputIds: inputs.inputIds,
        attentionMask: inputs.attentionMask,
        tokenTypeIds: inputs.tokenTypeIds ?? (zeros as tf.Tensor2D),
      };
      const x0 = keep(
        tf.tidy(() => {
          const e = this.embed(resolved); // [B, T, H]
          taps.put('embeddings', e);
          return e;
        }),
      );
      let attn: AttentionContext | undefined;
      tf.tidy(() => {
        attn = this.attentionContext(resolved);
        return attn.positionBias ? [attn.positionBias] : [];
      });
      const ctx: Omit<LayerContext, 'taps'> = { ...attn!, needProbs: !!opts.outputAttentions };
      const internal = [...(zeros ? [zeros] : []), ...(ctx.positionBias ? [ctx.positionBias] : [])];
      try {
        let x = x0;
        const hiddenStates = opts.outputHiddenStates ? [x] : undefined;
        const attentions = opts.outputAttentions ? ([] as tf.Tensor4D[]) : undefined;
        for (let i = 0; i < this.layers.length; i++) {
          const layer = this.layers[i];
          const prefix = layer.path;
          const prev = x;
          const r = tf.tidy(() => {
            const { output, probs } = layer.apply(prev, { ...ctx, taps });
            if (attentions && !probs) throw new Error(`${prefix}: the layer returned no attention probabilities`);
            return attentions ? [output, probs as tf.Tensor4D] : [output];
          });
          x = keep(r[0] as tf.Tensor3D);
          taps.put(prefix, x);
          if (attentions) attentions.push(keep(r[1] as tf.Tensor4D));
          if (hiddenStates) hiddenStates.push(x);
          else prev.dispose(); // not an output: free it now
        }
        const out: EncoderOutput = { lastHiddenState: x };
        if (hiddenStates) out.hiddenStates = hiddenStates;
        if (attentions) out.attentions = attentions;
        if (taps.active) out.intermediates = taps.recorded;
        return out;
      } finally {
        tf.dispose(internal);
        ctx.mask.dispose();
      }
    } catch (e) {
      tf.dispose(kept);
      taps.dispose();
      throw e;
    }
  }

  /** Shapes, dtypes, sequence length and id ranges (one small read-back per call). */
  protected validate(inputs: EncoderInputs): void {
    const { inputIds, attentionMask, tokenTypeIds } = inputs;
    const check = (t: tf.Tensor | undefined, name: string) => {
      if (!(t instanceof tf.Tensor)) throw new Error(`${name} must be a tf.Tensor, got ${String(t)}`);
      if (t.rank !== 2) throw new Error(`${name} must be 2-D [batch, seq], got shape [${t.shape.join(', ')}]`);
      if (t.dtype !== 'int32') throw new Error(`${name} must be int32, got ${t.dtype}`);
      if (t.shape[0] !== inputIds.shape[0] || t.shape[1] !== inputIds.shape[1]) {
        throw new Error(`${name} shape [${t.shape.join(', ')}] differs from inputIds shape [${inputIds.shape.join(', ')}]`);
      }
    };
    check(inputIds, 'inputIds');
    check(attentionMask, 'attentionMask');
    if (tokenTypeIds !== undefined) check(tokenTypeIds, 'tokenTypeIds');
    const [b, t] = inputIds.shape;
    if (b === 0 || t === 0) throw new Error(`inputIds must be non-empty, got shape [${b}, ${t}]`);
    if (t > this.maxPositionEmbeddings) {
      throw new Error(`sequence length ${t} exceeds the model's maximum of ${this.maxPositionEmbeddings} positions (max_position_embeddings)`);
    }
    const useTypes = this.usesTokenTypes && tokenTypeIds !== undefined;
    // The id range check needs a synchronous readback. Where that is a GPU round trip (webgpu, webgl), the
    // check is left to the callers that build ids on the CPU (the tokenizer only emits ids from its vocab).
    if (!canReadSync()) return;
    const r = tf.tidy(() => {
      const parts = [tf.min(inputIds), tf.max(inputIds)];
      if (useTypes) parts.push(tf.min(tokenTypeIds), tf.max(tokenTypeIds));
      return tf.stack(parts);
    });
    const v = r.dataSync();
    r.dispose();
    if (v[0] < 0 || v[1] >= this.vocabSize) {
      throw new Error(`inputIds must lie in [0, ${this.vocabSize}) (vocab_size), got values in [${v[0]}, ${v[1]}]`);
    }
    if (useTypes && (v[2] < 0 || v[3] >= this.typeVocabSize)) {
      throw new Error(`tokenTypeIds must lie in [0, ${this.typeVocabSize}) (type_vocab_size), got values in [${v[2]}, ${v[3]}]`);
    }
  }

  dispose(): void {
    this.root.dispose();
  }
}
