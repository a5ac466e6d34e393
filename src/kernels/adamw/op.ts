import * as tf from '@tensorflow/tfjs';
import { onWebGPU } from '../shared/runProgram';
import { tuning } from '../tuning';
import { ownBuffer } from '../shared/multiProgram';
import { coefficientsKernel, sumSquaresChunk, sumSquaresKernel, updateChunk, updateKernel, type UpdateParam } from './programs';

/**
 * One AdamW step (model/optim.ts's AdamW owns the variables): global-norm gradient clipping, bias
 * correction from the GPU step counter, decoupled weight decay on matrices, and a step whose gradient
 * norm is not finite skipped ON the GPU (weights and moments kept, `skipped` counted). Nothing is
 * read back. On webgpu with tuning.fusedKernels: the barrier-free kernels of programs.ts; elsewhere
 * the same math from tfjs ops (the reference the parity test compares to).
 */

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number; // decoupled (Loshchilov & Hutter); applied to matrices only, as nanoGPT does
  gradClip: number; // max global L2 norm; 0 turns clipping off
}

/** What a step updates, keyed by tfjs variable name: the parameters, their moments, the counters. */
export interface AdamWState {
  params: Map<string, tf.Variable>;
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
  /** applied (finite) steps */
  steps: tf.Variable;
  /** non-finite steps skipped */
  skipped: tf.Variable;
}

/** Applies one update. Returns the global gradient norm before clipping (a kept scalar: dispose it). */
export function adamwStep(state: AdamWState, cfg: AdamWConfig, grads: Record<string, tf.Tensor>, lr: number): tf.Scalar {
  return onWebGPU() && tuning.fusedKernels ? adamwFused(state, cfg, grads, lr) : adamwReference(state, cfg, grads, lr);
}

/**
 * The step on barrier-free kernels (programs.ts): the norm as a chain of 64-partial sums over chunks of
 * gradients, one coefficients dispatch (which also counts the step), then p, m and v of a chunk of
 * parameters per dispatch, written in place (each variable first given a buffer of its own if it
 * shares one, e.g. with a model cloned from it: ownBuffer).
 */
function adamwFused(state: AdamWState, cfg: AdamWConfig, grads: Record<string, tf.Tensor>, lr: number): tf.Scalar {
  const { beta1, beta2, eps, weightDecay, gradClip } = cfg;
  const names = Object.keys(grads);
  const params: UpdateParam[] = names.map((name) => {
    const p = state.params.get(name)!;
    return { p, m: state.m.get(name)!, v: state.v.get(name)!, g: grads[name], wd: p.rank >= 2 ? weightDecay : 0 };
  });
  for (const c of params) for (const x of [c.p, c.m, c.v]) ownBuffer(x);
  for (const x of [state.steps, state.skipped]) ownBuffer(x);
  return tf.tidy(() => {
    let partials: tf.Tensor | null = null;
    const gs = names.map((n) => grads[n]);
    for (let i = 0; i < gs.length; i += sumSquaresChunk()) partials = sumSquaresKernel(gs.slice(i, i + sumSquaresChunk()), partials);
    const { coef, norm } = coefficientsKernel(partials!, state.steps, state.skipped, beta1, beta2, gradClip);
    for (let i = 0; i < params.length; i += updateChunk()) updateKernel(params.slice(i, i + updateChunk()), coef, { beta1, beta2, eps, lr });
    return norm;
  });
}

/** The composed reference: tf.where keeps the old values of a non-finite step. */
function adamwReference(state: AdamWState, cfg: AdamWConfig, grads: Record<string, tf.Tensor>, lr: number): tf.Scalar {
  return tf.tidy(() => {
    const { beta1, beta2, eps, weightDecay, gradClip } = cfg;
    const names = Object.keys(grads);
    const norm = tf.sqrt(sumAll(names.map((n) => tf.sum(tf.square(grads[n]))))) as tf.Scalar;
    const ok = tf.isFinite(norm); // bool scalar
    const scale = gradClip > 0 ? tf.minimum(1, tf.div(gradClip, tf.add(norm, 1e-6))) : tf.scalar(1);
    const t = tf.add(state.steps, 1);
    const bc1 = tf.sub(1, tf.pow(beta1, t));
    const bc2 = tf.sub(1, tf.pow(beta2, t));
    for (const name of names) {
      const p = state.params.get(name)!;
      const m = state.m.get(name)!;
      const v = state.v.get(name)!;
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
    state.steps.assign(tf.add(state.steps, okF));
    state.skipped.assign(tf.add(state.skipped, tf.sub(1, okF)));
    return norm;
  });
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
