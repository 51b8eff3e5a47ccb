/**
 * What every encoder shares: input validation, the `tf.tidy` around the forward pass, the plain loop over
 * layers collecting hidden states / attention maps, inspection taps, load reports and disposal.
 * Architectures supply the embeddings, the layers and the attention bias.
 */
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync } from '../backends/read.js';
import type { AttentionMask } from '../layers/attention_mask.js';
import { TapRecorder } from '../layers/taps.js';
import type { WeightMap } from '../weights/index.js';
import type { BaseConfig, EncoderInputs, EncoderModel, EncoderOutput, ForwardOptions, LoadReport } from './types.js';

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

/** One transformer layer; `prefix` is its module path (e.g. `encoder.layer.3`) for taps. */
export interface EncoderLayer {
  apply(x: tf.Tensor3D, ctx: LayerContext, prefix: string): { output: tf.Tensor3D; probs?: tf.Tensor4D };
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

export abstract class EncoderBase<C extends BaseConfig> implements EncoderModel {
  abstract readonly hiddenSize: number;
  abstract readonly numLayers: number;
  abstract readonly numHeads: number;
  abstract readonly maxPositionEmbeddings: number;
  abstract readonly padTokenId: number;
  abstract readonly usesTokenTypes: boolean;
  /** Vocabulary size (input ids must be below it). */
  abstract readonly vocabSize: number;
  /** Number of token types (token type ids must be below it); 0 when unused. */
  abstract readonly typeVocabSize: number;
  /** Module path of the layer list, e.g. `encoder.layer`. */
  protected abstract readonly layerPath: string;
  /** Tap names inside each layer, relative to it (e.g. `attention.self`). */
  protected abstract readonly layerTaps: readonly string[];
  protected abstract readonly layers: EncoderLayer[];

  private report?: LoadReport;

  protected constructor(
    readonly config: C,
    /** The checkpoint's root map (owns every tensor; disposed with the model). */
    protected readonly root: WeightMap,
    /** The view under the base-model prefix (`bert.`, `roberta.`, ... or the root). */
    protected readonly wm: WeightMap,
  ) {}

  get modelType(): string {
    return this.config.model_type;
  }

  /** Unused checkpoint keys at the time of the first call (after construction). Missing keys throw while loading. */
  get loadReport(): LoadReport {
    this.report ??= { unused: this.root.unusedKeys(), missing: [] };
    return this.report;
  }

  /** Take the report now (call at the end of the subclass constructor, before heads read more keys). */
  protected sealReport(): void {
    this.report = { unused: this.root.unusedKeys(), missing: [] };
  }

  tapNames(): string[] {
    const names = ['embeddings'];
    for (let i = 0; i < this.numLayers; i++) {
      names.push(`${this.layerPath}.${i}`, ...this.layerTaps.map((t) => `${this.layerPath}.${i}.${t}`));
    }
    return names;
  }

  /** Embedding output [B, T, H]. */
  protected abstract embed(inputs: ResolvedInputs): tf.Tensor3D;

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
          const prefix = `${this.layerPath}.${i}`;
          const layer = this.layers[i];
          const prev = x;
          const r = tf.tidy(() => {
            const { output, probs } = layer.apply(prev, { ...ctx, taps }, prefix);
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
