/**
 * The model card (README.md) that `save` writes after training, section by section as sentence-transformers 6.0.1's
 * card templates (bi-encoder and cross-encoder) render them: YAML metadata (tags, base model, pipeline tag, metric
 * names), title and description, Model Description, Model Sources, Full Model Architecture (`repr(model)`), Usage,
 * Evaluation (one table per evaluator), Training Details (per dataset: size, columns, the statistics table over the
 * first 100 rows, the first 3 samples, the loss and its `get_config_dict()`), Training Hyperparameters, Training Logs,
 * Training Time, Framework Versions, Additional Resources and Citation (Sentence-BERT and each loss's BibTeX).
 *
 * Differences from 6.0.1, by design (the card test names them): the YAML has no `widget` (6.0.1 samples it at random); Usage shows
 * sentence-tfjs code (6.0.1 runs the model on dataset examples to print Python code with scores); Framework Versions
 * name sentence-tfjs, TensorFlow.js and the backend (6.0.1: Python, Sentence Transformers, Transformers, PyTorch,
 * Accelerate, Datasets, Tokenizers versions; ours are not those libraries); the cross-encoder description says
 * "trained using sentence-tfjs" where 6.0.1 says "using the sentence-transformers library"; the hyperparameter lists
 * are this library's arguments (see the trainers); no Environmental Impact section (6.0.1 writes it only with codecarbon).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/model_card_template.md,
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/cross_encoder/model_card_template.md
 * and https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/base/model_card.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { VERSION } from '../util/version.js';
import { columnKind, columnStats, formatDuration, markdownTable, pyFloat, pyJsonDumps, pyRound, samplesTable, statsTable, STATS_ROWS, type Cell, type ColumnStats } from './model_card_format.js';

/** How a run is timed and logged for the card (both trainers): the start, the evaluations' seconds, transformers' `logging_steps` (default 500). */
export interface CardClock {
  start: number;
  evaluationSeconds: number;
  loggingSteps: number;
}

/** One training (or evaluation) dataset of the card. */
export interface ModelCardDataset {
  /** Its name (a key of a record of datasets; the card's heading and `* Dataset:` line); absent: `Unnamed Dataset`. */
  name?: string | null;
  /** Rows (absent for a stream). */
  size: number | null;
  /** Column names in order (text columns, then the label column). */
  columns: string[];
  /**
   * The loss's Python class name, its `getConfigDict()` (null where 6.0.1's class has none: no parameters block),
   * the keys of it 6.0.1 holds as floats (`configFloats`), and its BibTeX `citation` (when it has one).
   */
  loss: { name: string; config: Record<string, unknown> | null; floats?: readonly string[]; citation?: string | null };
  /** Per column, the statistics over the first 100 rows (absent for a stream). */
  stats?: ColumnStats[];
  /** The first 3 rows, by column name (absent for a stream). */
  samples?: Record<string, unknown>[];
}

/** An evaluation of the card: the evaluator and its metrics (from the last evaluation). */
export interface ModelCardEvaluation {
  /** The evaluator's class, e.g. `EmbeddingSimilarityEvaluator`. */
  className: string;
  /** Its name (the metric prefix), e.g. `sts-dev`. */
  name: string;
  /** Python's `description`, the card's heading, e.g. `Semantic Similarity` (the class name when absent). */
  description?: string;
  primaryMetric: string;
  metrics: Record<string, number>;
}

/** One row of the Training Logs table: a logging step (its mean training loss) and/or an evaluation (primary metrics). */
export interface ModelCardLogRow {
  /** `state.epoch` (fractional). */
  epoch: number;
  step: number;
  /** The mean loss since the previous logging step (null: an evaluation-only row). */
  trainingLoss: number | null;
  /** The evaluators' primary metrics at this step, by full key (`sts-dev_spearman_cosine`). */
  metrics: Record<string, number>;
}

/** What the trainers record for the card. */
export interface ModelCardData {
  /** Which card: a bi-encoder's (default) or a cross-encoder's (6.0.1's cross_encoder/model_card_template.md). */
  modelType?: 'SentenceTransformer' | 'CrossEncoder';
  /** A cross-encoder's `num_labels` (its card's "Number of Output Labels", task and pipeline tag). */
  numLabels?: number;
  baseModel: string | null;
  maxSeqLength: number | null;
  outputDimensionality: number | null;
  similarityFnName: string | null;
  /** `repr(model)` as 6.0.1 prints it (the "Full Model Architecture" block); see `modelRepr`. */
  modelString?: string | null;
  trainDatasets: ModelCardDataset[];
  /** The evaluation datasets (`evalDataset`: the "Evaluation Dataset(s)" section, sizes in evaluation samples). */
  evalDatasets?: ModelCardDataset[];
  /**
   * Every loss of the run, wrapped ones included (6.0.1's `get_losses`: MatryoshkaLoss's inner `loss`), for the YAML
   * `loss:` tags and the citations; absent: the datasets' losses.
   */
  losses?: { name: string; citation?: string | null }[];
  /** Every hyperparameter the run used (snake_case as Python's TrainingArguments / fit()). */
  allHyperparameters: Record<string, unknown>;
  /** The ones the caller set (differing from the defaults). */
  nonDefaultHyperparameters: Record<string, unknown>;
  evaluations: ModelCardEvaluation[];
  /** Rows of the training-log table (6.0.1's rule: one per logging step and one per evaluation, merged by step). */
  logs: ModelCardLogRow[];
  /** The step whose checkpoint was kept (`load_best_model_at_end`): its log row is bold. */
  bestModelStep?: number | null;
  /** Wall-clock seconds of the whole run, and of the evaluations within it (the Training Time section). */
  trainingTime?: { totalSeconds: number; evaluationSeconds: number } | null;
  /** The backend that trained it (`wasm`, `cpu`, `webgpu`, …). */
  backend: string;
}

/**
 * The defaults of the training arguments the card lists (transformers 5's TrainingArguments as 6.0.1's
 * SentenceTransformerTrainingArguments / CrossEncoderTrainingArguments hold them: `to_dict()` of a fresh instance).
 */
const TRAINING_ARGUMENT_DEFAULTS: Readonly<Record<string, unknown>> = {
  per_device_train_batch_size: 8,
  per_device_eval_batch_size: 8,
  num_train_epochs: 3,
  max_steps: -1,
  learning_rate: 5e-5,
  weight_decay: 0,
  adam_beta1: 0.9,
  adam_beta2: 0.999,
  adam_epsilon: 1e-8,
  max_grad_norm: 1,
  lr_scheduler_type: 'linear',
  warmup_ratio: null,
  warmup_steps: 0,
  gradient_accumulation_steps: 1,
  eval_strategy: 'no',
  eval_steps: null,
  save_strategy: 'steps',
  save_steps: 500,
  save_total_limit: null,
  load_best_model_at_end: false,
  seed: 42,
  dataloader_drop_last: false,
  batch_sampler: 'batch_sampler',
};

/**
 * The card's Non-Default Hyperparameters: of the arguments the caller gave (`given`, Python's names), those whose value
 * in `all` differs from the default, as 6.0.1's `on_train_begin` (`value != default_args_dict[key]`): an argument
 * given at its default value is not listed.
 */
export function nonDefaultHyperparameters(all: Record<string, unknown>, given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined || !(k in all)) continue;
    if (k in TRAINING_ARGUMENT_DEFAULTS && all[k] === TRAINING_ARGUMENT_DEFAULTS[k]) continue;
    out[k] = all[k];
  }
  return out;
}

/** The columns of a dataset as the card names them (`texts[i]` columns become `sentence_i`). */
export function datasetColumns(first: Record<string, unknown> | undefined): string[] {
  if (!first) return [];
  if (Array.isArray(first.texts)) return [...first.texts.map((_, i) => `sentence_${i}`), ...('label' in first ? ['label'] : [])];
  return Object.keys(first);
}

/** A row as the card's columns see it (`{ texts, label }` rows spread into `sentence_i`). */
export function datasetRow(row: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(row.texts)) return row;
  const out: Record<string, unknown> = {};
  row.texts.forEach((t, i) => (out[`sentence_${i}`] = t));
  if ('label' in row) out.label = row.label;
  return out;
}

/** The hyperparameters transformers' TrainingArguments types as float (Python prints `0.0`, `1e-08`, `1.0`). */
const FLOAT_HYPERPARAMETERS = new Set(['learning_rate', 'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon', 'max_grad_norm', 'warmup_ratio', 'lr']);

/** A hyperparameter value as Python's `str` prints it (`None`, `True`, floats for float-typed keys, dict repr). */
function py(v: unknown, key = ''): string {
  if (typeof v === 'number') return FLOAT_HYPERPARAMETERS.has(key) ? pyFloat(v) : String(v);
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `'${k}': ${typeof x === 'string' ? `'${x}'` : py(x, k)}`).join(', ')}}`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => py(x)).join(', ')}]`;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

/** A Hugging Face repo id (`owner/name` or `name`), not a local path: only those become the card's base model (as 6.0.1). */
function isHubId(s: string): boolean {
  return /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(s) && !s.startsWith('.') && !/\.\./.test(s);
}

/** Jinja's list join of the card: `a`, `a and b`, `a, b, and c`. */
function joinColumns(cols: string[]): string {
  if (cols.length <= 1) return cols.join('');
  if (cols.length === 2) return `${cols[0]} and ${cols[1]}`;
  return `${cols.slice(0, -1).join(', ')}, and ${cols[cols.length - 1]}`;
}

const SBERT_CITATION = `@inproceedings{reimers-2019-sentence-bert,
    title = "Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks",
    author = "Reimers, Nils and Gurevych, Iryna",
    booktitle = "Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing",
    month = "11",
    year = "2019",
    publisher = "Association for Computational Linguistics",
    url = "https://arxiv.org/abs/1908.10084",
}`;

/** 6.0.1 `set_losses`: Sentence Transformers' citation, then each loss's, losses sharing one BibTeX joined ("A and B"). */
export function cardCitations(losses: readonly { name: string; citation?: string | null }[]): [string, string][] {
  const byText = new Map<string, string[]>([[SBERT_CITATION, ['Sentence Transformers']]]);
  const seen = new Set<string>();
  for (const l of losses) {
    if (seen.has(l.name)) continue;
    seen.add(l.name);
    if (!l.citation) continue;
    const text = l.citation.trim();
    const names = byText.get(text) ?? [];
    names.push(l.name);
    byText.set(text, names);
  }
  return [...byText.entries()].map(([text, names]) => [names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0], text]);
}

/** The Training Logs table: 6.0.1's `format_training_logs` (columns Epoch, Step, Training Loss, then metrics by first appearance). */
function trainingLogsTable(logs: readonly ModelCardLogRow[], best: number | null | undefined): string {
  const metricKeys: string[] = [];
  for (const l of logs) for (const k of Object.keys(l.metrics)) if (!metricKeys.includes(k)) metricKeys.push(k);
  const hasLoss = logs.some((l) => l.trainingLoss !== null);
  const rows = logs.map((l) => {
    const cells: [string, Cell | null][] = [
      ['Epoch', { num: l.epoch, isInt: false }],
      ['Step', { num: l.step, isInt: true }],
      ...(hasLoss ? [['Training Loss', l.trainingLoss === null ? null : { num: l.trainingLoss, isInt: false }] as [string, Cell | null]] : []),
      ...metricKeys.map((k) => [k, k in l.metrics ? { num: l.metrics[k], isInt: false } : null] as [string, Cell | null]),
    ];
    // the kept checkpoint's row is bold, its values through `format_log` (round to 4)
    if (l.step === best) return Object.fromEntries(cells.map(([k, c]) => [k, `**${c === null ? '-' : typeof c === 'string' ? c : c.isInt ? String(c.num) : pyRound(c.num, 4)}**`]));
    return Object.fromEntries(cells.map(([k, c]) => [k, c ?? '-']));
  });
  return markdownTable(rows);
}

const ADDITIONAL_RESOURCES = {
  bi: [
    '- [Training and Finetuning Embedding Models with Sentence Transformers](https://huggingface.co/blog/train-sentence-transformers): the end-to-end guide for training or finetuning Sentence Transformer models.',
    '- [Introduction to Matryoshka Embedding Models](https://huggingface.co/blog/matryoshka): variable-size embeddings that can be truncated with minimal quality loss.',
    '- [Binary and Scalar Embedding Quantization for Significantly Faster & Cheaper Retrieval](https://huggingface.co/blog/embedding-quantization): post-training compression of embedding vectors.',
    '- [Multimodal Embedding & Reranker Models with Sentence Transformers](https://huggingface.co/blog/multimodal-sentence-transformers): use text, image, audio, and video models through the same API.',
    '- [Training and Finetuning Multimodal Embedding & Reranker Models with Sentence Transformers](https://huggingface.co/blog/train-multimodal-sentence-transformers): train multimodal embedding models, with a Visual Document Retrieval walkthrough.',
  ],
  cross: [
    '- [Training and Finetuning Reranker Models with Sentence Transformers](https://huggingface.co/blog/train-reranker): the end-to-end guide for training or finetuning Cross Encoder (reranker) models.',
    '- [Multimodal Embedding & Reranker Models with Sentence Transformers](https://huggingface.co/blog/multimodal-sentence-transformers): use text, image, audio, and video reranker models through the same API.',
    '- [Training and Finetuning Multimodal Embedding & Reranker Models with Sentence Transformers](https://huggingface.co/blog/train-multimodal-sentence-transformers): training multimodal Cross Encoders.',
  ],
};

/** A commented-out template block (`<!--\n### Title\n\n*text*\n-->`). */
const commented = (lines: string[]) => ['<!--', ...lines, '-->', ''];

/**
 * The README.md text of a trained model.
 * @example
 * ```ts
 * const text = renderModelCard(model.modelCardData!);
 * ```
 */
export function renderModelCard(d: ModelCardData): string {
  const cross = d.modelType === 'CrossEncoder';
  const docs = cross ? 'cross_encoder' : 'sentence_transformer';
  const allLosses = d.losses ?? d.trainDatasets.map((t) => t.loss);
  const losses = [...new Set(allLosses.map((l) => l.name))];
  const size = d.trainDatasets.reduce((s, t) => s + (t.size ?? 0), 0);
  const numLabels = d.numLabels ?? 1;
  const hubBase = d.baseModel && isHubId(d.baseModel) ? d.baseModel : null;
  // 6.0.1: a cross-encoder card's task and pipeline tag follow num_labels (CrossEncoderModelCardData.register_model)
  const taskName = cross ? (numLabels === 1 ? 'text reranking and semantic search' : 'text pair classification') : 'semantic textual similarity, semantic search, paraphrase mining, classification, clustering, and more';
  const metricNames = d.evaluations.flatMap((e) => Object.keys(e.metrics).map((k) => stripName(k, e.name)));
  const out: string[] = [
    '---',
    'tags:',
    '- sentence-transformers',
    ...(cross ? ['- cross-encoder', '- reranker'] : ['- sentence-similarity', '- feature-extraction', '- dense']),
    '- generated_from_trainer',
    `- dataset_size:${size}`,
    ...losses.map((l) => `- loss:${l}`),
    ...(hubBase ? [`base_model: ${hubBase}`] : []),
    `pipeline_tag: ${cross ? (numLabels === 1 ? 'text-ranking' : 'text-classification') : 'sentence-similarity'}`,
    'library_name: sentence-transformers',
    ...(metricNames.length ? ['metrics:', ...metricNames.map((m) => `- ${m}`)] : []),
    ...modelIndex(`${cross ? 'CrossEncoder' : 'SentenceTransformer'}${hubBase ? ` based on ${hubBase}` : ''}`, d.evaluations),
    '---',
    '',
    `# ${cross ? 'CrossEncoder' : 'SentenceTransformer'}${hubBase ? ` based on ${hubBase}` : ''}`,
    '',
  ];
  const from = hubBase ? ` finetuned from [${hubBase}](https://huggingface.co/${hubBase})` : ' trained';
  if (cross) out.push(`This is a [Cross Encoder](https://www.sbert.net/docs/cross_encoder/usage/usage.html) model${from} using sentence-tfjs, in the [sentence-transformers](https://www.SBERT.net) format. It computes scores for pairs of texts, which can be used for ${taskName}.`, '');
  else out.push(`This is a [sentence-transformers](https://www.SBERT.net) model${from}. It maps inputs to a ${d.outputDimensionality ?? 'None'}-dimensional dense vector space and can be used for ${taskName}.`, '');

  out.push('## Model Details', '', '### Model Description', `- **Model Type:** ${cross ? 'Cross Encoder' : 'Sentence Transformer'}`);
  out.push(hubBase ? `- **Base model:** [${hubBase}](https://huggingface.co/${hubBase})` : '<!-- - **Base model:** [Unknown](https://huggingface.co/unknown) -->');
  out.push(`- **Maximum Sequence Length:** ${d.maxSeqLength ?? 'None'} tokens`);
  if (cross) out.push(`- **Number of Output Labels:** ${numLabels} label${numLabels > 1 ? 's' : ''}`);
  else out.push(`- **Output Dimensionality:** ${d.outputDimensionality ?? 'None'} dimensions`, `- **Similarity Function:** ${similarityName(d.similarityFnName)}`);
  out.push('- **Supported Modality:** Text', '<!-- - **Training Dataset:** Unknown -->', '<!-- - **Language:** Unknown -->', '<!-- - **License:** Unknown -->', '');

  out.push('### Model Sources', '', '- **Documentation:** [Sentence Transformers Documentation](https://sbert.net)');
  if (cross) out.push('- **Documentation:** [Cross Encoder Documentation](https://www.sbert.net/docs/cross_encoder/usage/usage.html)');
  out.push('- **Repository:** [Sentence Transformers on GitHub](https://github.com/huggingface/sentence-transformers)');
  out.push(cross ? '- **Hugging Face:** [Cross Encoders on Hugging Face](https://huggingface.co/models?library=sentence-transformers&other=cross-encoder)' : '- **Hugging Face:** [Sentence Transformers on Hugging Face](https://huggingface.co/models?library=sentence-transformers)', '');
  if (d.modelString) out.push('### Full Model Architecture', '', '```', d.modelString, '```', '');

  out.push('## Usage', '', '### Direct Usage (sentence-tfjs)', '', 'First install sentence-tfjs:', '', '```bash', 'npm install sentence-tfjs', '```', 'Then you can load this model and run inference.', '```ts');
  if (cross) out.push("import { CrossEncoder } from 'sentence-tfjs';", '', "const model = await CrossEncoder.load('path/to/this/model');", "const scores = await model.predict([['How many people live in Berlin?', 'Berlin has a population of 3,520,031 registered inhabitants.']]);");
  else out.push("import { SentenceTransformer } from 'sentence-tfjs';", '', "const model = await SentenceTransformer.load('path/to/this/model');", "const embeddings = await model.encode(['The weather is lovely today.', 'It is sunny outside!']);");
  out.push('```');
  out.push(...commented(['### Direct Usage (Transformers)', '', '<details><summary>Click to see the direct usage in Transformers</summary>', '', '</details>'])); // spread-ok: a fixed literal of a few lines
  out.push(...commented(['### Downstream Usage (Sentence Transformers)', '', 'You can finetune this model on your own dataset.', '', '<details><summary>Click to expand</summary>', '', '</details>'])); // spread-ok: a fixed literal of a few lines
  out.push(...commented(['### Out-of-Scope Use', '', '*List how the model may foreseeably be misused and address what users ought not to do with the model.*'])); // spread-ok: a fixed literal of a few lines

  if (d.evaluations.length) {
    out.push('## Evaluation', '', '### Metrics');
    for (const e of d.evaluations) {
      const primary = stripName(e.primaryMetric, e.name);
      const rows = Object.entries(e.metrics).map(([k0, v]) => {
        const k = stripName(k0, e.name);
        return k === primary ? { Metric: `**${k}**`, Value: `**${pyRound(v, 4)}**` } : { Metric: k, Value: { num: v, isInt: false } as Cell };
      });
      out.push('', `#### ${e.description ?? e.className}`, '');
      if (e.name) out.push(`* Dataset: \`${e.name}\``);
      out.push(`* Evaluated with [<code>${e.className}</code>](https://sbert.net/docs/package_reference/${docs}/evaluation.html#sentence_transformers.${docs}.evaluation.${e.className})`, '');
      out.push(markdownTable(rows).replace(/-:\|/g, '--|'));
    }
  }
  out.push(...commented(['## Bias, Risks and Limitations', '', '*What are the known or foreseeable issues stemming from this model? You could also flag here known failure cases or weaknesses of the model.*'])); // spread-ok: a fixed literal of a few lines
  out.push(...commented(['### Recommendations', '', '*What are recommendations with respect to the foreseeable issues? For example, filtering explicit content.*'])); // spread-ok: a fixed literal of a few lines

  out.push('## Training Details', '');
  // 6.0.1's template loops over ("training", train_datasets), ("evaluation", eval_datasets)
  for (const [kind, list] of [['training', d.trainDatasets], ['evaluation', d.evalDatasets ?? []]] as const) {
    if (list.length && kind === 'evaluation' && d.trainDatasets.length) out.push('');
    if (list.length) out.push(`### ${kind === 'training' ? 'Training' : 'Evaluation'} Dataset${list.length > 1 ? 's' : ''}`);
    for (const t of list) {
      const many = list.length > 3;
      const title = t.name || 'Unnamed Dataset';
      if (many) out.push(`<details><summary>${title}</summary>`);
      out.push('', `#### ${title}`, '');
      if (t.name) out.push(`* Dataset: ${t.name}`);
      if (t.size) out.push(`* Size: ${t.size.toLocaleString('en-US')} ${kind} samples`);
      out.push(`* Columns: ${joinColumns(t.columns.map((c) => `<code>${c}</code>`))}`);
      if (t.stats && t.stats.length && t.size) {
        out.push(`* Approximate statistics based on the first ${Math.min(t.size, 100)} samples:`, statsTable(t.columns, t.stats).replace(/\n$/, ''));
        if (t.samples?.length) out.push('* Samples:', samplesTable(t.columns, t.samples, t.stats.map((s) => s.dtype)).replace(/\n$/, ''));
      }
      const link = `* Loss: [<code>${t.loss.name}</code>](https://sbert.net/docs/package_reference/${docs}/losses.html#${t.loss.name.toLowerCase()})`;
      if (t.loss.config === null) out.push(link);
      else out.push(`${link} with these parameters:`, '  ```json', pyJsonDumps(t.loss.config, t.loss.floats).split('\n').map((l) => `  ${l}`).join('\n'), '  ```');
      if (many) out.push('</details>');
    }
  }
  out.push('', '### Training Hyperparameters');
  if (Object.keys(d.nonDefaultHyperparameters).length) {
    out.push('#### Non-Default Hyperparameters', '');
    for (const [k, v] of Object.entries(d.nonDefaultHyperparameters)) out.push(`- \`${k}\`: ${py(v, k)}`);
    out.push('');
  }
  out.push('#### All Hyperparameters', '<details><summary>Click to expand</summary>', '');
  for (const [k, v] of Object.entries(d.allHyperparameters)) out.push(`- \`${k}\`: ${py(v, k)}`);
  out.push('', '</details>', '');
  if (d.logs.length) {
    // 6.0.1's template: the table, the bold note, the collapsed block's end, then a blank line more than elsewhere
    const hide = d.logs.length > 100;
    const table = trainingLogsTable(d.logs, d.bestModelStep);
    const note = table.includes('**') ? '\n* The bold row denotes the saved checkpoint.' : '';
    out.push(`### Training Logs\n${hide ? '<details><summary>Click to expand</summary>\n\n' : ''}${table}${note}${hide ? '\n</details>' : ''}\n`);
  }
  if (d.trainingTime) {
    const { totalSeconds, evaluationSeconds } = d.trainingTime;
    out.push('### Training Time', `- **Training**: ${formatDuration(totalSeconds - evaluationSeconds)}`);
    if (evaluationSeconds) out.push(`- **Evaluation**: ${formatDuration(evaluationSeconds)}`, `- **Total**: ${formatDuration(totalSeconds)}`);
    out.push('');
  }
  out.push('### Framework Versions', `- sentence-tfjs: ${VERSION}`, `- TensorFlow.js (tfjs-core): ${tf.version_core}`, `- Backend: ${d.backend}`, '- Sentence Transformers (format): 6.0.1', '');
  out.push('## Additional Resources', '', ...(cross ? ADDITIONAL_RESOURCES.cross : ADDITIONAL_RESOURCES.bi), ''); // spread-ok: a fixed literal of a few lines
  out.push('## Citation', '', '### BibTeX');
  for (const [name, text] of cardCitations(allLosses)) out.push('', `#### ${name}`, '```bibtex', text, '```');
  out.push('');
  out.push(...commented(['## Glossary', '', '*Clearly define terms in order to be accessible across audiences.*'])); // spread-ok: a fixed literal of a few lines
  out.push(...commented(['## Model Card Authors', '', '*Lists the people who create the model card, providing recognition and accountability for the detailed work that goes into its construction.*'])); // spread-ok: a fixed literal of a few lines
  out.push(...commented(['## Model Card Contact', '', '*Provides a way for people who have updates to the Model Card, suggestions, or questions, to contact the Model Card authors.*']).slice(0, -1)); // spread-ok: a fixed literal of a few lines
  return out.join('\n');
}

/** 6.0.1 strips the evaluator's name prefix from its metric keys when every key carries it. */
function stripName(key: string, name: string): string {
  return name && key.startsWith(`${name}_`) ? key.slice(name.length + 1) : key;
}

/** The card's similarity function name (6.0.1 prints `Cosine Similarity`, `Dot Product`, ...). */
function similarityName(fn: string | null): string {
  const names: Record<string, string> = { cosine: 'Cosine Similarity', dot: 'Dot Product', euclidean: 'Euclidean Distance', manhattan: 'Manhattan Distance' };
  return fn ? names[fn] ?? fn : 'Cosine Similarity';
}


/**
 * What the card reads of a dataset: its columns' statistics over the first 100 rows and its first 3 rows. A number
 * column's type is the whole column's, as Arrow types a dataset built from the same rows (`Dataset.from_list`): `int`
 * unless a value anywhere is fractional, then `float` (its whole values printed `1.0`) — 6.0.1 then reads that type
 * off the first value (test/data/model_card/gen_float_cards.py: a 0.5 at row 101 makes the column `float`).
 */
export function datasetCardTables(rows: readonly Record<string, unknown>[], countTokens: (texts: string[]) => number[]): Pick<ModelCardDataset, 'stats' | 'samples'> {
  if (rows.length === 0) return {};
  const head = rows.slice(0, STATS_ROWS).map(datasetRow);
  const columns = datasetColumns(rows[0]);
  const kindOf = (c: string) => {
    const kind = columnKind(head.map((r) => r[c]));
    if (kind !== 'int') return kind;
    for (let i = head.length; i < rows.length; i++) {
      const v = datasetRow(rows[i])[c];
      if (typeof v === 'number' && !Number.isInteger(v)) return 'float';
    }
    return kind;
  };
  return { stats: columns.map((c) => columnStats(head.map((r) => r[c]), countTokens, kindOf(c))), samples: head.slice(0, 3) };
}

/**
 * The Training Logs rows as 6.0.1's card callback collects them: a row at every `loggingSteps`-th step (transformers'
 * `logging_steps`, default 500) with the mean loss of the steps since the previous one, and a row per evaluation with
 * the evaluator's primary metrics (see {@link cardPrimaryMetrics}); an evaluation at a logged step joins that step's row.
 */
export function cardLogRows(
  steps: readonly { step: number; epoch: number; loss: number }[],
  evaluations: readonly { step: number; epoch: number; metrics: Record<string, number> }[],
  loggingSteps: number,
  primaryMetrics: readonly string[],
): ModelCardLogRow[] {
  const rows: ModelCardLogRow[] = [];
  const evals = [...evaluations];
  let sum = 0;
  let n = 0;
  const addEvalsUpTo = (step: number) => {
    while (evals.length && evals[0].step <= step) {
      const e = evals.shift()!;
      const m = { ...validationLosses(e.metrics), ...Object.fromEntries(primaryMetrics.filter((k) => k in e.metrics).map((k) => [k, e.metrics[k]])) };
      const last = rows[rows.length - 1];
      if (last && last.step === e.step) Object.assign(last.metrics, m);
      else rows.push({ epoch: e.epoch, step: e.step, trainingLoss: null, metrics: m });
    }
  };
  for (const s of steps) {
    addEvalsUpTo(s.step - 1);
    sum += s.loss;
    n++;
    if (loggingSteps > 0 && s.step % loggingSteps === 0) {
      rows.push({ epoch: s.epoch, step: s.step, trainingLoss: sum / n, metrics: {} });
      sum = 0;
      n = 0;
    }
  }
  addEvalsUpTo(Infinity);
  return rows;
}

/**
 * The Training Logs columns of an evaluation's validation losses, as 6.0.1's `on_evaluate` names them: each
 * `eval_<name>_loss` as `<name> loss` (underscores to spaces), a lone `eval_loss` as `Validation Loss`.
 */
function validationLosses(metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (k.startsWith('eval_') && k.endsWith('_loss')) out[k.split('_').slice(1).join(' ')] = v;
  const keys = Object.keys(out);
  return keys.length === 1 && keys[0] === 'loss' ? { 'Validation Loss': out.loss } : out;
}

/** An evaluation's metrics less its validation losses (`eval_loss`, `eval_<name>_loss`): the evaluator's, for the card's Metrics. */
export function evaluatorMetrics(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([k]) => !(k.startsWith('eval_') && k.endsWith('_loss'))));
}

/**
 * The evaluator, timed: the same object seen through a wrapper whose `evaluate` adds its wall-clock seconds to
 * `clock.evaluationSeconds` (the card's "Evaluation" time, 6.0.1's summed `eval_runtime`).
 */
export function timedEvaluator<E extends { evaluate(...args: never[]): Promise<unknown> }>(evaluator: E, clock: { evaluationSeconds: number }): E {
  const timed = Object.create(evaluator) as E;
  const run = evaluator.evaluate.bind(evaluator) as (...args: unknown[]) => Promise<unknown>;
  (timed as { evaluate: unknown }).evaluate = async (...args: unknown[]) => {
    const t0 = performance.now();
    try {
      return await run(...args); // spread-ok: the evaluator's own (model, context) arguments
    } finally {
      clock.evaluationSeconds += (performance.now() - t0) / 1000;
    }
  };
  return timed;
}

/** The step of the best evaluation (the checkpoint `load_best_model_at_end` keeps; its log row is bold), or null. */
export function bestEvaluationStep(evaluations: readonly { step: number; metrics: Record<string, number> }[], primaryMetric: string, greaterIsBetter: boolean): number | null {
  let best: { step: number; value: number } | null = null;
  for (const e of evaluations) {
    const v = e.metrics[primaryMetric];
    if (typeof v === 'number' && (best === null || (greaterIsBetter ? v > best.value : v < best.value))) best = { step: e.step, value: v };
  }
  return best?.step ?? null;
}

/** The metrics a Training Logs row shows: the evaluator's primary metric, or a SequentialEvaluator's evaluators' (as 6.0.1). */
export function cardPrimaryMetrics(evaluator: { primaryMetric: string; evaluators?: readonly { primaryMetric: string }[] } | undefined): string[] {
  if (!evaluator) return [];
  return Array.isArray(evaluator.evaluators) ? evaluator.evaluators.map((e) => e.primaryMetric) : [evaluator.primaryMetric];
}

/** A YAML scalar string as PyYAML's `dump` writes it: plain when it can be, else single-quoted. */
function yamlStr(s: string): string {
  const plain = /^[A-Za-z_][\w .@/()+-]*$/.test(s) && !/ $|: | #/.test(s) && !/^(true|false|yes|no|on|off|null|~)$/i.test(s);
  return plain ? s : `'${s.replace(/'/g, "''")}'`;
}

/** A float as PyYAML writes it (`repr`, with `.0` before an exponent: `1.0e-05`; `.nan`, `.inf`). */
function yamlFloat(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (!Number.isFinite(x)) return x > 0 ? '.inf' : '-.inf';
  const r = pyFloat(x);
  return /e/.test(r) && !/\./.test(r) ? r.replace('e', '.0e') : r;
}

/** Python's `str.title()`: each run of letters capitalised. */
const title = (s: string) => s.replace(/[A-Za-z]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());

/**
 * The YAML `model-index` (huggingface_hub's `eval_results_to_model_index` of 6.0.1's evaluation results): one result
 * per evaluator with its task (the evaluator's description), its dataset (its name) and every metric.
 */
function modelIndex(modelName: string, evaluations: readonly ModelCardEvaluation[]): string[] {
  if (!evaluations.length) return [];
  const out = ['model-index:', `- name: ${yamlStr(modelName)}`, '  results:'];
  for (const e of evaluations) {
    const task = e.description ?? e.className;
    out.push('  - task:', `      type: ${yamlStr(task.toLowerCase().replace(/ /g, '-'))}`, `      name: ${yamlStr(task)}`);
    out.push('    dataset:', `      name: ${yamlStr(e.name ? e.name.replace(/[_-]/g, ' ') : 'Unknown')}`, `      type: ${yamlStr(e.name || 'unknown')}`, '    metrics:');
    for (const [k0, v] of Object.entries(e.metrics)) {
      if (!Number.isFinite(v) && !Number.isNaN(v)) continue;
      const k = stripName(k0, e.name);
      out.push(`    - type: ${yamlStr(k)}`, `      value: ${yamlFloat(v)}`, `      name: ${yamlStr(title(k.replace(/_/g, ' ')))}`);
    }
  }
  return out;
}

/** 6.0.1's `get_losses`: the losses, then any loss one of them wraps (its `loss`), each once, for tags and citations. */
export function cardLosses(losses: readonly { name: string; citation?: string; loss?: unknown }[]): { name: string; citation: string | null }[] {
  const list = [...losses];
  for (let i = 0; i < list.length; i++) {
    const inner = list[i].loss as { name?: unknown } | undefined;
    if (inner && typeof inner.name === 'string' && !list.includes(inner as never)) list.push(inner as { name: string });
  }
  return list.map((l) => ({ name: l.name, citation: l.citation ?? null }));
}
