/**
 * tfjs-core registers no gradients for its own ops unless `@tensorflow/tfjs-core/dist/register_all_gradients` is
 * imported (the @tensorflow/tfjs umbrella does; the inference library does not, for bundle size). Training loads
 * it on first use unless the gradients are registered already. That file is an ES module with extension-less
 * relative imports: bundlers and tsx resolve it, Node's own ES-module loader does not; under plain Node, import
 * `@tensorflow/tfjs` (whose bundle registers them) before training. The error says so.
 */
import * as tf from '@tensorflow/tfjs-core';

let loaded: Promise<void> | undefined;

/** Whether tfjs' gradients are registered (probed on ops every model uses). */
function registered(): boolean {
  return ['BatchMatMul', 'Softmax', 'GatherV2', 'Sum'].every((k) => tf.getGradient(k) !== undefined);
}

/** Register tfjs' gradients once (idempotent). */
export function ensureGradients(): Promise<void> {
  if (registered()) return Promise.resolve();
  loaded ??= import('@tensorflow/tfjs-core/dist/register_all_gradients.js').then(
    () => undefined,
    (e: unknown) => {
      loaded = undefined;
      throw new Error(
        `training needs tfjs' gradients (@tensorflow/tfjs-core/dist/register_all_gradients), which could not be loaded: ${(e as Error).message}. ` +
          `Import '@tensorflow/tfjs' (which registers them) or that file before training, or run through a bundler.`,
      );
    },
  );
  return loaded;
}
