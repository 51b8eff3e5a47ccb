/**
 * Pooling of token embeddings into one sentence embedding: pure tensor functions.
 *
 * Port of sentence-transformers v3.4.1 `models/Pooling.py`:
 * https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/models/Pooling.py
 *
 * and of v6.0.1 `sentence_transformer/modules/pooling.py` (`Pooling._forward_padded`, `_exclude_prompt_from_mask`):
 * `cls` takes the first attended token (`attention_mask.argmax`, differs from 3.4.1's index 0 under left padding and
 * with `include_prompt` false), `max` fills padding with -inf, the prompt is masked after any left padding.
 *
 * Modes are concatenated in the 3.x flag order (cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken), or in
 * the order of a 6.x `pooling_mode` list ({@link PoolingConfig.order}).
 */
import { configError } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { gatherRows } from '../kernels/ops.js';

/** The pooling modes, in the order their outputs are concatenated. */
export const POOLING_MODES = ['cls', 'max', 'mean', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken'] as const;
/** One of {@link POOLING_MODES} (Python `Pooling`'s `pooling_mode_*` flags). */
export type PoolingMode = (typeof POOLING_MODES)[number];

/** A Pooling configuration (Python: the `1_Pooling/config.json` keys, in camelCase; read and written by modules/pooling.ts). */
export interface PoolingConfig {
  /** `word_embedding_dimension`: the token embedding size H. */
  wordEmbeddingDimension: number;
  /** `pooling_mode_cls_token` */
  cls: boolean;
  /** `pooling_mode_max_tokens` */
  max: boolean;
  /** `pooling_mode_mean_tokens` */
  mean: boolean;
  /** `pooling_mode_mean_sqrt_len_tokens` */
  meanSqrtLenTokens: boolean;
  /** `pooling_mode_weightedmean_tokens` */
  weightedmean: boolean;
  /** `pooling_mode_lasttoken` */
  lasttoken: boolean;
  /** `include_prompt`: when false, the prompt's tokens are masked out before pooling. */
  includePrompt: boolean;
  /**
   * The concatenation order of the enabled modes when a 6.x `pooling_mode` list gave one (e.g. `["mean", "cls"]`);
   * absent: the 3.x flag order.
   */
  order?: readonly PoolingMode[];
}

const MODE_FLAG: Record<PoolingMode, keyof PoolingConfig> = {
  cls: 'cls',
  max: 'max',
  mean: 'mean',
  mean_sqrt_len_tokens: 'meanSqrtLenTokens',
  weightedmean: 'weightedmean',
  lasttoken: 'lasttoken',
};

/**
 * A config from a mode string as Python's `Pooling(dim, pooling_mode=...)` accepts it:
 * one of {@link POOLING_MODES}, or several joined with '+' (e.g. `'cls+mean+max'`).
 */
export function poolingConfigFromMode(wordEmbeddingDimension: number, mode: string | readonly string[], includePrompt = true): PoolingConfig {
  const cfg: PoolingConfig = {
    wordEmbeddingDimension,
    cls: false,
    max: false,
    mean: false,
    meanSqrtLenTokens: false,
    weightedmean: false,
    lasttoken: false,
    includePrompt,
  };
  const parts = typeof mode === 'string' ? mode.toLowerCase().split('+') : mode;
  if (parts.length === 0) throw new Error('pooling_mode: expected a mode or a non-empty list of modes, got []');
  for (const part of parts) {
    if (!(POOLING_MODES as readonly string[]).includes(part)) {
      throw configError(`pooling_mode: expected one of ${POOLING_MODES.join(', ')} (or several joined by '+', or a list), got ${JSON.stringify(mode)}`);
    }
    if (cfg[MODE_FLAG[part as PoolingMode]] === true) throw new Error(`pooling_mode: mode '${part}' given twice in ${JSON.stringify(mode)}`);
    (cfg as unknown as Record<string, boolean>)[MODE_FLAG[part as PoolingMode]] = true;
  }
  // a list (6.x) concatenates in its own order; the '+' string keeps the 3.x flag order
  if (typeof mode !== 'string' && parts.length > 1) cfg.order = parts as PoolingMode[];
  return cfg;
}

/** The enabled modes in concatenation order. */
export function enabledPoolingModes(cfg: PoolingConfig): PoolingMode[] {
  if (cfg.order) return [...cfg.order]; // spread-ok: at most the six modes
  return POOLING_MODES.filter((m) => cfg[MODE_FLAG[m]] === true);
}

/** Python's `get_pooling_mode_str()`: the enabled modes joined with '+'. */
export function poolingModeString(cfg: PoolingConfig): string {
  return enabledPoolingModes(cfg).join('+');
}

/** The sentence embedding size: H times the number of enabled modes. */
export function poolingOutputDimension(cfg: PoolingConfig): number {
  return enabledPoolingModes(cfg).length * cfg.wordEmbeddingDimension;
}

/**
 * Mean pooling of one sequence whose tokens are all attended, on its read-back rows: `tokens` [T, H] row-major ->
 * [H], each output the float32 sum of its column in token order divided by T, which is what {@link pool} computes
 * on the wasm backend for a [1, T, H] batch with an all-ones mask (tfjs-wasm's Sum adds the reduced axis in order
 * in float32, the mask multiplies by 1 exactly, and the clamped count is T): the same bits, with no tf op. Other
 * backends may sum in another order or precision (tfjs-cpu sums in float64): use {@link pool} there.
 * @example
 * const sentence = meanPoolAllAttended(await tokenEmbeddings.data() as Float32Array, T, H); // [H]
 */
export function meanPoolAllAttended(tokens: Float32Array, T: number, H: number): Float32Array {
  if (tokens.length !== T * H || T < 1) throw new Error(`meanPoolAllAttended: tokens must hold T * H = ${T} * ${H} floats with T >= 1, got ${tokens.length}`);
  const sums = new Float32Array(H);
  for (let t = 0; t < T; t++) {
    const row = t * H;
    for (let h = 0; h < H; h++) sums[h] += tokens[row + h]; // a Float32Array element: rounded to float32 at each add
  }
  for (let h = 0; h < H; h++) sums[h] /= T;
  return sums;
}

/** Per-call options of pooling. */
export interface PoolOptions {
  /** Number of leading tokens that belong to the prompt; masked out when `includePrompt` is false. */
  promptLength?: number;
}

/**
 * Pool token embeddings [B, T, H] with an attention mask [B, T] (int or float, 1 = real token) into [B, D].
 * Call inside `tf.tidy` or dispose the result; intermediates are freed here.
 */
export function pool(tokenEmbeddings: tf.Tensor3D, attentionMask: tf.Tensor2D, cfg: PoolingConfig, opts: PoolOptions = {}): tf.Tensor2D {
  const [B, T, H] = tokenEmbeddings.shape;
  if (attentionMask.shape[0] !== B || attentionMask.shape[1] !== T) {
    throw new Error(`pool: attention mask shape [${attentionMask.shape}] does not match token embeddings [${tokenEmbeddings.shape}]`);
  }
  if (H !== cfg.wordEmbeddingDimension) {
    throw new Error(`pool: token embeddings have size ${H}, the pooling config expects word_embedding_dimension ${cfg.wordEmbeddingDimension}`);
  }
  const modes = enabledPoolingModes(cfg);
  return tf.tidy(() => {
    let mask = tf.cast(attentionMask, 'float32') as tf.Tensor2D;
    const promptLength = opts.promptLength ?? 0;
    const positions = tf.reshape(tf.range(0, T, 1, 'float32'), [1, T]);
    // torch `attention_mask.argmax(dim=1)`: the first position whose mask is 1 (0 for an all-zero row), [B]
    const firstAttended = (m: tf.Tensor2D) => tf.mod(tf.min(tf.add(positions, tf.mul(tf.sub(1, m), T)), 1), T);
    if (!cfg.includePrompt && promptLength > 0) {
      // Python 6.0.1 `_exclude_prompt_from_mask`: zero the positions before (left padding + prompt_length); with
      // right padding that is attention_mask[:, :prompt_length] = 0
      const cut = tf.reshape(tf.add(firstAttended(mask), promptLength), [B, 1]);
      mask = tf.mul(mask, tf.cast(tf.greaterEqual(positions, cut), 'float32'));
    }
    const mask3 = tf.reshape(mask, [B, T, 1]) as tf.Tensor3D;
    const outputs: tf.Tensor2D[] = [];
    let maskedSum: tf.Tensor2D | undefined;
    let count: tf.Tensor2D | undefined;
    const meanParts = () => {
      maskedSum ??= tf.sum(tf.mul(tokenEmbeddings, mask3), 1) as tf.Tensor2D;
      // sum_mask = clamp(input_mask_expanded.sum(1), min=1e-9), shape [B, H]
      count ??= tf.maximum(tf.sum(mask3, 1), 1e-9) as tf.Tensor2D;
      return { maskedSum, count };
    };
    for (const mode of modes) {
      switch (mode) {
        case 'cls': {
          // the first attended token of each row (index 0 under right padding)
          const flatIdx = tf.add(tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(T, 'int32')), tf.cast(firstAttended(mask), 'int32'));
          outputs.push(gatherRows(tf.reshape(tokenEmbeddings, [B * T, H]), flatIdx) as tf.Tensor2D); // [B*T, H] rows -> [B, H]
          break;
        }
        case 'max': {
          // masked_fill(mask == 0, -inf) before the max
          const filled = tf.where(tf.equal(tf.broadcastTo(mask3, [B, T, H]), 0), tf.fill([B, T, H], -Infinity), tokenEmbeddings);
          outputs.push(tf.max(filled, 1) as tf.Tensor2D);
          break;
        }
        case 'mean': {
          const { maskedSum: s, count: c } = meanParts();
          outputs.push(tf.div(s, c));
          break;
        }
        case 'mean_sqrt_len_tokens': {
          const { maskedSum: s, count: c } = meanParts();
          outputs.push(tf.div(s, tf.sqrt(c)));
          break;
        }
        case 'weightedmean': {
          const weights = tf.reshape(tf.range(1, T + 1, 1, 'float32'), [1, T, 1]);
          const w = tf.mul(mask3, weights);
          const s = tf.sum(tf.mul(tokenEmbeddings, w), 1);
          const c = tf.maximum(tf.sum(w, 1), 1e-9);
          outputs.push(tf.div(s, c) as tf.Tensor2D);
          break;
        }
        case 'lasttoken': {
          // index of the last position whose mask is 1 (0 when the mask is all zeros, as Python's gather gives)
          const last = tf.cast(tf.max(tf.mul(mask, positions), 1), 'int32');
          const flatIdx = tf.add(tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(T, 'int32')), last);
          const masked = tf.reshape(tf.mul(tokenEmbeddings, mask3), [B * T, H]) as tf.Tensor2D; // [B, T, H] -> [B*T, H]
          outputs.push(gatherRows(masked, flatIdx) as tf.Tensor2D);
          break;
        }
      }
    }
    return outputs.length === 1 ? outputs[0] : (tf.concat(outputs, 1) as tf.Tensor2D);
  });
}
