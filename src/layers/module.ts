/**
 * A tiny module tree after PyTorch's `nn.Module`: a module registers each child under the name the checkpoint uses,
 * so a module's path (`encoder.layer.3.attention.self`) is both its weights' key prefix (below the base-model prefix
 * such as `bert.`) and the name of its inspection tap. The list of valid taps is the tree, walked
 * ({@link Module.tapNames}); nothing keeps a second list.
 * https://pytorch.org/docs/1.13/generated/torch.nn.Module.html (`add_module`, `named_modules`)
 *
 * @example
 * class Output extends Module {
 *   readonly dense = this.linear('dense', 64, 32);           // weights `<path>.dense.*`
 *   readonly LayerNorm = this.layerNorm('LayerNorm', 32, 1e-12);
 *   apply(x: tf.Tensor3D, residual: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
 *     return this.record(taps, this.LayerNorm.apply(this.dense.apply(x), residual)); // tap `<path>`
 *   }
 * }
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { WeightMap } from '../weights/index.js';
import { LayerNorm } from './layer_norm.js';
import { Linear } from './linear.js';
import type { TapRecorder } from './taps.js';

interface Child {
  readonly name: string;
  readonly value: unknown;
  /** Whether the child's output is a tap (recorded under `<path>.<name>`). */
  readonly tap: boolean;
}

export class Module {
  private modulePath = '';
  private readonly children: Child[] = [];

  /** `wm`: this module's weights, the checkpoint view under its path. */
  constructor(protected readonly wm: WeightMap) {}

  /** Path from the model root (HF `named_modules()` name, e.g. `encoder.layer.3.attention`); '' for the root. */
  get path(): string {
    return this.modulePath;
  }

  /**
   * Build and register the child module `name` from the weights under `<path>.<name>`. Its output is a tap unless
   * `tap` is false (pure containers such as `encoder` and `encoder.layer`, which have no output of their own).
   */
  module<M extends Module>(name: string | number, build: (wm: WeightMap) => M, tap = true): M {
    const m = build(this.wm.pp(name));
    this.children.push({ name: String(name), value: m, tap });
    m.attach(this.join(String(name)));
    return m;
  }

  /**
   * Load and register a leaf layer (from layers/: Linear, LayerNorm, SelfAttention, ...) named `name`; `load`
   * receives this module's weights and the name. With `tap`, its output is a tap that this module records with
   * `record(taps, out, name)`.
   */
  leaf<L>(name: string, load: (wm: WeightMap, name: string) => L, tap = false): L {
    const layer = load(this.wm, name);
    this.children.push({ name, value: layer, tap });
    return layer;
  }

  /**
   * A `nn.Linear(inFeatures, outFeatures)` leaf named `name`. `q8ActGroup` (an attention output projection: the head
   * size): see `Linear.load` (src/layers/linear.ts).
   */
  protected linear(name: string, inFeatures: number, outFeatures: number, q8ActGroup = 0): Linear {
    return this.leaf(name, (wm, n) => Linear.load(wm, n, inFeatures, outFeatures, true, q8ActGroup));
  }

  /** A `nn.LayerNorm(size, eps)` leaf named `name` (`tap`: its output is a tap). */
  protected layerNorm(name: string, size: number, eps: number, tap = false): LayerNorm {
    return this.leaf(name, (wm, n) => LayerNorm.load(wm, n, size, eps), tap);
  }

  /** Every tap name below this module, in order: a module before its children, children as registered. */
  tapNames(): string[] {
    const names: string[] = [];
    for (const c of this.children) {
      if (c.tap) names.push(this.join(c.name));
      if (c.value instanceof Module) for (const n of c.value.tapNames()) names.push(n);
    }
    return names;
  }

  /** Record `out` as this module's tap, or with `child` as that leaf's (when requested); returns `out`. */
  protected record<T extends tf.Tensor>(taps: TapRecorder, out: T, child?: string): T {
    taps.put(child === undefined ? this.modulePath : this.join(child), out);
    return out;
  }

  private join(name: string): string {
    return this.modulePath ? `${this.modulePath}.${name}` : name;
  }

  /** Set the path once the parent registers this module (children registered earlier follow). */
  private attach(path: string): void {
    this.modulePath = path;
    for (const c of this.children) if (c.value instanceof Module) c.value.attach(this.join(c.name));
  }
}
