import * as tf from '@tensorflow/tfjs';
import type { Params } from './params';
import { coefficientsKernel, counterKernel, normOf, sumSquaresKernel, updateKernel } from '../kernels/adamw';
import { onWebGPU } from '../kernels/runProgram';
import { tuning } from '../kernels/tuning';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number; // decoupled (Loshchilov & Hutter); applied to matrices only, as nanoGPT does
  gradClip: number; // max global L2 norm; 0 turns clipping off
}

/**
 * Sum of many same-shape tensors. tf.addN binds every input as a storage buffer in ONE shader;
 * past the device's maxStorageBuffersPerShaderStage (8 on many GPUs) WebGPU rejects the pipeline
 * and tfjs silently returns zeros. So add in chunks of 6.
 */
function sumAll(xs: tf.Tensor[]): tf.Tensor {
  let level = xs;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 6) {
      const chunk = level.slice(i, i + 6);
      next.push(chunk.length === 1 ? chunk[0] : tf.addN(chunk));
    }
    level = next;
  }
  return level[0];
}

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
    return onWebGPU() && tuning.fusedKernels ? this.applyFused(grads, lr) : this.applyReference(grads, lr);
  }

  /**
   * The same step on barrier-free kernels (src/kernels/adamw.ts): the norm as a chain of
   * 64-partial sums (one dispatch per parameter), one coefficients dispatch, then three
   * elementwise dispatches per parameter (new p, m, v) and two for the counters.
   */
  private applyFused(grads: Record<string, tf.Tensor>, lr: number): tf.Scalar {
    return tf.tidy(() => {
      const { beta1, beta2, eps, weightDecay, gradClip } = this.cfg;
      const names = Object.keys(grads);
      let partials: tf.Tensor | null = null;
      for (const name of names) partials = sumSquaresKernel(grads[name], partials);
      const coef = coefficientsKernel(partials!, this.steps, beta1, beta2, gradClip);
      const k = { beta1, beta2, eps, weightDecay, lr };
      for (const name of names) {
        const p = this.byName.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const g = grads[name];
        const decay = p.rank >= 2 && weightDecay > 0;
        const pNew = updateKernel('p', p, m, v, g, coef, k, decay);
        const mNew = updateKernel('m', p, m, v, g, coef, k, decay);
        const vNew = updateKernel('v', p, m, v, g, coef, k, decay);
        p.assign(pNew);
        m.assign(mNew);
        v.assign(vNew);
      }
      this.steps.assign(counterKernel(this.steps, coef, true));
      this.skipped.assign(counterKernel(this.skipped, coef, false));
      return normOf(coef);
    });
  }

  private applyReference(grads: Record<string, tf.Tensor>, lr: number): tf.Scalar {
    return tf.tidy(() => {
      const { beta1, beta2, eps, weightDecay, gradClip } = this.cfg;
      const names = Object.keys(grads);
      const norm = tf.sqrt(sumAll(names.map((n) => tf.sum(tf.square(grads[n]))))) as tf.Scalar;
      const ok = tf.isFinite(norm); // bool scalar
      const scale = gradClip > 0 ? tf.minimum(1, tf.div(gradClip, tf.add(norm, 1e-6))) : tf.scalar(1);
      const t = tf.add(this.steps, 1);
      const bc1 = tf.sub(1, tf.pow(beta1, t));
      const bc2 = tf.sub(1, tf.pow(beta2, t));
      for (const name of names) {
        const p = this.byName.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const g = tf.mul(grads[name], scale);
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const update = tf.div(tf.div(mNew, bc1), tf.add(tf.sqrt(tf.div(vNew, bc2)), eps));
        const decayed = p.rank >= 2 && weightDecay > 0 ? tf.add(update, tf.mul(p, weightDecay)) : update;
        const pNew = tf.sub(p, tf.mul(decayed, lr));
        const cond = tf.broadcastTo(ok, p.shape);
        p.assign(tf.where(cond, pNew, p));
        m.assign(tf.where(cond, mNew, m));
        v.assign(tf.where(cond, vNew, v));
      }
      const okF = tf.cast(ok, 'float32');
      this.steps.assign(tf.add(this.steps, okF));
      this.skipped.assign(tf.add(this.skipped, tf.sub(1, okF)));
      return norm;
    });
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
