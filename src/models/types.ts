/**
 * The contract between the transformer encoders (models/) and everything above them (modules/, api/).
 *
 * A model is built from a parsed `config.json` and a {@link WeightMap}; it holds only tensors (no I/O).
 * All input/output tensors follow Hugging Face's layout: ids and masks are int32 [B, T], hidden states
 * are float32 [B, T, H], attention maps [B, heads, T, T].
 *
 * Ownership: the caller owns every tensor returned by `forward` (dispose them, or run inside `tf.tidy`);
 * the model owns its weights until `dispose()`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NamedParameter } from '../weights/index.js';

/** Inputs of an encoder forward pass; every tensor is int32 [B, T]. */
export interface EncoderInputs {
  /** Token ids [B, T]. */
  inputIds: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding [B, T]. */
  attentionMask: tf.Tensor2D;
  /** Segment ids [B, T]; zeros when absent. Ignored by models without token types (DistilBERT, MPNet). */
  tokenTypeIds?: tf.Tensor2D;
}

/** What to return besides the last hidden state. */
export interface ForwardOptions {
  /** Return the embedding output and every layer's output (`hiddenStates[0]` = embeddings, `[i]` = layer i). */
  outputHiddenStates?: boolean;
  /** Return every layer's attention probabilities [B, heads, T, T]. */
  outputAttentions?: boolean;
  /**
   * Names of intermediate outputs to return: paths in the model's module tree, which equal the checkpoint's weight
   * prefixes (without the `bert.`-style base prefix); each is the output of that module. An unknown name is an
   * error listing the valid ones ({@link EncoderModel.tapNames}, the tree walked). For layer i:
   * - every encoder-style model: `embeddings` [B, T, H];
   * - BERT, RoBERTa / XLM-R: `encoder.layer.i` (the layer's output), `.attention` (= `.attention.output`, after its
   *   LayerNorm), `.attention.self` (the context before the output dense), `.intermediate` [B, T, I] (after the
   *   activation), `.output`;
   * - MPNet: `encoder.layer.i`, `.attention` (after its LayerNorm), `.attention.attn` (after `o`), `.intermediate`,
   *   `.output`;
   * - DistilBERT: `transformer.layer.i`, `.attention` (after `out_lin`), `.sa_layer_norm`, `.ffn` (after `lin2`),
   *   `.output_layer_norm`;
   * - Gemma 3: `embed_tokens` (scaled), `layers.i`, `.input_layernorm`, `.self_attn` (after `o_proj`),
   *   `.post_attention_layernorm`, `.pre_feedforward_layernorm`, `.mlp`, `.post_feedforward_layernorm`, `norm`;
   * - Qwen3: `embed_tokens`, `layers.i` (the layer's output), `.input_layernorm`, `.self_attn` (after `o_proj`),
   *   `.self_attn.q_norm` / `.k_norm` [B, T, heads, head_dim], `.post_attention_layernorm`, `.mlp`; `norm`;
   * - ModernBERT: `layers.i` (the layer's output, before `final_norm`), `.attn_norm` (layer 0: the Identity),
   *   `.attn` (after `Wo`), `.attn.Wqkv` [B, T, 3H], `.mlp_norm`, `.mlp` (after `Wo`), and `final_norm`.
   */
  taps?: string[];
}

/** Result of a forward pass; the caller owns every tensor in it. */
export interface EncoderOutput {
  /** Output of the last layer [B, T, H] (padded positions included, as HF computes them). */
  lastHiddenState: tf.Tensor3D;
  /**
   * With `outputHiddenStates`: numLayers + 1 tensors [B, T, H]. Qwen3 and ModernBERT follow transformers 5: the last
   * entry is the final norm's output (= lastHiddenState) instead of the last layer's raw output.
   */
  hiddenStates?: tf.Tensor3D[];
  /** With `outputAttentions`: numLayers tensors [B, heads, T, T]. */
  attentions?: tf.Tensor4D[];
  /** With `taps`: the requested intermediates by name. */
  intermediates?: Record<string, tf.Tensor>;
}

/**
 * An encoder's shape under transformers' standard attribute names, whatever its config.json calls them
 * (transformers' `attribute_map`: DistilBERT's `dim` is `hidden_size`, `n_layers` is `num_hidden_layers`, ...).
 * This is what the shared encoder code reads.
 */
export interface EncoderShape {
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  /** The feed-forward width. */
  readonly intermediate_size: number;
  /** Rows of the position table (the usable length can be shorter: see {@link EncoderModel.maxPositionEmbeddings}). */
  readonly max_position_embeddings: number;
  /** Default "gelu" (exact erf). */
  readonly hidden_act: string;
  /** Default 2; 0 for models without token types (DistilBERT, MPNet). */
  readonly type_vocab_size: number;
  /** Default 1e-12. */
  readonly layer_norm_eps: number;
  /** Default 0 (BERT, DistilBERT) or 1 (RoBERTa, XLM-R, MPNet). */
  readonly pad_token_id: number;
}

/** The fields every architecture's config exposes in normalized form (from its own config.json keys). */
export interface BaseConfig {
  /** config.json `model_type`, e.g. `bert`, `roberta`, `xlm-roberta`, `distilbert`, `mpnet`. */
  readonly model_type: string;
  /** The raw config.json object, for keys a caller needs beyond the typed ones (id2label, ...). */
  readonly raw: Readonly<Record<string, unknown>>;
  /** The shape under the standard names (the architecture's own keys mapped as transformers' `attribute_map` does). */
  readonly shape: EncoderShape;
}

/** Keys read and keys left over when a model was built from a checkpoint. */
export interface LoadReport {
  /** Checkpoint keys no module read (e.g. `pooler.*` for a bare encoder); informational. */
  unused: string[];
  /** Keys the model needed but did not find; always empty for a built model (missing keys throw). */
  missing: string[];
}

/** A transformer encoder (BERT, RoBERTa/XLM-R, DistilBERT, MPNet). */
export interface EncoderModel {
  /** The typed, validated config. */
  readonly config: BaseConfig;
  /** config.json `model_type`. */
  readonly modelType: string;
  /** Hidden size H of the outputs. */
  readonly hiddenSize: number;
  /** Number of transformer layers. */
  readonly numLayers: number;
  /** Number of attention heads. */
  readonly numHeads: number;
  /** Largest usable sequence length (for RoBERTa-style positions: `max_position_embeddings - padding_idx - 1`). */
  readonly maxPositionEmbeddings: number;
  /** The pad token id from config.json (`pad_token_id`). */
  readonly padTokenId: number;
  /** Whether the model reads `tokenTypeIds` (BERT, RoBERTa: true; DistilBERT, MPNet: false). */
  readonly usesTokenTypes: boolean;
  /** What loading read and left over. */
  readonly loadReport: LoadReport;
  /** Every valid tap name for {@link ForwardOptions.taps}: the module tree's paths, each module before its children. */
  tapNames(): string[];
  /** Run the encoder. Synchronous; the caller owns the returned tensors. */
  forward(inputs: EncoderInputs, opts?: ForwardOptions): EncoderOutput;
  /** Free the model's weights. */
  dispose(): void;
}

/** A sequence-classification model (cross-encoders): encoder + head, logits [B, numLabels]. */
export interface SequenceClassificationModel {
  readonly config: BaseConfig;
  readonly modelType: string;
  readonly numLabels: number;
  /** `id2label` from config.json, as an array indexed by label id. */
  readonly labels: string[];
  readonly encoder: EncoderModel;
  readonly loadReport: LoadReport;
  /** Logits [B, numLabels] (no activation). The caller owns the tensor. */
  forward(inputs: EncoderInputs): tf.Tensor2D;
  /** The trainable parameters (live variables, checkpoint names), for the trainers. */
  parameters?(): NamedParameter[];
  /** Frees the model's weights (tfjs memory). */
  dispose(): void;
}
