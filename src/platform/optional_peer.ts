/**
 * Loading optional peer packages (`@tensorflow/tfjs-node`, `@tensorflow/tfjs-node-gpu`, `webgpu`, the tfjs WebGL and
 * WebGPU backends) on demand.
 *
 * The specifier is passed through a variable so that neither TypeScript nor a bundler tries to resolve a
 * package that is not installed; a missing package becomes an error that names the package to install.
 */

/** Thrown when an optional peer package is not installed. */
export class MissingPeerError extends Error {
  /** The npm package that is missing. */
  readonly packageName: string;
  /** Every optional package the purpose needs (the missing one included), all named by the message. */
  readonly packages: readonly string[];
  /**
   * @param packageName the package that is not installed
   * @param purpose what it is needed for, e.g. `device 'webgpu' in Node.js`
   * @param cause the import error
   * @param packages every package the purpose needs, so that one `npm install` gets them all (default: the missing one)
   */
  constructor(packageName: string, purpose: string, cause?: unknown, packages: readonly string[] = [packageName]) {
    const all = packages.includes(packageName) ? [...packages] : [packageName, ...packages];
    super(
      all.length === 1
        ? `${purpose} needs the optional package '${packageName}', which is not installed: run \`npm install ${packageName}\``
        : `${purpose} needs the optional packages ${all.map((p) => `'${p}'`).join(' and ')}; '${packageName}' is not installed: ` +
            `run \`npm install ${all.join(' ')}\``,
    );
    this.name = 'MissingPeerError';
    this.packageName = packageName;
    this.packages = all;
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/** Whether an import error means "this very package was not found" (as opposed to a failure inside it). */
export function isModuleNotFound(e: unknown, packageName: string): boolean {
  const err = e as { code?: string; message?: string } | null;
  if (!err || typeof err !== 'object') return false;
  const code = err.code ?? '';
  const msg = err.message ?? '';
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND' && !/Cannot find (module|package)/.test(msg)) return false;
  // Only when the missing module is the peer itself, not one of its own dependencies.
  return msg.includes(`'${packageName}'`) || msg.includes(`"${packageName}"`) || msg.includes(`${packageName}/`);
}

/**
 * Import an optional peer package.
 * @param packageName the npm package, e.g. `@tensorflow/tfjs-node`
 * @param purpose what it is needed for, used in the error (e.g. `device 'tensorflow'`)
 * @param packages every optional package the purpose needs, all named in the error (default: this one)
 * @throws {MissingPeerError} when the package is not installed; other load errors are re-thrown unchanged
 */
export async function importOptionalPeer<T = Record<string, unknown>>(packageName: string, purpose: string, packages?: readonly string[]): Promise<T> {
  const specifier: string = packageName;
  try {
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as T;
  } catch (e) {
    if (isModuleNotFound(e, packageName)) throw new MissingPeerError(packageName, purpose, e, packages);
    throw e;
  }
}
