import * as tf from '@tensorflow/tfjs';
import type { Params } from './params';
import { adamwStep, type AdamWConfig } from '../kernels/adamw/op';

export type { AdamWConfig };

/** tf.variable keeps its init tensor alive unless created inside tidy. */
const scalarVariable = () => tf.tidy(() => tf.variable(tf.scalar(0), false));

export const ADAMW_DEFAULTS: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1.0 };

/**
 * AdamW with global-norm gradient clipping that never reads the GPU back:
 * - the clip factor min(1, clip/‖g‖) is a tensor;
 * - a step whose gradient norm is not finite is skipped ON the GPU (tf.where keeps the old
 *   weights and moments), and counted in `skipped`, which the trainer reads asynchronously.
 * The step counter for bias correction lives on the GPU too, so skipped steps do not advance it.
 */
export class AdamW {
  // All maps are keyed by the tfjs variable name (what tf.variableGrads returns).
  private byName = new Map<string, tf.Variable>();
  private m = new Map<string, tf.Variable>();
  private v = new Map<string, tf.Variable>();
  readonly steps = scalarVariable(); // applied (finite) steps
  readonly skipped = scalarVariable(); // non-finite steps skipped

  constructor(
    params: Params,
    readonly cfg: AdamWConfig = ADAMW_DEFAULTS,
  ) {
    tf.tidy(() => {
      for (const p of params.values()) {
        if (!p.trainable) continue;
        const name = p.name;
        this.byName.set(name, p);
        this.m.set(name, tf.variable(tf.zerosLike(p), false));
        this.v.set(name, tf.variable(tf.zerosLike(p), false));
      }
    });
  }

  /** Applies one update. Returns the global gradient norm before clipping (a kept scalar: dispose it). */
  apply(grads: Record<string, tf.Tensor>, lr: number): tf.Scalar {
    const state = { params: this.byName, m: this.m, v: this.v, steps: this.steps, skipped: this.skipped };
    return adamwStep(state, this.cfg, grads, lr); // kernels/adamw: fused on webgpu, the reference elsewhere
  }

  /** Moments by tfjs variable name, for checkpoints. */
  state(): { m: Map<string, tf.Variable>; v: Map<string, tf.Variable> } {
    return { m: this.m, v: this.v };
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.steps.dispose();
    this.skipped.dispose();
  }
}
