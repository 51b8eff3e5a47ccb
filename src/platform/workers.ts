/**
 * Worker threads behind one small interface, for the encode pool (api/pool.ts):
 * `worker_threads` under Node, Web Workers (module workers) in browsers.
 *
 * Under Node, a TypeScript entry (`.ts`, as in development and tests through tsx) is started through a tiny
 * bootstrap that registers tsx's ESM loader inside the worker first (Node 20 does not apply the parent's
 * `--import tsx` to a worker's own entry module); compiled `.js` entries (dist/) start directly.
 *
 * In browsers, a worker that ends itself ({@link ParentPort.exit}) first posts a marker message, since closing is
 * otherwise invisible to the parent; an uncaught error, or a module that fails to load, ends the worker (it is
 * terminated, as a Node thread would be). Both halves are tested: test/pool.test.ts (worker_threads) and
 * test/browser_pool.test.ts (module Web Workers in headless Chromium).
 */
import { isNode } from './fs.js';
import { nodeBuiltins } from './node_builtins.js';

/** A message that crossed (or will cross) a worker boundary. */
export type WorkerMessage = unknown;

/** The parent's handle on one worker. */
export interface WorkerHandle {
  /** Send a message; `transfer` lists ArrayBuffers whose ownership moves to the worker. */
  post(msg: WorkerMessage, transfer?: ArrayBuffer[]): void;
  /** Called for every message from the worker. */
  onMessage(cb: (msg: WorkerMessage) => void): void;
  /** Called when the worker ends: `code` is its exit code (browsers: 1 after an uncaught error), `error` what it threw, if anything. */
  onExit(cb: (code: number, error?: Error) => void): void;
  /** Stop the worker; resolves once it has ended. */
  terminate(): Promise<void>;
  /** Let (false) or keep (true) the process alive while this worker exists (Node only; no-op in browsers). */
  keepAlive(on: boolean): void;
}

/** The worker's own side: talking to its parent. */
export interface ParentPort {
  post(msg: WorkerMessage, transfer?: ArrayBuffer[]): void;
  onMessage(cb: (msg: WorkerMessage) => void): void;
  /** End this worker now with `code` (Node: the thread exits; browsers: `self.close()`). */
  exit(code: number): void;
}

let live = 0;

/** How many workers started by {@link spawnWorker} have not ended yet (Node: counted until their exit event). */
export function liveWorkerCount(): number {
  return live;
}

/** tsx's ESM register API as a file URL (ESM `import.meta.resolve`; under a CommonJS transform, from tsx's exports map). */
async function resolveTsxApi(): Promise<string> {
  const meta = import.meta as { resolve?: (s: string) => string; url?: string };
  if (typeof meta.resolve === 'function') return meta.resolve('tsx/esm/api');
  const [{ createRequire }, { pathToFileURL }, { readFileSync }, { dirname, join }] = await Promise.all([
    nodeBuiltins.module(),
    nodeBuiltins.url(),
    nodeBuiltins.fs(),
    nodeBuiltins.path(),
  ]);
  const from = typeof meta.url === 'string' ? meta.url : pathToFileURL(`${process.cwd()}/`).href;
  const pkgJson = createRequire(from).resolve('tsx/package.json');
  const exp = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> }).exports?.['./esm/api'];
  const rel = exp?.import?.default;
  if (!rel) throw new Error(`${pkgJson} has no exports["./esm/api"].import`);
  return pathToFileURL(join(dirname(pkgJson), rel)).href;
}

async function spawnNodeWorker(entry: URL): Promise<WorkerHandle> {
  const { Worker } = await nodeBuiltins.workerThreads();
  let worker: InstanceType<typeof Worker>;
  if (/\.(ts|mts|cts|tsx)$/.test(entry.pathname)) {
    // Development / tests: the entry is TypeScript, so register tsx inside the worker before importing it.
    let api: string;
    try {
      api = await resolveTsxApi();
    } catch (e) {
      throw new Error(`a TypeScript worker entry (${entry.href}) needs tsx to be installed: ${(e as Error).message}`);
    }
    const code =
      `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })` +
      `.catch((e) => { setImmediate(() => { throw e; }); });`;
    worker = new Worker(code, { eval: true, execArgv: [] });
  } else {
    worker = new Worker(entry, { execArgv: [] });
  }
  live++;
  let lastError: Error | undefined;
  const exitCbs: ((code: number, error?: Error) => void)[] = [];
  worker.on('error', (e: Error) => {
    lastError = e;
  });
  worker.on('exit', (code: number) => {
    live--;
    for (const cb of exitCbs) cb(code, lastError);
  });
  return {
    post: (msg, transfer) => worker.postMessage(msg, transfer ?? []),
    onMessage: (cb) => void worker.on('message', cb),
    onExit: (cb) => void exitCbs.push(cb),
    terminate: async () => {
      await worker.terminate();
    },
    keepAlive: (on) => (on ? worker.ref() : worker.unref()),
  };
}

/**
 * The message a browser worker posts just before `self.close()` ({@link ParentPort.exit}): browsers fire no event
 * on the parent's side when a worker closes itself, so this is how the parent learns the worker ended and why.
 */
const BROWSER_EXIT_MARK = '__sentenceTfjsWorkerExit';

function exitCodeOf(msg: unknown): number | undefined {
  if (typeof msg !== 'object' || msg === null || !(BROWSER_EXIT_MARK in msg)) return undefined;
  const code = (msg as Record<string, unknown>)[BROWSER_EXIT_MARK];
  return typeof code === 'number' ? code : 1;
}

/** An Error from a worker ErrorEvent's text ("Uncaught TypeError: x" -> a TypeError-named Error with message "x"). */
function uncaughtError(text: string): Error {
  const m = /^(?:Uncaught )?(?:(\w*Error): )?([\s\S]*)$/.exec(text)!;
  const e = new Error(m[2]);
  if (m[1]) e.name = m[1];
  return e;
}

function spawnBrowserWorker(entry: URL): WorkerHandle {
  const W = (globalThis as unknown as { Worker?: new (u: URL, o: { type: 'module' }) => Worker }).Worker;
  if (!W) throw new Error('this environment has neither worker_threads (Node.js) nor Web Workers');
  const worker = new W(entry, { type: 'module' });
  live++;
  const exitCbs: ((code: number, error?: Error) => void)[] = [];
  const msgCbs: ((msg: WorkerMessage) => void)[] = [];
  let ended = false;
  const end = (code: number, error?: Error): void => {
    if (ended) return;
    ended = true;
    live--;
    // A worker that reported an error or closed itself may still be winding down: make sure it is gone, as a
    // Node thread is after an uncaught error or process.exit().
    worker.terminate();
    for (const cb of exitCbs) cb(code, error);
  };
  worker.addEventListener('error', (ev: Event) => {
    // An uncaught error inside the worker arrives as an ErrorEvent with a message; a module that could not be
    // fetched or parsed as a plain Event with none.
    ev.preventDefault();
    const text = typeof ErrorEvent !== 'undefined' && ev instanceof ErrorEvent ? ev.message : '';
    end(1, text ? uncaughtError(text) : new Error(`could not load the worker module ${entry.href} (not found, not JavaScript, or one of its imports failed)`));
  });
  worker.addEventListener('messageerror', () => end(1, new Error('a message from the worker could not be deserialized')));
  worker.addEventListener('message', (ev: MessageEvent) => {
    if (ended) return;
    const code = exitCodeOf(ev.data);
    if (code !== undefined) return end(code);
    for (const cb of msgCbs) cb(ev.data);
  });
  return {
    post: (msg, transfer) => {
      if (!ended) worker.postMessage(msg, transfer ?? []);
    },
    onMessage: (cb) => void msgCbs.push(cb),
    onExit: (cb) => void exitCbs.push(cb),
    terminate: async () => {
      worker.terminate();
      end(0);
    },
    keepAlive: () => undefined,
  };
}

/**
 * Whether this environment can start workers: always under Node (worker_threads); in browsers, when a `Worker`
 * constructor exists (pages and dedicated workers have one; some worklets, service workers and embedded runtimes do not).
 */
export function workersAvailable(): boolean {
  return isNode() || typeof (globalThis as { Worker?: unknown }).Worker === 'function';
}

/** Start a worker running the ES module at `entry`. */
export async function spawnWorker(entry: URL): Promise<WorkerHandle> {
  return isNode() ? spawnNodeWorker(entry) : spawnBrowserWorker(entry);
}

/** Inside a worker: the port to the parent (Node `parentPort`, or the browser worker's global scope). */
export async function parentPort(): Promise<ParentPort> {
  if (isNode()) {
    const wt = await nodeBuiltins.workerThreads();
    const port = wt.parentPort;
    if (!port) throw new Error('parentPort(): not running inside a worker thread');
    return {
      post: (msg, transfer) => port.postMessage(msg, transfer ?? []),
      onMessage: (cb) => void port.on('message', cb),
      exit: (code) => process.exit(code),
    };
  }
  const scope = globalThis as unknown as {
    postMessage(m: unknown, t: ArrayBuffer[]): void;
    addEventListener(t: 'message', cb: (ev: MessageEvent) => void): void;
    close(): void;
  };
  return {
    post: (msg, transfer) => scope.postMessage(msg, transfer ?? []),
    onMessage: (cb) => scope.addEventListener('message', (ev) => cb(ev.data)),
    exit: (code) => {
      // Tell the parent first: closing itself is invisible to the parent in browsers (see BROWSER_EXIT_MARK).
      scope.postMessage({ [BROWSER_EXIT_MARK]: code }, []);
      scope.close();
    },
  };
}
