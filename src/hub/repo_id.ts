/**
 * Model ids, revisions and hub URLs (pure, browser-safe).
 *
 * - Bare names: sentence-transformers v3.4.1 `SentenceTransformer.__init__`
 *   (https://github.com/huggingface/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/SentenceTransformer.py):
 *   a name that is not an existing path, has no '/' and is not one of the old organisation-less transformers models
 *   gets the `sentence-transformers/` prefix; a name with a backslash or more than one '/' is a missing local path.
 * - Repo ids, folder names and URLs: huggingface_hub v0.23.4 `validate_repo_id`, `repo_folder_name`, `hf_hub_url`
 *   (https://github.com/huggingface/huggingface_hub/blob/4c7aa33bac0b4fb59796e76fcc9cd7f5ff0fd426/src/huggingface_hub/file_download.py).
 */

/** The organisation sentence-transformers puts in front of bare names (`__MODEL_HUB_ORGANIZATION__`). */
export const SENTENCE_TRANSFORMERS_ORG = 'sentence-transformers';

/** Old hub models without an organisation, which sentence-transformers v3.4.1 does not prefix. */
export const BASIC_TRANSFORMER_MODELS: ReadonlySet<string> = new Set([
  'albert-base-v1', 'albert-base-v2', 'albert-large-v1', 'albert-large-v2', 'albert-xlarge-v1', 'albert-xlarge-v2',
  'albert-xxlarge-v1', 'albert-xxlarge-v2', 'bert-base-cased-finetuned-mrpc', 'bert-base-cased', 'bert-base-chinese',
  'bert-base-german-cased', 'bert-base-german-dbmdz-cased', 'bert-base-german-dbmdz-uncased',
  'bert-base-multilingual-cased', 'bert-base-multilingual-uncased', 'bert-base-uncased',
  'bert-large-cased-whole-word-masking-finetuned-squad', 'bert-large-cased-whole-word-masking', 'bert-large-cased',
  'bert-large-uncased-whole-word-masking-finetuned-squad', 'bert-large-uncased-whole-word-masking',
  'bert-large-uncased', 'camembert-base', 'ctrl', 'distilbert-base-cased-distilled-squad', 'distilbert-base-cased',
  'distilbert-base-german-cased', 'distilbert-base-multilingual-cased', 'distilbert-base-uncased-distilled-squad',
  'distilbert-base-uncased-finetuned-sst-2-english', 'distilbert-base-uncased', 'distilgpt2', 'distilroberta-base',
  'gpt2-large', 'gpt2-medium', 'gpt2-xl', 'gpt2', 'openai-gpt', 'roberta-base-openai-detector', 'roberta-base',
  'roberta-large-mnli', 'roberta-large-openai-detector', 'roberta-large', 't5-11b', 't5-3b', 't5-base', 't5-large',
  't5-small', 'transfo-xl-wt103', 'xlm-clm-ende-1024', 'xlm-clm-enfr-1024', 'xlm-mlm-100-1280', 'xlm-mlm-17-1280',
  'xlm-mlm-en-2048', 'xlm-mlm-ende-1024', 'xlm-mlm-enfr-1024', 'xlm-mlm-enro-1024', 'xlm-mlm-tlm-xnli15-1024',
  'xlm-mlm-xnli15-1024', 'xlm-roberta-base', 'xlm-roberta-large-finetuned-conll02-dutch',
  'xlm-roberta-large-finetuned-conll02-spanish', 'xlm-roberta-large-finetuned-conll03-english',
  'xlm-roberta-large-finetuned-conll03-german', 'xlm-roberta-large', 'xlnet-base-cased', 'xlnet-large-cased',
]);

const COMMIT_HASH = /^[0-9a-f]{40}$/;
const REPO_ID = /^(\b[\w\-.]+\b\/)?\b[\w\-.]{1,96}\b$/;

/** Whether `revision` is a full 40-hex commit hash (huggingface_hub `REGEX_COMMIT_HASH`). */
export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

/**
 * Whether a model argument is written as a path rather than a hub id: it starts with `./`, `../`, `/`, `~` or a
 * drive letter, or has a backslash or more than one '/'. Such a name that does not exist is a missing directory,
 * not a hub id.
 */
export function looksLikePath(model: string): boolean {
  return /^(\.{1,2}([\\/]|$)|[\\/~]|[A-Za-z]:[\\/])/.test(model) || model.includes('\\') || model.split('/').length > 2;
}

/**
 * The hub repository id for a model name that is not a local path, as sentence-transformers v3.4.1 derives it:
 * `all-MiniLM-L6-v2` -> `sentence-transformers/all-MiniLM-L6-v2`; `org/name` unchanged; the old
 * organisation-less models (`bert-base-uncased`, ...) unchanged. Callers check for a local directory first.
 * @throws Error for a name with a backslash or more than one '/' (sentence-transformers: a local path that does not exist).
 */
export function resolveModelId(modelNameOrPath: string): string {
  if (typeof modelNameOrPath !== 'string' || modelNameOrPath.trim() === '') {
    throw new TypeError(`modelNameOrPath: expected a hub id such as "sentence-transformers/all-MiniLM-L6-v2" or a local directory, got ${JSON.stringify(modelNameOrPath)}`);
  }
  const name = modelNameOrPath;
  if (name.includes('\\') || name.split('/').length - 1 > 1) {
    throw new Error(`modelNameOrPath: path ${JSON.stringify(name)} not found (it has ${name.includes('\\') ? 'a backslash' : 'more than one "/"'}, so it is not a hub id "org/name", and no such local directory exists)`);
  }
  const id = !name.includes('/') && !BASIC_TRANSFORMER_MODELS.has(name.toLowerCase()) ? `${SENTENCE_TRANSFORMERS_ORG}/${name}` : name;
  validateRepoId(id);
  return id;
}

/**
 * Check a repo id the way huggingface_hub's `validate_repo_id` does.
 * @throws TypeError naming what is wrong.
 */
export function validateRepoId(repoId: string): void {
  if (typeof repoId !== 'string') throw new TypeError(`repoId: expected a string "org/name", got ${typeof repoId}`);
  if (!REPO_ID.test(repoId) || repoId.includes('--') || repoId.includes('..') || repoId.endsWith('.git')) {
    throw new TypeError(
      `repoId: expected "name" or "org/name" made of letters, digits, '-', '_' and '.', without '--' or '..', at most 96 characters, not ending in ".git"; got ${JSON.stringify(repoId)}`,
    );
  }
}

/** The cache folder name of a model repo: `models--org--name` (huggingface_hub `repo_folder_name`). */
export function repoFolderName(repoId: string): string {
  return ['models', ...repoId.split('/')].join('--');
}

/** Python's `urllib.parse.quote(s, safe)`: percent-encode UTF-8 bytes except unreserved characters and `safe`. */
export function pyQuote(s: string, safe = '/'): string {
  let out = '';
  for (const ch of s) {
    if (/[A-Za-z0-9_.\-~]/.test(ch) || safe.includes(ch)) out += ch;
    else for (const b of new TextEncoder().encode(ch)) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * `{endpoint}/{repoId}/resolve/{revision}/{filename}`, revision fully quoted (so `refs/pr/1` -> `refs%2Fpr%2F1`) and
 * the filename quoted keeping '/', as huggingface_hub's `hf_hub_url`.
 */
export function hubFileUrl(endpoint: string, repoId: string, revision: string, filename: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${repoId}/resolve/${pyQuote(revision, '')}/${pyQuote(filename)}`;
}

/**
 * Check a repo-relative file name: forward slashes, no empty, '.' or '..' segment, not absolute.
 * @throws TypeError naming the file.
 */
export function validateRepoFilename(filename: string): void {
  const parts = filename.split('/');
  if (!filename || filename.startsWith('/') || filename.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new TypeError(`filename: expected a path inside the repository such as "1_Pooling/config.json", got ${JSON.stringify(filename)}`);
  }
}
