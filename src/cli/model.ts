/**
 * Loading models for the CLI: hub options from the command line, download progress bars, and one-line
 * explanations of the usual failures (model not cached and hub unreachable, no such directory, gated repository).
 */
import type { CompatMode } from '../api/encode_options.js';
import type { SentenceTransformer } from '../api/sentence_transformer.js';
import type { DeviceName } from '../backends/index.js';
import {
  GatedRepoError,
  getCacheDir,
  HubConnectionError,
  hubEndpoint,
  HubTimeoutError,
  isOfflineEnv,
  LocalEntryNotFoundError,
  looksLikePath,
  repoFolderName,
  RepositoryNotFoundError,
  resolveModelId,
  type HubDownloadOptions,
} from '../hub/index.js';
import { absolutePath, pathExists } from '../platform/cli_io.js';
import { choiceOpt, CliError, flagOpt, stringOpt, UsageError, type Parsed } from './args.js';
import { PROGRAM, type CliContext } from './command.js';
import { DownloadBars } from './progress.js';

/** The hub options given on the command line (`--revision`, `--cache-folder`, `--token`, `--offline`). */
export function hubOptionsFrom(p: Parsed): HubDownloadOptions {
  const o: HubDownloadOptions = {};
  const revision = stringOpt(p, 'revision');
  const cacheFolder = stringOpt(p, 'cache-folder');
  const token = stringOpt(p, 'token');
  if (revision !== undefined) o.revision = revision;
  if (cacheFolder !== undefined) o.cacheFolder = cacheFolder;
  if (token !== undefined) o.token = token;
  if (flagOpt(p, 'offline')) o.localFilesOnly = true;
  return o;
}

/** The devices `--device` accepts (backends/ SUPPORTED_DEVICES; not imported here so that --help loads no tfjs). */
const DEVICES: readonly DeviceName[] = ['wasm', 'cpu', 'webgpu', 'webgl', 'tensorflow', 'cuda'];

/** `--device`, checked against the supported devices. */
export function deviceFrom(p: Parsed, command: string): DeviceName | undefined {
  return choiceOpt(p, 'device', DEVICES, command);
}

/** `--compat`: the sentence-transformers behaviour to follow (6.0, the default, or 3.4: strip the texts). */
export function compatFrom(p: Parsed, command: string): CompatMode | undefined {
  return choiceOpt(p, 'compat', COMPAT_MODES, command);
}

const COMPAT_MODES: readonly CompatMode[] = ['6.0', '3.4'];

/** The hub id a model argument stands for, or undefined when it is not a valid id. */
function hubIdOf(model: string): string | undefined {
  try {
    return resolveModelId(model);
  } catch {
    return undefined;
  }
}

/**
 * Turn a model-loading failure into a {@link CliError} with one line that says what was looked for, where, and
 * what to do; other errors are returned unchanged.
 */
export async function explainModelError(e: unknown, model: string, option: string, hub: HubDownloadOptions): Promise<unknown> {
  if (e instanceof CliError || e instanceof UsageError) return e;
  const repoId = hubIdOf(model);
  if (e instanceof LocalEntryNotFoundError || e instanceof HubConnectionError || e instanceof HubTimeoutError) {
    const cache = await getCacheDir(hub.cacheFolder);
    const where = repoId ? `${cache}/${repoFolderName(repoId)}` : cache;
    const offline = hub.localFilesOnly || isOfflineEnv();
    // the network failure itself (refused, DNS, timeout, ...): the hub's error says it, one level down for a cache miss
    const cause = e instanceof LocalEntryNotFoundError ? e.cause : e;
    const reason = cause instanceof Error && cause.message ? ` (${cause.message})` : '';
    const why = offline ? 'offline mode is on (--offline or HF_HUB_OFFLINE=1)' : `the hub could not be reached${reason}`;
    const head = `${option} ${model}: model ${repoId ?? model} is not in the cache (looked in ${where}) and ${why}`;
    if (option === 'MODEL') {
      // the download command itself: nothing to suggest but the network
      const hint = offline ? 'unset HF_HUB_OFFLINE / drop --offline to download' : `check the network and HF_ENDPOINT (${hubEndpoint()})`;
      return new CliError(`${head}; ${hint}`, { cause: e });
    }
    return new CliError(
      `${head}; download it first with '${PROGRAM} download ${model}' where the network is available (or set --cache-folder / HF_HUB_CACHE), ` +
        `or pass ${option} <dir> with a local model directory`,
      { cause: e },
    );
  }
  if (e instanceof GatedRepoError) {
    return new CliError(`${option} ${model}: ${repoId ?? model} is a gated repository: pass --token (or set HF_TOKEN) for an account that accepted its conditions`, { cause: e });
  }
  if (e instanceof RepositoryNotFoundError) {
    return new CliError(`${option} ${model}: no repository ${repoId ?? model} on the hub and no local directory ${absolutePath(model)} (a private repository needs --token)`, { cause: e });
  }
  // CrossEncoder.load names its own argument (modelIdOrDir); on the command line that argument is the option
  const own = `modelIdOrDir (model_name) ${JSON.stringify(model)}: `;
  if (e instanceof Error && e.message.startsWith(own)) return new CliError(`${option} ${model}: ${e.message.slice(own.length)}`, { cause: e });
  return e;
}

/** Check a model argument before loading: a path-like argument must exist as a directory. */
export async function checkModelArg(model: string, option: string): Promise<void> {
  if (!looksLikePath(model)) return;
  if (!(await pathExists(model))) throw new CliError(`${option} ${model}: no such model directory ${absolutePath(model)}`);
}

/** Load a SentenceTransformer for a command, with download bars on stderr; failures are explained in one line. */
export async function loadSentenceTransformer(model: string, p: Parsed, ctx: CliContext, command: string, option = '--model'): Promise<SentenceTransformer> {
  const device = deviceFrom(p, command);
  const compat = compatFrom(p, command);
  const { SentenceTransformer } = await import('../api/sentence_transformer.js');
  return loadWith(model, p, ctx, option, (hub) => SentenceTransformer.load(model, { device, hub, compat }));
}

/**
 * tfjs prints notes through its own `warn` (on the cpu backend, "Hi, looks like you are running TensorFlow.js in
 * Node.js..." on first use, also on `--device cpu`; platform notes): tfjs' production mode (`enableProdMode`,
 * whose only effect in tfjs 4.x is to skip those warnings) keeps the CLI's stderr for its own messages. `--verbose`
 * lets them through.
 */
async function quietTfjs(ctx: CliContext): Promise<void> {
  if (ctx.verbose) return;
  const tf = await import('@tensorflow/tfjs-core');
  tf.enableProdMode();
}

/** Run a loader of any model kind (e.g. a CrossEncoder) with the same hub options, bars and explanations. */
export async function loadWith<T>(
  model: string,
  p: Parsed,
  ctx: CliContext,
  option: string,
  load: (hub: Record<string, unknown>) => Promise<T>,
): Promise<T> {
  const hub = hubOptionsFrom(p);
  await checkModelArg(model, option);
  await quietTfjs(ctx);
  const bars = new DownloadBars(ctx.progress);
  try {
    return await load({ ...hub, onProgress: bars.onProgress });
  } catch (e) {
    throw await explainModelError(e, model, option, hub);
  } finally {
    bars.stop();
  }
}
