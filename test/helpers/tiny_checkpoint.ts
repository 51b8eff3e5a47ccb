/**
 * A complete tiny sentence-transformers model directory, built in the test: no fixtures, no network. Suites that
 * must run on a bare clone load it like any Hugging Face checkpoint.
 *
 *   config.json                  BertModel: 2 layers, hidden 32, 4 heads (HF config keys)
 *   model.safetensors            random float32 weights under the HF BertModel keys, pooler included
 *   tokenizer.json               WordPiece over a small vocabulary; BertNormalizer, BertPreTokenizer,
 *                                TemplateProcessing ([CLS] $A [SEP]), WordPiece decoder
 *   tokenizer_config.json        the special tokens and model_max_length
 *   sentence_bert_config.json    max_seq_length
 *   modules.json                 Transformer → Pooling (mean) [→ Normalize]
 *   1_Pooling/config.json
 *
 * The weights are deterministic (seeded), so two builds with the same options are byte-identical.
 *
 * @example
 * ```ts
 * const dir = writeTinySentenceTransformer();           // a fresh temp folder
 * const model = await SentenceTransformer.load(dir);
 * const [e] = await model.encode(['hello world']);      // Float32Array(32)
 * removeTinyCheckpoint(dir);
 * ```
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serializeSafetensors, type TensorToWrite } from '../../src/formats/safetensors.js';

export interface TinyBertOptions {
  /** Hidden size (default 32); a multiple of `heads`. */
  hiddenSize?: number;
  /** Encoder layers (default 2). */
  layers?: number;
  /** Attention heads (default 4). */
  heads?: number;
  /** Feed-forward size (default 64). */
  intermediateSize?: number;
  /** Position embeddings (default 64), also `model_max_length`. */
  maxPositions?: number;
  /** Seed of the random weights (default 1). */
  seed?: number;
  /** Append a Normalize module (default false). */
  normalize?: boolean;
}

/** Special tokens first (ids 0..4), then whole words, then `##` continuations, so WordPiece has something to split. */
export const TINY_VOCAB: readonly string[] = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  '.', ',', '!', '?', "'",
  'a', 'the', 'is', 'on', 'in', 'of', 'and', 'to', 'it',
  'cat', 'dog', 'sat', 'mat', 'man', 'food', 'eating', 'play', 'guitar', 'sun', 'sky', 'blue', 'hello', 'world',
  'quick', 'brown', 'fox', 'jump', 'over', 'lazy', 'sentence', 'transform', 'token',
  '##s', '##ed', '##ing', '##er', '##ly', '##ize', '##ers',
];

/** mulberry32: a small deterministic PRNG in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The HF `BertConfig` of the tiny model. */
export function tinyBertConfig(opts: TinyBertOptions = {}): Record<string, unknown> {
  const hidden = opts.hiddenSize ?? 32;
  const heads = opts.heads ?? 4;
  if (hidden % heads !== 0) throw new RangeError(`hiddenSize ${hidden} must be a multiple of heads ${heads}`);
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    attention_probs_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: hidden,
    initializer_range: 0.02,
    intermediate_size: opts.intermediateSize ?? 64,
    layer_norm_eps: 1e-12,
    max_position_embeddings: opts.maxPositions ?? 64,
    num_attention_heads: heads,
    num_hidden_layers: opts.layers ?? 2,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: 2,
    vocab_size: TINY_VOCAB.length,
  };
}

/** Random BertModel weights under the checkpoint keys, PyTorch layout (Linear weights [out, in]). */
export function tinyBertWeights(opts: TinyBertOptions = {}): Record<string, TensorToWrite> {
  const cfg = tinyBertConfig(opts);
  const h = cfg.hidden_size as number;
  const ff = cfg.intermediate_size as number;
  const rand = prng(opts.seed ?? 1);
  const out: Record<string, TensorToWrite> = {};
  const add = (name: string, shape: number[], fill: (r: number) => number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    out[name] = { dtype: 'F32', shape, data: Float32Array.from({ length: n }, () => fill(rand())) };
  };
  const weight = (r: number) => (r - 0.5) * 0.2; // uniform [-0.1, 0.1)
  const gamma = (r: number) => 1 + (r - 0.5) * 0.2;
  const linear = (prefix: string, inF: number, outF: number) => {
    add(`${prefix}.weight`, [outF, inF], weight);
    add(`${prefix}.bias`, [outF], weight);
  };
  const layerNorm = (prefix: string) => {
    add(`${prefix}.weight`, [h], gamma);
    add(`${prefix}.bias`, [h], weight);
  };
  add('embeddings.word_embeddings.weight', [TINY_VOCAB.length, h], weight);
  add('embeddings.position_embeddings.weight', [cfg.max_position_embeddings as number, h], weight);
  add('embeddings.token_type_embeddings.weight', [cfg.type_vocab_size as number, h], weight);
  layerNorm('embeddings.LayerNorm');
  for (let i = 0; i < (cfg.num_hidden_layers as number); i++) {
    const l = `encoder.layer.${i}`;
    for (const p of ['query', 'key', 'value']) linear(`${l}.attention.self.${p}`, h, h);
    linear(`${l}.attention.output.dense`, h, h);
    layerNorm(`${l}.attention.output.LayerNorm`);
    linear(`${l}.intermediate.dense`, h, ff);
    linear(`${l}.output.dense`, ff, h);
    layerNorm(`${l}.output.LayerNorm`);
  }
  linear('pooler.dense', h, h);
  return out;
}

/** tokenizer.json of the tiny vocabulary, in the layout `tokenizers` writes for bert-base-uncased. */
export function tinyTokenizerJson(opts: TinyBertOptions = {}): Record<string, unknown> {
  const vocab = Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i]));
  const special = (content: string) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: opts.maxPositions ?? 64, strategy: 'LongestFirst', stride: 0 },
    padding: { strategy: 'BatchLongest', direction: 'Right', pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: '[PAD]' },
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** Every file of the tiny model directory, by relative path. */
export function tinySentenceTransformerFiles(opts: TinyBertOptions = {}): Record<string, string | Uint8Array> {
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  const maxLen = opts.maxPositions ?? 64;
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ...(opts.normalize ? [{ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }] : []),
  ];
  return {
    'config.json': json(tinyBertConfig(opts)),
    'model.safetensors': serializeSafetensors(tinyBertWeights(opts), { format: 'pt' }),
    'tokenizer.json': json(tinyTokenizerJson(opts)),
    'tokenizer_config.json': json({
      cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]',
      do_lower_case: true, model_max_length: maxLen, tokenizer_class: 'BertTokenizer',
    }),
    'sentence_bert_config.json': json({ max_seq_length: maxLen, do_lower_case: false }),
    'modules.json': json(modules),
    '1_Pooling/config.json': json({
      word_embedding_dimension: opts.hiddenSize ?? 32,
      pooling_mode_cls_token: false,
      pooling_mode_mean_tokens: true,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    }),
  };
}

/** Write the tiny model into `dir` (default: a new temp folder) and return the folder. */
export function writeTinySentenceTransformer(opts: TinyBertOptions = {}, dir = mkdtempSync(join(tmpdir(), 'tiny-st-'))): string {
  for (const [rel, content] of Object.entries(tinySentenceTransformerFiles(opts))) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

/** Remove a folder made by {@link writeTinySentenceTransformer}. */
export function removeTinyCheckpoint(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
