/**
 * Progress reporting for long encodes: an `onProgress(done, total)` callback anywhere, and in Node a progress
 * bar on stderr (the `cli-progress` package, loaded lazily so browser bundles never need it; silent when stderr
 * is not a TTY).
 */

/** Called after every batch with the number of inputs done and the total. */
export type ProgressCallback = (done: number, total: number) => void;

interface Bar {
  update(done: number): void;
  stop(): void;
}

function stderrIsTTY(): boolean {
  const p = (globalThis as { process?: { stderr?: { isTTY?: boolean }; versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string' && p.stderr?.isTTY === true;
}

async function createBar(total: number, label: string): Promise<Bar | undefined> {
  if (!stderrIsTTY()) return undefined;
  try {
    const mod = (await import('cli-progress')) as unknown as { default?: typeof import('cli-progress') } & typeof import('cli-progress');
    const cp = mod.default ?? mod;
    const bar = new cp.SingleBar(
      { format: `${label} |{bar}| {value}/{total} texts {percentage}% | ETA {eta_formatted} | {duration_formatted}`, stream: (globalThis as unknown as { process: { stderr: NodeJS.WriteStream } }).process.stderr, hideCursor: true, clearOnComplete: false },
      cp.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (d) => bar.update(d), stop: () => bar.stop() };
  } catch {
    return undefined;
  }
}

/** A progress reporter combining the optional bar and the optional callback. */
export class Progress {
  private constructor(
    private readonly total: number,
    private readonly bar: Bar | undefined,
    private readonly callback: ProgressCallback | undefined,
  ) {}

  static async start(total: number, opts: { showProgressBar?: boolean; onProgress?: ProgressCallback; label?: string }): Promise<Progress> {
    const bar = opts.showProgressBar && total > 0 ? await createBar(total, opts.label ?? 'Encoding') : undefined;
    return new Progress(total, bar, opts.onProgress);
  }

  update(done: number): void {
    this.bar?.update(done);
    this.callback?.(done, this.total);
  }

  stop(): void {
    this.bar?.stop();
  }
}
