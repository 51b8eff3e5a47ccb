/**
 * What every text model shares, whatever its blocks: the sizes (read from the config's {@link EncoderShape}), load
 * reports, input validation, the forward pass (one `tf.tidy` per stage, the loop over layers collecting hidden
 * states / attention maps, inspection taps, keep-on-success / dispose-on-error) and disposal. An architecture
 * supplies how to embed, the per-forward context its layers share (mask, rotary tables, position bias), the layer
 * list and an optional final norm. BERT-family specifics live in {@link EncoderBase}.
 */
import { configError } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync } from '../backends/read.js';
import type { AttentionMask } from '../layers/attention_mask.js';
import { Module } from '../layers/module.js';
import { TapRecorder } from '../layers/taps.js';
import type { WeightMap } from '../weights/index.js';
import type { BaseConfig, EncoderInputs, EncoderModel, EncoderOutput, EncoderShape, ForwardOptions, LoadReport } from './types.js';

/** What a layer receives besides its input, whatever the architecture adds (rotary tables, position bias). */
export interface ModelLayerContext {
  /** The padding mask, in the form each attention path asks for (built lazily, once). */
  mask: AttentionMask;
  /** Whether layers must return their attention probabilities. */
  needProbs: boolean;
  taps: TapRecorder;
}

/** One layer of the stack: a module whose path names its tap. */
export interface ModelLayer<X extends ModelLayerContext> extends Module {
  apply(x: tf.Tensor3D, ctx: X): { output: tf.Tensor3D; probs?: tf.Tensor4D };
}

/** The per-forward context (without `needProbs` / `taps`) and the tensors in it to free after the forward. */
export interface ForwardContext<X extends ModelLayerContext> {
  ctx: Omit<X, 'needProbs' | 'taps'>;
  tensors: tf.Tensor[];
}

/**
 * Rows (sequences x tokens) that an int8 (`dtype: 'q8'`) model's forward runs at once, when only the last hidden
 * state is asked for: a larger batch runs in groups of whole sequences (the same numbers: a sequence's computation,
 * per-row activation quantization included, does not depend on the other sequences of its batch), so that the
 * activations, and with them the wasm heap, which never shrinks, stay those of about this many rows. Sentences at
 * batch 32 (~1,600 rows) run whole; 256-token passages at batch 32 (8,192 rows) in 4 groups (docs/q8.md, "Memory").
 */
const Q8_FORWARD_ROWS = 2048;

/** Find the base-model prefix: '' when `probe` is at the root, else the first of `prefixes` holding it. */
export function basePrefix(root: WeightMap, probe: string, prefixes: readonly string[], what: string): string {
  if (root.has(probe)) return '';
  for (const p of prefixes) if (root.has(`${p}.${probe}`)) return p;
  throw configError(`cannot find tensor ${probe} (nor ${prefixes.map((p) => `${p}.${probe}`).join(', ')}) in ${root.source.source}: not a ${what} checkpoint?`);
}

/**
 * The root module of a text model. Its `wm` is the view under the base-model prefix. Build models with
 * `createModel`, which also frees the weights when loading fails.
 */
export abstract class ModelBase<C extends BaseConfig & { shape: EncoderShape }, X extends ModelLayerContext> extends Module implements EncoderModel {
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  /** Longest usable sequence. */
  readonly maxPositionEmbeddings: number;
  readonly padTokenId: number;
  readonly usesTokenTypes: boolean;
  /** Vocabulary size (input ids must be below it). */
  readonly vocabSize: number;
  /** Number of token types (token type ids must be below it); 0 when unused. */
  readonly typeVocabSize: number;
  /** The layers, in order (`<encoder>.layer.i`, `layers.i`). */
  protected abstract get stack(): readonly ModelLayer<X>[];

  private report?: LoadReport;

  protected constructor(
    readonly config: C,
    /** The checkpoint's root map (owns every tensor; disposed with the model). */
    protected readonly root: WeightMap,
    prefix: string,
    maxPositions = config.shape.max_position_embeddings,
  ) {
    super(root.pp(prefix));
    const s = config.shape;
    this.hiddenSize = s.hidden_size;
    this.numLayers = s.num_hidden_layers;
    this.numHeads = s.num_attention_heads;
    this.maxPositionEmbeddings = maxPositions;
    this.padTokenId = s.pad_token_id;
    this.usesTokenTypes = s.type_vocab_size > 0;
    this.vocabSize = s.vocab_size;
    this.typeVocabSize = s.type_vocab_size;
  }

  /** The view under the base-model prefix (`bert.`, `model.`, ... or the root), for heads that read more of it. */
  get baseWeights(): WeightMap {
    return this.wm;
  }

  /** config.json `model_type`. */
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

  /** Embedding output [B, T, H] (recording its own tap); runs inside a tidy. */
  protected abstract embed(inputs: EncoderInputs, taps: TapRecorder): tf.Tensor3D;

  /** The mask (and rotary tables, position bias) of this batch; runs inside a tidy: the `tensors` are kept. */
  protected abstract forwardContext(inputs: EncoderInputs): ForwardContext<X>;

  /**
   * The final norm (recording its own tap), when the architecture has one. Its output is the last hidden state and,
   * as transformers 5 records it, replaces the last layer's output in the hidden states.
   */
  protected finalNorm?(x: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D;

  forward(inputs: EncoderInputs, opts: ForwardOptions = {}): EncoderOutput {
    this.validate(inputs);
    const [b, t] = inputs.inputIds.shape;
    const lastOnly = !opts.outputHiddenStates && !opts.outputAttentions && !opts.taps?.length;
    if (this.root.dtype === 'q8' && lastOnly && b > 1 && b * t > Q8_FORWARD_ROWS) return this.forwardInGroups(inputs, Math.max(1, Math.floor(Q8_FORWARD_ROWS / t)));
    return this.forwardChecked(inputs, opts);
  }

  /** The last hidden state of validated `inputs`, run `per` sequences at a time (see {@link Q8_FORWARD_ROWS}). */
  private forwardInGroups(inputs: EncoderInputs, per: number): EncoderOutput {
    const [b, t] = inputs.inputIds.shape;
    const parts: tf.Tensor3D[] = [];
    try {
      for (let s = 0; s < b; s += per) {
        const n = Math.min(per, b - s);
        const rows = (x: tf.Tensor2D) => tf.slice(x, [s, 0], [n, t]); // [n, T]
        const group: EncoderInputs = { inputIds: rows(inputs.inputIds), attentionMask: rows(inputs.attentionMask) };
        if (inputs.tokenTypeIds) group.tokenTypeIds = rows(inputs.tokenTypeIds);
        try {
          parts.push(this.forwardChecked(group, {}).lastHiddenState); // [n, T, H]
        } finally {
          tf.dispose([group.inputIds, group.attentionMask, group.tokenTypeIds].filter((x) => x !== undefined));
        }
      }
      return { lastHiddenState: tf.concat(parts, 0) }; // [B, T, H]
    } finally {
      tf.dispose(parts);
    }
  }

  /** {@link forward} on validated inputs. */
  private forwardChecked(inputs: EncoderInputs, opts: ForwardOptions): EncoderOutput {
    const taps = new TapRecorder(opts.taps, () => this.tapNames());
    const kept: tf.Tensor[] = []; // everything handed to the caller, freed here on error
    const keep = <T extends tf.Tensor>(t: T): T => (kept.push(t), t);
    try {
      // Each stage runs in its own tidy so that a layer's temporaries ([B, heads, T, T] scores) are freed before
      // the next layer runs; only what the caller asked for survives.
      const x0 = keep(tf.tidy(() => this.embed(inputs, taps))); // [B, T, H]
      let fc: ForwardContext<X> | undefined;
      tf.tidy(() => {
        fc = this.forwardContext(inputs);
        return fc.tensors;
      });
      const ctx = { ...fc!.ctx, needProbs: !!opts.outputAttentions, taps } as X;
      try {
        let x = x0;
        const hiddenStates = opts.outputHiddenStates ? [x] : undefined;
        const attentions = opts.outputAttentions ? ([] as tf.Tensor4D[]) : undefined;
        const n = this.stack.length;
        const norm = this.finalNorm?.bind(this);
        for (let i = 0; i < n; i++) {
          const layer = this.stack[i];
          const prefix = layer.path;
          const prev = x;
          const r = tf.tidy(() => {
            const { output, probs } = layer.apply(prev, ctx);
            if (attentions && !probs) throw new Error(`${prefix}: the layer returned no attention probabilities`);
            return attentions ? [output, probs as tf.Tensor4D] : [output];
          });
          x = keep(r[0] as tf.Tensor3D);
          taps.put(prefix, x);
          if (attentions) attentions.push(keep(r[1] as tf.Tensor4D));
          // With a final norm, the last layer's raw output is not a hidden state (its tap is `<layer path>`).
          if (hiddenStates && (!norm || i < n - 1)) hiddenStates.push(x);
          if (!hiddenStates) prev.dispose(); // not an output: free it now
        }
        if (norm) {
          const last = x;
          x = keep(tf.tidy(() => norm(last, taps))); // [B, T, H]
          last.dispose();
          hiddenStates?.push(x);
        }
        const out: EncoderOutput = { lastHiddenState: x };
        if (hiddenStates) out.hiddenStates = hiddenStates;
        if (attentions) out.attentions = attentions;
        if (taps.active) out.intermediates = taps.recorded;
        return out;
      } finally {
        tf.dispose(fc!.tensors);
        ctx.mask.dispose();
      }
    } catch (e) {
      tf.dispose(kept);
      taps.dispose();
      throw e;
    }
  }

  /** The inputs to check besides `inputIds` and `attentionMask` (BERT: `tokenTypeIds` when given). */
  protected extraInputs(_inputs: EncoderInputs): [tf.Tensor | undefined, string][] {
    return [];
  }

  /** Ids whose range is checked besides `inputIds` (BERT: token types when used). */
  protected extraRanges(_inputs: EncoderInputs): { ids: tf.Tensor; name: string; size: number; key: string }[] {
    return [];
  }

  /** One input's type, rank, dtype and shape. */
  protected checkInput(t: tf.Tensor | undefined, name: string, inputIds: tf.Tensor): void {
    if (!(t instanceof tf.Tensor)) throw new Error(`${name} must be a tf.Tensor, got ${String(t)}`);
    if (t.rank !== 2) throw new Error(`${name} must be 2-D [batch, seq], got shape [${t.shape.join(', ')}]`);
    if (t.dtype !== 'int32') throw new Error(`${name} must be int32, got ${t.dtype}`);
    this.checkSameShape(t, name, inputIds);
  }

  /** Throw unless `t` (named `name` in the error) has inputIds' shape [batch, seq]. */
  protected checkSameShape(t: tf.Tensor, name: string, inputIds: tf.Tensor): void {
    if (t.shape[0] !== inputIds.shape[0] || t.shape[1] !== inputIds.shape[1]) {
      throw new Error(`${name} shape [${t.shape.join(', ')}] differs from inputIds shape [${inputIds.shape.join(', ')}]`);
    }
  }

  /** Shapes, dtypes, sequence length and id ranges (one small read-back per call where reads are synchronous). */
  protected validate(inputs: EncoderInputs): void {
    const { inputIds, attentionMask } = inputs;
    this.checkInput(inputIds, 'inputIds', inputIds);
    this.checkInput(attentionMask, 'attentionMask', inputIds);
    for (const [t, name] of this.extraInputs(inputs)) this.checkInput(t, name, inputIds);
    const [b, t] = inputIds.shape;
    if (b === 0 || t === 0) throw new Error(`inputIds must be non-empty, got shape [${b}, ${t}]`);
    if (t > this.maxPositionEmbeddings) {
      throw new Error(`sequence length ${t} exceeds the model's maximum of ${this.maxPositionEmbeddings} positions (max_position_embeddings)`);
    }
    // The id range check needs a synchronous readback. Where that is a GPU round trip (webgpu, webgl), the
    // check is left to the callers that build ids on the CPU (the tokenizer only emits ids from its vocab).
    if (!canReadSync()) return;
    // The ids read back and scanned here: one copy of B * T ints each, where min / max / stack cost 5 kernel calls
    // and engine round trips per forward (a one-query encode's largest cost outside the layers).
    const ranges = [{ ids: inputIds as tf.Tensor, name: 'inputIds', size: this.vocabSize, key: 'vocab_size' }, ...this.extraRanges(inputs)];
    for (const { ids, name, size, key } of ranges) {
      const v = ids.dataSync();
      let lo = v[0];
      let hi = v[0];
      for (let i = 1; i < v.length; i++) {
        const x = v[i];
        if (x < lo) lo = x;
        else if (x > hi) hi = x;
      }
      if (lo < 0 || hi >= size) throw new Error(`${name} must lie in [0, ${size}) (${key}), got values in [${lo}, ${hi}]`);
    }
  }

  dispose(): void {
    this.root.dispose();
  }
}
