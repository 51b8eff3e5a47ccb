/**
 * Download progress bars on stderr (`cli-progress`): one bar per file that is actually transferred, drawn only
 * when the context allows it (stderr is a terminal and no `--quiet`). Cached files draw nothing.
 */
import cliProgress from 'cli-progress';
import type { DownloadProgress } from '../hub/index.js';
import { stderrStream } from '../platform/cli_io.js';

/** Bytes as B / kB / MB / GB (decimal units, as the hub shows sizes). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** Turns the hub's `onProgress` events into one progress bar per transferred file. */
export class DownloadBars {
  private bar: cliProgress.SingleBar | undefined;
  private current: string | undefined;
  /** Files transferred (not served from the cache) and their bytes. */
  readonly transferred: { file: string; bytes: number }[] = [];

  constructor(
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WritableStream = stderrStream(),
  ) {}

  /** The hub callback (bind-free). */
  readonly onProgress = (p: DownloadProgress): void => {
    if (p.cached) return;
    const key = `${p.repoId}/${p.file}`;
    if (key !== this.current) {
      this.finishBar();
      this.current = key;
      this.transferred.push({ file: p.file, bytes: p.loaded });
      if (this.enabled) {
        this.bar = new cliProgress.SingleBar(
          {
            format: '{file} |{bar}| {percentage}% | {done} / {size}',
            stream: this.stream,
            hideCursor: true,
            clearOnComplete: false,
            noTTYOutput: false,
          },
          cliProgress.Presets.shades_classic,
        );
        const total = p.total ?? 0;
        this.bar.start(Math.max(total, 1), 0, { file: p.file, done: formatBytes(0), size: p.total === undefined ? '?' : formatBytes(total) });
      }
    }
    this.transferred[this.transferred.length - 1].bytes = p.loaded;
    this.bar?.update(p.total ? p.loaded : 0, { done: formatBytes(p.loaded) });
  };

  private finishBar(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** Stop the last bar. */
  stop(): void {
    this.finishBar();
    this.current = undefined;
  }
}

/** Seconds as `42s`, `3m 05s` or `2h 07m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * One line of the texts progress bar: texts done (of the total when known), texts/s and the ETA (or, with no
 * total, the time spent), e.g. `Encoding |█████░░░░░| 45000/100000 texts 45% | 1234 texts/s | ETA 44s`.
 */
export function formatTextsProgress(p: { label: string; done: number; total?: number; elapsedSeconds: number; barWidth?: number }): string {
  const { label, done, total, elapsedSeconds } = p;
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const rateText = `${rate >= 100 ? Math.round(rate) : rate.toFixed(1)} texts/s`;
  if (total === undefined) return `${label} ${done} texts | ${rateText} | ${formatDuration(elapsedSeconds)}`;
  const width = p.barWidth ?? 30;
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(frac * width);
  const eta = done >= total ? 0 : rate > 0 ? (total - done) / rate : NaN;
  return `${label} |${'\u2588'.repeat(full)}${'\u2591'.repeat(width - full)}| ${done}/${total} texts ${Math.floor(frac * 100)}% | ${rateText} | ETA ${formatDuration(eta)}`;
}

/**
 * A progress line on stderr that counts texts (redrawn at most every 200 ms while stderr is a terminal; nothing
 * when disabled). `total` may be unknown (input from a pipe): then the line shows the count, rate and time spent.
 */
export class TextsProgress {
  private done = 0;
  private lastDraw = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly enabled: boolean,
    private readonly total: number | undefined,
    private readonly label = 'Encoding',
    private readonly stream: NodeJS.WritableStream = stderrStream(),
  ) {}

  /** Set the number of texts done. */
  update(done: number): void {
    this.done = done;
    const now = Date.now();
    if (this.enabled && now - this.lastDraw >= 200) {
      this.lastDraw = now;
      this.draw(now);
    }
  }

  private draw(now: number): void {
    const line = formatTextsProgress({ label: this.label, done: this.done, total: this.total, elapsedSeconds: (now - this.started) / 1000 });
    this.stream.write(`\r${line}\u001b[K`);
    this.drawn = true;
  }

  /** Draw the final state and end the line. */
  stop(): void {
    if (!this.enabled) return;
    this.draw(Date.now());
    if (this.drawn) this.stream.write('\n');
  }
}

/**
 * Run `work` with a {@link TextsProgress} line for `total` texts (drawn when `enabled` and there is more than one
 * batch), stopped when the work ends.
 */
export async function withTextsProgress<T>(enabled: boolean, total: number, batchSize: number, label: string, work: (onProgress: (done: number) => void) => Promise<T>): Promise<T> {
  const bar = new TextsProgress(enabled && total > batchSize, total, label);
  try {
    return await work((done) => bar.update(done));
  } finally {
    bar.stop();
  }
}
