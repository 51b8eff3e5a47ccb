/**
 * torch's AdamW (`torch.optim.AdamW`, single-tensor path) with parameter groups, and `clip_grad_norm_`.
 * https://github.com/pytorch/pytorch/blob/v1.13.0/torch/optim/adamw.py (`_single_tensor_adamw`)
 * https://github.com/pytorch/pytorch/blob/v1.13.0/torch/nn/utils/clip_grad.py
 *
 * One step of a parameter with gradient g (t counted per parameter from 1, every op in float32, scalars computed
 * in double and rounded to float32 as torch's kernels take them):
 *   p = p * f32(1 - lr * wd);  m = m * b1 + g * (1 - b1);  v = v * b2 + ((1 - b2) * g) * g
 *   denom = sqrt(v) / f32(sqrt(1 - b2^t)) + eps;  p = p + (f32(-lr / (1 - b1^t)) * m) / denom
 * A parameter without a gradient this step (unused by the computation) is not touched at all, not even decayed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamwKernel } from '../kernels/index.js';
import type { NamedParameter } from '../weights/index.js';

/** AdamW's hyperparameters (torch's defaults but the learning rate). */
export interface AdamWOptions {
  /** Base learning rate (the scheduler multiplies it). */
  lr: number;
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Decay of the decayed group (default 0.01, as torch's AdamW and sentence-transformers). */
  weightDecay?: number;
}

/** A parameter in the optimizer: the variable, its name, whether it decays, and Adam's state. */
interface Slot {
  name: string;
  variable: tf.Variable;
  decay: boolean;
  step: number;
  expAvg?: tf.Tensor;
  expAvgSq?: tf.Tensor;
}

/**
 * Whether a parameter decays: not biases and not LayerNorm weights (sentence-transformers' `fit()` rule: no decay
 * for names containing `bias`, `LayerNorm.bias` or `LayerNorm.weight`; the Trainer's rule, every parameter of a
 * LayerNorm layer and every bias, is the same for the encoders here; norms named `layer_norm`/`norm` too).
 */
export function decays(name: string): boolean {
  if (name.includes('bias')) return false;
  return !/(^|\.)(LayerNorm|layer_norm|layernorm|[a-z_]*norm[a-z_0-9]*)\.weight$/i.test(name);
}

const f32 = Math.fround;

/**
 * torch.optim.AdamW over named parameters, two groups (decay / no decay).
 * @example
 * ```ts
 * const opt = new AdamW(params, { lr: 2e-5, weightDecay: 0.01 });
 * opt.step(grads, lrNow); // grads: name -> tensor (missing = no gradient: skipped)
 * ```
 */
export class AdamW {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly baseLr: number;
  private readonly slots: Slot[];

  constructor(params: readonly NamedParameter[], opts: AdamWOptions) {
    if (!(opts.lr >= 0) || !Number.isFinite(opts.lr)) throw new Error(`optimizer: lr must be a finite number >= 0, got ${opts.lr}`);
    this.baseLr = opts.lr;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    if (!(this.weightDecay >= 0)) throw new Error(`optimizer: weightDecay must be >= 0, got ${opts.weightDecay}`);
    this.slots = params.map((p) => ({ name: p.key, variable: p.variable, decay: decays(p.key), step: 0 }));
  }

  /** Names of the parameters in the no-decay group. */
  get noDecayNames(): string[] {
    return this.slots.filter((s) => !s.decay).map((s) => s.name);
  }

  /** One optimizer step at learning rate `lr`; `grads` maps a variable's name (`variable.name`) to its gradient. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    const [b1, b2] = this.betas;
    for (const s of this.slots) {
      const g = grads[s.variable.name];
      if (!g) continue; // no gradient: untouched (torch skips p.grad is None)
      s.step += 1;
      const t = s.step;
      const wd = s.decay ? this.weightDecay : 0;
      const decay = f32(1 - lr * wd);
      const bc2 = f32(Math.sqrt(1 - b2 ** t));
      const stepSize = f32(-lr / (1 - b1 ** t));
      const m0 = s.expAvg;
      const v0 = s.expAvgSq;
      // On wasm with the kernels: one fused pass (same float32 ops in the same order, bit-identical); else the
      // elementwise formula below (cpu, webgl, webgpu, wasm stock ops).
      const fused = adamwKernel(s.variable, g, m0, v0, [f32(b1), f32(1 - b1), f32(b2), f32(1 - b2), decay, bc2, stepSize, f32(this.eps)]);
      const [p, m, v] = fused ?? tf.tidy(() => {
        const m = m0 ? tf.add(tf.mul(m0, f32(b1)), tf.mul(g, f32(1 - b1))) : tf.mul(g, f32(1 - b1));
        const v = v0 ? tf.add(tf.mul(v0, f32(b2)), tf.mul(tf.mul(g, f32(1 - b2)), g)) : tf.mul(tf.mul(g, f32(1 - b2)), g);
        const denom = tf.add(tf.div(tf.sqrt(v), bc2), f32(this.eps));
        const decayed = decay === 1 ? s.variable : tf.mul(s.variable, decay);
        const p = tf.add(decayed, tf.div(tf.mul(m, stepSize), denom));
        return [p, m, v];
      });
      s.variable.assign(p);
      p.dispose();
      m0?.dispose();
      v0?.dispose();
      s.expAvg = m;
      s.expAvgSq = v;
    }
  }

  /** Adam's moments and step counts, by parameter name (for checkpoints). */
  async stateTensors(): Promise<{ steps: Record<string, number>; tensors: Record<string, { shape: number[]; data: Float32Array }> }> {
    const steps: Record<string, number> = {};
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const s of this.slots) {
      steps[s.name] = s.step;
      if (s.expAvg) tensors[`${s.name}.exp_avg`] = { shape: s.expAvg.shape, data: (await s.expAvg.data()) as Float32Array };
      if (s.expAvgSq) tensors[`${s.name}.exp_avg_sq`] = { shape: s.expAvgSq.shape, data: (await s.expAvgSq.data()) as Float32Array };
    }
    return { steps, tensors };
  }

  /** Restore what {@link stateTensors} saved (names must match). */
  loadState(steps: Record<string, number>, tensors: Record<string, { shape: number[]; data: Float32Array }>): void {
    for (const s of this.slots) {
      if (!(s.name in steps)) throw new Error(`checkpoint: optimizer state has no entry for parameter ${s.name} (a checkpoint of another model?)`);
      s.step = steps[s.name];
      const m = tensors[`${s.name}.exp_avg`];
      const v = tensors[`${s.name}.exp_avg_sq`];
      s.expAvg?.dispose();
      s.expAvgSq?.dispose();
      s.expAvg = m ? tf.tensor(m.data, m.shape, 'float32') : undefined;
      s.expAvgSq = v ? tf.tensor(v.data, v.shape, 'float32') : undefined;
    }
  }

  /** Free Adam's moments. */
  dispose(): void {
    for (const s of this.slots) {
      s.expAvg?.dispose();
      s.expAvgSq?.dispose();
      s.expAvg = s.expAvgSq = undefined;
    }
  }
}

/**
 * torch `clip_grad_norm_(params, maxNorm)`: the total L2 norm over the gradients that exist (norm of the per-tensor
 * norms), returned as computed BEFORE clipping; every gradient is then multiplied by
 * `min(maxNorm / (norm + 1e-6), 1)` (in float32). Returns the clipped gradients (new tensors; the inputs are
 * disposed) and the norm. Pass `maxNorm` = Infinity (or <= 0) to only measure. Gradients named in `unclipped`
 * (by variable name) are left out of the norm and passed through unscaled: sentence-transformers 6.0.1 clips
 * `model.parameters()` only, not a loss's own variables (SoftmaxLoss's classifier).
 * Async because the norm is read back to decide the factor: on webgpu a synchronous read throws in Node (Dawn) and,
 * in headless Chromium on SwiftShader, returns zeros and loses the device; on webgl it stalls the pipeline.
 * @example
 * const { grads: clipped, norm } = await clipGradNorm(grads, 1);
 */
export async function clipGradNorm(grads: Record<string, tf.Tensor>, maxNorm: number, unclipped?: ReadonlySet<string>): Promise<{ grads: Record<string, tf.Tensor>; norm: number }> {
  const names = Object.keys(grads).filter((n) => !unclipped?.has(n));
  if (names.length === 0) return { grads, norm: 0 };
  const normT = tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.stack(names.map((n) => tf.sqrt(tf.sum(tf.square(grads[n])))))))));
  let norm: number;
  try {
    norm = (await normT.data())[0];
  } finally {
    normT.dispose();
  }
  return { grads: clipWithNorm(grads, norm, maxNorm, unclipped), norm };
}

/**
 * The clipping half of {@link clipGradNorm} with the norm given: every gradient times
 * `min(maxNorm / (norm + 1e-6), 1)` (float32). Returns new tensors and disposes the inputs (or returns `grads`
 * itself when `maxNorm` is Infinity or <= 0, or when the factor is 1).
 */
function clipWithNorm(grads: Record<string, tf.Tensor>, norm: number, maxNorm: number, unclipped?: ReadonlySet<string>): Record<string, tf.Tensor> {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return grads;
  const coef = Math.min(f32(f32(maxNorm) / f32(norm + f32(1e-6))), 1);
  if (coef === 1) return grads; // x * 1 is x, bit for bit (torch multiplies by the clamped 1.0 anyway)
  const out: Record<string, tf.Tensor> = {};
  for (const n of Object.keys(grads)) {
    if (unclipped?.has(n)) {
      out[n] = grads[n];
      continue;
    }
    out[n] = tf.mul(grads[n], coef);
    grads[n].dispose();
  }
  return out;
}
