/**
 * `*ForMaskedLM`: an encoder plus BERT's masked-language-model head, token logits [B, T, vocab_size], as
 * transformers computes them at inference. SPLADE sparse encoders read these logits (SpladePooling).
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/modeling_bert.py
 * (`BertPredictionHeadTransform`, `BertLMPredictionHead`, `BertOnlyMLMHead`, `BertForMaskedLM`)
 *
 * Checkpoint names: `cls.predictions.transform.dense`, `cls.predictions.transform.LayerNorm`, `cls.predictions.bias`;
 * the decoder `cls.predictions.decoder.weight` is tied to `embeddings.word_embeddings.weight` (`tie_word_embeddings`,
 * default true) and then not stored: the word embeddings are read instead.
 */
import { configError, previewValue } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../kernels/ops.js';
import { getActivation, type Activation } from '../layers/activations.js';
import { Module } from '../layers/module.js';
import type { LinearParams, WeightMap } from '../weights/index.js';
import type { BaseConfig, EncoderInputs, EncoderModel, EncoderOutput, ForwardOptions, LoadReport } from './types.js';

/** Where an architecture's MLM head lives: its prefix at the checkpoint root. */
export interface MaskedLMHeadSpec {
  /** `cls.predictions` (BERT). */
  prefix: string;
}

/** `BertForMaskedLM`'s `cls.predictions`. */
export const BERT_MLM_HEAD: MaskedLMHeadSpec = { prefix: 'cls.predictions' };

/** `BertPredictionHeadTransform` (`transform`): `dense` [H -> H], `hidden_act`, `LayerNorm`. */
class PredictionHeadTransform extends Module {
  readonly dense;
  readonly act: Activation;
  readonly LayerNorm;

  constructor(wm: WeightMap, hidden: number, hiddenAct: string, eps: number) {
    super(wm);
    this.dense = this.linear('dense', hidden, hidden);
    this.act = getActivation(hiddenAct);
    this.LayerNorm = this.layerNorm('LayerNorm', hidden, eps);
  }

  /** x [B, T, H] -> [B, T, H]. */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    return this.LayerNorm.apply(this.act(this.dense.apply(x)) as tf.Tensor3D);
  }
}

/**
 * `BertLMPredictionHead` (`cls.predictions`): `transform`, then the decoder `x @ E^T + bias` with E [V, H] the
 * decoder weight (tied: the word embeddings) and `bias` [V].
 */
export class MaskedLMHead extends Module {
  readonly transform: PredictionHeadTransform;
  /** The decoder as a dense layer: weight [H, V] (E transposed once by the weight map), bias [V]. */
  readonly decoder: LinearParams;
  readonly vocabSize: number;
  /** The head's module path (`cls.predictions`): its taps are named under it. */
  readonly prefix: string;

  /** `root`: the checkpoint's root map; `base`: the view under the encoder's base prefix (`bert.`). */
  constructor(spec: MaskedLMHeadSpec, root: WeightMap, base: WeightMap, config: BaseConfig) {
    const wm = root.pp(spec.prefix);
    super(wm);
    this.prefix = spec.prefix;
    const s = config.shape;
    this.vocabSize = s.vocab_size;
    this.transform = this.module('transform', (w) => new PredictionHeadTransform(w, s.hidden_size, s.hidden_act, s.layer_norm_eps));
    const tied = config.raw.tie_word_embeddings ?? true;
    if (typeof tied !== 'boolean') throw configError(`${config.model_type} config: tie_word_embeddings must be a boolean, got ${previewValue(tied)}`);
    const stored = wm.has('decoder.weight');
    if (!tied && !stored) throw configError(`${config.model_type} config: tie_word_embeddings is false but ${wm.key('decoder.weight')} is missing`);
    // tied: the word embeddings E [V, H] read as an nn.Linear(H, V) weight (a stored copy is the same tensor)
    if (tied && stored) wm.get('decoder.weight', [s.vocab_size, s.hidden_size]);
    const w = tied ? base.linear('embeddings.word_embeddings', s.hidden_size, s.vocab_size, false) : wm.linear('decoder', s.hidden_size, s.vocab_size, false);
    // `cls.predictions.bias`; checkpoints may also store it as `decoder.bias` (tied to it in transformers)
    const biasName = wm.has('bias') || !wm.has('decoder.bias') ? 'bias' : 'decoder.bias';
    if (biasName === 'bias' && wm.has('decoder.bias')) wm.get('decoder.bias', [s.vocab_size]);
    this.decoder = { weight: w.weight, bias: wm.get<tf.Rank.R1>(biasName, [s.vocab_size]) };
  }

  /** `cls.predictions.transform(hidden)`: [B, T, H] -> [B, T, H]. */
  applyTransform(hidden: tf.Tensor3D): tf.Tensor3D {
    return this.transform.apply(hidden);
  }

  /** Logits from the transform output: [B, T, H] -> [B, T, V]. */
  decode(transformed: tf.Tensor3D): tf.Tensor3D {
    return dense(transformed, this.decoder.weight, this.decoder.bias);
  }

  /** The last hidden state [B, T, H] -> logits [B, T, V]. */
  apply(hidden: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => this.decode(this.applyTransform(hidden)));
  }
}

/** A masked-LM forward pass: the encoder's outputs plus the logits (and the transform output when asked). */
export interface MaskedLMOutput extends EncoderOutput {
  /** Token logits [B, T, V]. */
  logits: tf.Tensor3D;
  /** With `outputTransform`: `cls.predictions.transform`'s output [B, T, H]. */
  transformOutput?: tf.Tensor3D;
}

/** An encoder with its masked-LM head (`BertForMaskedLM`). Owns the encoder (and so the weights). */
export class MaskedLM {
  readonly loadReport: LoadReport;

  constructor(
    readonly encoder: EncoderModel,
    readonly head: MaskedLMHead,
    root: WeightMap,
  ) {
    this.loadReport = { unused: root.unusedKeys(), missing: [] };
  }

  get config(): BaseConfig {
    return this.encoder.config;
  }

  get modelType(): string {
    return this.encoder.modelType;
  }

  /** vocab_size V: the width of the logits. */
  get vocabSize(): number {
    return this.head.vocabSize;
  }

  /**
   * Every valid tap name: the encoder's, then the head's under HF module names (`cls.predictions.transform.dense`,
   * before the activation; `cls.predictions.transform`, after its LayerNorm; `cls.predictions.decoder`, the logits).
   */
  tapNames(): string[] {
    return [...this.encoder.tapNames(), ...this.headTapNames()];
  }

  private headTapNames(): string[] {
    const p = this.head.prefix;
    return [`${p}.transform.dense`, `${p}.transform`, `${p}.decoder`];
  }

  /**
   * Logits [B, T, V] (and whatever `opts` asks of the encoder; `taps` may also name the head's modules, see
   * {@link tapNames}); the caller owns every tensor returned.
   */
  forward(inputs: EncoderInputs, opts: ForwardOptions & { outputTransform?: boolean } = {}): MaskedLMOutput {
    const headNames = this.headTapNames();
    const headTaps = (opts.taps ?? []).filter((t) => headNames.includes(t));
    const encoderTaps = (opts.taps ?? []).filter((t) => !headNames.includes(t));
    const out = this.encoder.forward(inputs, { ...opts, taps: encoderTaps.length ? encoderTaps : undefined });
    try {
      const r = tf.tidy(() => {
        const h = out.lastHiddenState; // [B, T, H]
        const t = this.head.applyTransform(h); // [B, T, H]
        const l = this.head.decode(t); // [B, T, V]
        const taps: Record<string, tf.Tensor> = {};
        if (headTaps.includes(headNames[0])) taps[headNames[0]] = this.head.transform.dense.apply(h);
        if (headTaps.includes(headNames[1])) taps[headNames[1]] = opts.outputTransform ? tf.clone(t) : t;
        if (headTaps.includes(headNames[2])) taps[headNames[2]] = tf.clone(l);
        return { l, ...(opts.outputTransform ? { t } : {}), ...taps } as Record<string, tf.Tensor>;
      });
      const { l, t, ...taps } = r;
      const res: MaskedLMOutput = { ...out, logits: l as tf.Tensor3D };
      if (t) res.transformOutput = t as tf.Tensor3D;
      if (headTaps.length) res.intermediates = { ...(out.intermediates ?? {}), ...taps };
      return res;
    } catch (e) {
      tf.dispose([out.lastHiddenState, ...(out.hiddenStates ?? []), ...(out.attentions ?? []), ...Object.values(out.intermediates ?? {})]);
      throw e;
    }
  }

  /** Free the encoder's and the head's weights. */
  dispose(): void {
    this.encoder.dispose();
  }
}
