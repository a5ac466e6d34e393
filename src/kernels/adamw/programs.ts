import * as tf from '@tensorflow/tfjs';
import sumSquaresSource from '../../../shaders/adamw/sumsq.wgsl?raw';
import coefficientsSource from '../../../shaders/adamw/coefficients.wgsl?raw';
import updateSource from '../../../shaders/adamw/update.wgsl?raw';
import counterSource from '../../../shaders/adamw/counter.wgsl?raw';
import normSource from '../../../shaders/adamw/norm.wgsl?raw';
import { f32, i32, runFlat } from '../shared/flatProgram';
import { fill } from '../shared/wgsl';

/**
 * The AdamW step (op.ts) as barrier-free kernels (webgpu):
 *   sumSquares   partials (64) [+= previous partials]: 64 threads, each a strided Σ g²
 *                (chained over the parameters: no reduction tree, no barrier)
 *   coefficients (8) = [‖g‖, clip scale, ok, 1 − β1^t, 1 − β2^t, 0, 0, 0], ok = ‖g‖ finite
 *                (tested on the bits: WGSL compilers may assume no NaN/Inf)
 *   update       one thread per element, three programs (p, m, v: tfjs programs have one output),
 *                each keeping the old value when !ok
 *   counters     steps += ok, skipped += 1 − ok
 */
const PARTIALS = 64;

export function sumSquaresKernel(g: tf.Tensor, previous: tf.Tensor | null): tf.Tensor {
  return runFlat({
    key: `adamw_sumsq_${!!previous}`,
    inputs: previous ? [g, previous] : [g],
    names: previous ? ['G', 'Prev'] : ['G'],
    threads: PARTIALS,
    outputShape: [PARTIALS],
    uniforms: { decl: 'n : i32,', values: [i32(g.size)] },
    body: fill(sumSquaresSource, { INIT: previous ? 'Prev[index]' : '0.0', PARTIALS }),
  });
}

export function coefficientsKernel(partials: tf.Tensor, steps: tf.Tensor, beta1: number, beta2: number, gradClip: number): tf.Tensor {
  return runFlat({
    key: 'adamw_coef',
    inputs: [partials, steps],
    names: ['Partials', 'Steps'],
    threads: 1,
    outputShape: [8],
    uniforms: { decl: 'beta1 : f32, beta2 : f32, clip : f32,', values: [f32(beta1), f32(beta2), f32(gradClip)] },
    body: fill(coefficientsSource, { PARTIALS }),
  });
}

export interface UpdateConstants {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  lr: number;
}

/** New p, m or v (which) for one parameter; the old value where the step is not ok. */
export function updateKernel(
  which: 'p' | 'm' | 'v',
  p: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  g: tf.Tensor,
  coef: tf.Tensor,
  k: UpdateConstants,
  decay: boolean,
): tf.Tensor {
  const out = {
    m: 'select(m, mNew, ok)',
    v: 'select(v, vNew, ok)',
    p: `select(p, p - uniforms.lr * (upd${decay ? ' + uniforms.wd * p' : ''}), ok)`,
  }[which];
  return runFlat({
    key: `adamw_update_${which}_${decay}`,
    inputs: [p, m, v, g, coef],
    names: ['P', 'M', 'V', 'G', 'Coef'],
    threads: p.size,
    outputShape: p.shape,
    uniforms: {
      decl: 'beta1 : f32, beta2 : f32, eps : f32, wd : f32, lr : f32,',
      values: [f32(k.beta1), f32(k.beta2), f32(k.eps), f32(k.weightDecay), f32(k.lr)],
    },
    body: fill(updateSource, { OUT: out }),
  });
}

/** counter + ok (add = true) or counter + 1 − ok. */
export function counterKernel(counter: tf.Tensor, coef: tf.Tensor, add: boolean): tf.Scalar {
  return runFlat({
    key: `adamw_counter_${add}`,
    inputs: [counter, coef],
    names: ['Counter', 'Coef'],
    threads: 1,
    outputShape: [1],
    body: fill(counterSource, { ADD: add ? 'Coef[2]' : '1.0 - Coef[2]' }),
  }).reshape([]) as tf.Scalar;
}

/** The norm as a scalar tensor. */
export function normOf(coef: tf.Tensor): tf.Scalar {
  return runFlat({ key: 'adamw_norm', inputs: [coef], names: ['Coef'], threads: 1, outputShape: [1], body: normSource }).reshape([]) as tf.Scalar;
}
