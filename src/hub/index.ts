/**
 * Hugging Face hub access: model id resolution, downloads into the cache shared with Python
 * (huggingface_hub v0.23.4 layout), offline mode, and a fetch + Cache API loader for browsers.
 * Pure TypeScript (no tfjs); Node file-system work goes through src/platform/hub_cache_fs.ts.
 */
export {
  BASIC_TRANSFORMER_MODELS,
  SENTENCE_TRANSFORMERS_ORG,
  hubFileUrl,
  isCommitHash,
  looksLikePath,
  repoFolderName,
  resolveModelId,
  validateRepoId,
} from './repo_id.js';
export { DEFAULT_ENDPOINT, DEFAULT_REVISION, hubEndpoint, isOfflineEnv } from './env.js';
export { getCacheDir, getHfHome, resolveToken, RepoCache } from './cache.js';
export { hfHubDownload, HubSession, type DownloadProgress, type HubDownloadOptions } from './download.js';
export {
  resolveModelPath,
  snapshotDownload,
  snapshotForSentenceTransformer,
  TOKENIZER_FILES,
  type ModuleEntry,
  type SnapshotResult,
} from './snapshot.js';
export { createDirectoryModelSource } from './directory_source.js';
export { createBrowserModelSource, type BrowserHubOptions, type CacheLike, type ModelFileSource } from './browser.js';
export { normalizeEtag, parseFileMetadata, type FileMetadata, type HttpOptions } from './http.js';
export {
  EntryNotFoundError,
  GatedRepoError,
  HubConnectionError,
  HubError,
  HubHttpError,
  HubIntegrityError,
  HubTimeoutError,
  LocalEntryNotFoundError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
  SafetensorsRequiredError,
} from './errors.js';
