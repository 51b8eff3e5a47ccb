/**
 * The model card (README.md) that `save` writes after training, as sentence-transformers' `SentenceTransformerModelCardData`
 * does: YAML metadata (library, base model, tags), the model description (base model, max sequence length, output
 * dimensionality, similarity function), the evaluation metrics, the training datasets (size, columns, loss and its
 * `get_config_dict()`), the training hyperparameters (non-default and all), the training logs and the framework
 * versions. The sections follow 6.0.1's template loosely (no dataset statistics or samples tables, no citations).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/model_card_template.md
 * and https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/model_card.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { VERSION } from '../util/version.js';

/** One training dataset of the card. */
export interface ModelCardDataset {
  /** Rows (absent for a stream). */
  size: number | null;
  /** Column names in order (text columns, then the label column). */
  columns: string[];
  /** The loss's Python class name and its `getConfigDict()`. */
  loss: { name: string; config: Record<string, unknown> };
}

/** An evaluation of the card: the evaluator and its metrics (from the last evaluation). */
export interface ModelCardEvaluation {
  /** The evaluator's class, e.g. `EmbeddingSimilarityEvaluator`. */
  className: string;
  /** Its name (the metric prefix), e.g. `sts-dev`. */
  name: string;
  primaryMetric: string;
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
  trainDatasets: ModelCardDataset[];
  /** Every hyperparameter the run used (snake_case as Python's TrainingArguments / fit()). */
  allHyperparameters: Record<string, unknown>;
  /** The ones the caller set (differing from the defaults). */
  nonDefaultHyperparameters: Record<string, unknown>;
  evaluations: ModelCardEvaluation[];
  /** Rows of the training-log table: epoch, step, training loss and the evaluators' primary metrics. */
  logs: { epoch: number; step: number; trainingLoss: number | null; metrics: Record<string, number> }[];
  /** The backend that trained it (`wasm`, `cpu`, `webgpu`, …). */
  backend: string;
}

/** The columns of a dataset as the card names them (`texts[i]` columns become `sentence_i`). */
export function datasetColumns(first: Record<string, unknown> | undefined): string[] {
  if (!first) return [];
  if (Array.isArray(first.texts)) return [...first.texts.map((_, i) => `sentence_${i}`), ...('label' in first ? ['label'] : [])];
  return Object.keys(first);
}

/** A value as Python prints it in the card (`None`, `True`, quoted strings in config blocks). */
function py(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A Hugging Face repo id (`owner/name` or `name`), not a local path: only those go into the YAML `base_model`. */
function isHubId(s: string): boolean {
  return /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(s) && !s.startsWith('.') && !/\.\./.test(s);
}

const fmt = (x: number) => x.toFixed(4);

/**
 * The README.md text of a trained model.
 * @example
 * ```ts
 * const text = renderModelCard(model.modelCardData!);
 * ```
 */
export function renderModelCard(d: ModelCardData): string {
  const cross = d.modelType === 'CrossEncoder';
  const losses = [...new Set(d.trainDatasets.map((t) => t.loss.name))];
  const size = d.trainDatasets.reduce((s, t) => s + (t.size ?? 0), 0);
  const numLabels = d.numLabels ?? 1;
  const hubBase = d.baseModel && isHubId(d.baseModel) ? d.baseModel : null;
  // 6.0.1: a cross-encoder card's task and pipeline tag follow num_labels (CrossEncoderModelCardData.register_model)
  const taskName = numLabels === 1 ? 'text reranking and semantic search' : 'text pair classification';
  const yaml = [
    '---',
    'library_name: sentence-transformers',
    `pipeline_tag: ${cross ? (numLabels === 1 ? 'text-ranking' : 'text-classification') : 'sentence-similarity'}`,
    'tags:',
    '- sentence-transformers',
    ...(cross ? ['- cross-encoder', '- reranker'] : ['- sentence-similarity', '- feature-extraction']),
    '- generated_from_trainer',
    `- dataset_size:${size}`,
    ...losses.map((l) => `- loss:${l}`),
    ...(hubBase ? [`base_model: ${hubBase}`] : []),
    '---',
  ];
  const title = cross ? `CrossEncoder${hubBase ? ` based on ${hubBase}` : ''}` : 'Sentence Transformer model'; // 6.0.1's cross-encoder model_name
  const out: string[] = [...yaml, '', `# ${title}`, ''];
  const base = d.baseModel ? ` finetuned from ${hubBase ? `[${hubBase}](https://huggingface.co/${hubBase})` : d.baseModel}` : ' trained';
  if (cross) {
    out.push(`This is a [Cross Encoder](https://www.sbert.net/docs/cross_encoder/usage/usage.html) model${base} using sentence-tfjs, in the [sentence-transformers](https://www.SBERT.net) format. It computes scores for pairs of texts, which can be used for ${taskName}.`, '');
  } else {
    out.push(`This is a [sentence-transformers](https://www.SBERT.net) model${base} with sentence-tfjs. It maps sentences to a ${d.outputDimensionality ?? 'fixed'}-dimensional dense vector space.`, '');
  }
  out.push('## Model Details', '', '### Model Description', `- **Model Type:** ${cross ? 'Cross Encoder' : 'Sentence Transformer'}`);
  out.push(d.baseModel ? (hubBase ? `- **Base model:** [${hubBase}](https://huggingface.co/${hubBase})` : `- **Base model:** ${d.baseModel}`) : '<!-- - **Base model:** Unknown -->');
  out.push(`- **Maximum Sequence Length:** ${d.maxSeqLength ?? 'None'} tokens`);
  if (cross) out.push(`- **Number of Output Labels:** ${numLabels} label${numLabels > 1 ? 's' : ''}`, '');
  else out.push(`- **Output Dimensionality:** ${d.outputDimensionality ?? 'None'} dimensions`, `- **Similarity Function:** ${d.similarityFnName ?? 'Cosine Similarity'}`, '');
  out.push('## Usage', '', '```ts');
  if (cross) {
    out.push("import { CrossEncoder } from 'sentence-tfjs';", "const model = await CrossEncoder.load('path/to/this/model');", "const scores = await model.predict([['How many people live in Berlin?', 'Berlin has a population of 3,520,031 registered inhabitants.']]);");
  } else {
    out.push("import { SentenceTransformer } from 'sentence-tfjs';", "const model = await SentenceTransformer.load('path/to/this/model');", "const embeddings = await model.encode(['The weather is lovely today.', 'It is sunny outside!']);");
  }
  out.push('```', '');
  if (d.evaluations.length) {
    out.push('## Evaluation', '', '### Metrics', '');
    for (const e of d.evaluations) {
      out.push(`#### ${e.className}${e.name ? ` (\`${e.name}\`)` : ''}`, '', `* Evaluated with <code>${e.className}</code>; primary metric \`${e.primaryMetric}\``, '', '| Metric | Value |', '|:--|:--|');
      for (const [k, v] of Object.entries(e.metrics)) out.push(`| ${k === e.primaryMetric ? `**${k}**` : k} | ${k === e.primaryMetric ? `**${fmt(v)}**` : fmt(v)} |`);
      out.push('');
    }
  }
  out.push('## Training Details', '');
  d.trainDatasets.forEach((t, i) => {
    out.push(`### Training Dataset${d.trainDatasets.length > 1 ? ` ${i + 1}` : ''}`, '', '#### Unnamed Dataset', '');
    if (t.size !== null) out.push(`* Size: ${t.size.toLocaleString('en-US')} training samples`);
    out.push(`* Columns: ${t.columns.map((c) => `<code>${c}</code>`).join(', ')}`);
    const config = JSON.stringify(t.loss.config, null, 4).split('\n').map((l) => `  ${l}`).join('\n');
    out.push(`* Loss: <code>${t.loss.name}</code> with these parameters:`, '  ```json', config, '  ```', '');
  });
  out.push('### Training Hyperparameters', '#### Non-Default Hyperparameters', '');
  for (const [k, v] of Object.entries(d.nonDefaultHyperparameters)) out.push(`- \`${k}\`: ${py(v)}`);
  out.push('', '#### All Hyperparameters', '<details><summary>Click to expand</summary>', '');
  for (const [k, v] of Object.entries(d.allHyperparameters)) out.push(`- \`${k}\`: ${py(v)}`);
  out.push('', '</details>', '');
  if (d.logs.length) {
    const metricNames = [...new Set(d.logs.flatMap((l) => Object.keys(l.metrics)))];
    out.push('### Training Logs', `| Epoch | Step | Training Loss |${metricNames.map((m) => ` ${m} |`).join('')}`, `|:--|:--|:--|${metricNames.map(() => ':--|').join('')}`);
    for (const l of d.logs) out.push(`| ${l.epoch.toFixed(4)} | ${l.step} | ${l.trainingLoss === null ? '-' : l.trainingLoss.toFixed(4)} |${metricNames.map((m) => ` ${m in l.metrics ? fmt(l.metrics[m]) : '-'} |`).join('')}`);
    out.push('');
  }
  out.push('### Framework Versions', `- sentence-tfjs: ${VERSION}`, `- TensorFlow.js (tfjs-core): ${tf.version_core}`, `- Backend: ${d.backend}`, '- Sentence Transformers (format): 6.0.1', '');
  return out.join('\n');
}
