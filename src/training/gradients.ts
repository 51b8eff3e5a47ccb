/**
 * tfjs-core registers no gradients for its own ops unless `@tensorflow/tfjs-core/dist/register_all_gradients` is
 * imported (the @tensorflow/tfjs umbrella does; the inference library does not, for bundle size). Training loads
 * them on first use unless they are registered already, from ./tfjs_gradients.js: that file bundled into one
 * self-contained ES module (scripts/build-gradients.mjs), because the original has extension-less relative
 * imports that Node's own ES-module loader cannot resolve.
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
  loaded ??= import('./tfjs_gradients.js').then(
    () => undefined,
    (e: unknown) => {
      loaded = undefined;
      throw new Error(
        `training needs tfjs' gradients (src/training/tfjs_gradients.js, from @tensorflow/tfjs-core/dist/register_all_gradients), which could not be loaded: ${(e as Error).message}. ` +
          `Import '@tensorflow/tfjs' (which registers them) before training.`,
      );
    },
  );
  return loaded;
}
