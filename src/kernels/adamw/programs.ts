import * as tf from '@tensorflow/tfjs';
import sumSquaresSource from '../../../shaders/adamw/sumsq.wgsl?raw';
import sumSquaresTermSource from '../../../shaders/adamw/sumsq_term.wgsl?raw';
import coefficientsSource from '../../../shaders/adamw/coefficients.wgsl?raw';
import updateSource from '../../../shaders/adamw/update.wgsl?raw';
import updateParamSource from '../../../shaders/adamw/update_param.wgsl?raw';
import { f32, i32, runFlat } from '../shared/flatProgram';
import { maxBindings, runMulti } from '../shared/multiProgram';
import { fill, withoutHeader } from '../shared/wgsl';

/**
 * The AdamW step (op.ts) as barrier-free kernels (webgpu), several parameters per dispatch (as many as
 * the device's storage bindings allow: maxStorageBuffersPerShaderStage, 8 to 10 on most adapters):
 *   sumSquares   partials (64) [+= previous partials]: 64 threads, each a strided Σ g² over a chunk of
 *                gradients (chained over the chunks: no reduction tree, no barrier)
 *   coefficients one thread: coef (8) = [‖g‖, clip scale, ok, 1 − β1^t, 1 − β2^t, 0, 0, 0], ok = ‖g‖
 *                finite (tested on the bits: WGSL compilers may assume no NaN/Inf), the norm as its
 *                own scalar, and the counters in place (steps += ok, skipped += 1 − ok)
 *   update       one thread per element: p, m and v of a chunk of parameters, IN PLACE (multiProgram.ts),
 *                nothing written when !ok
 */
const PARTIALS = 64;

/** Gradients per sumSquares dispatch: every binding but the previous partials and the output. */
export const sumSquaresChunk = (): number => maxBindings() - 2;

/** Parameters per update dispatch: p, m, v and g each, beside the coefficients. */
export const updateChunk = (): number => Math.max(1, Math.floor((maxBindings() - 1) / 4));

export function sumSquaresKernel(grads: tf.Tensor[], previous: tf.Tensor | null): tf.Tensor {
  const names = grads.map((_, i) => `G${i}`);
  const terms = names.map((G, i) => fill(withoutHeader(sumSquaresTermSource), { G, N: `n${i}`, PARTIALS })).join('\n');
  return runFlat({
    key: `adamw_sumsq_${grads.length}_${!!previous}`,
    inputs: previous ? [...grads, previous] : grads,
    names: previous ? [...names, 'Prev'] : names,
    threads: PARTIALS,
    outputShape: [PARTIALS],
    uniforms: { decl: names.map((_, i) => `n${i} : i32,`).join(' '), values: grads.map((g) => i32(g.size)) },
    body: fill(sumSquaresSource, { INIT: previous ? 'Prev[index]' : '0.0', TERMS: terms }),
  });
}

/** The coefficients and the norm (new tensors); steps and skipped are counted in place. */
export function coefficientsKernel(
  partials: tf.Tensor,
  steps: tf.Variable,
  skipped: tf.Variable,
  beta1: number,
  beta2: number,
  gradClip: number,
): { coef: tf.Tensor; norm: tf.Scalar } {
  const [coef, norm] = runMulti({
    key: 'adamw_coef',
    inputs: [partials],
    names: ['Partials'],
    outputs: [
      { name: 'Coef', shape: [8] },
      { name: 'Norm', shape: [] },
    ],
    inPlace: [
      { name: 'Steps', tensor: steps },
      { name: 'Skipped', tensor: skipped },
    ],
    threads: 1,
    uniforms: { decl: 'beta1 : f32, beta2 : f32, clip : f32,', values: [f32(beta1), f32(beta2), f32(gradClip)] },
    body: fill(coefficientsSource, { PARTIALS }),
  });
  return { coef, norm: norm as tf.Scalar };
}

export interface UpdateConstants {
  beta1: number;
  beta2: number;
  eps: number;
  lr: number;
}

/** One parameter of an update chunk: its variables (written in place), its gradient, its weight decay (0: none). */
export interface UpdateParam {
  p: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  g: tf.Tensor;
  wd: number;
}

/** New p, m and v of every parameter of the chunk, in place; the old values where the step is not ok. */
export function updateKernel(chunk: UpdateParam[], coef: tf.Tensor, k: UpdateConstants): void {
  const params = chunk.map((_, i) => fill(withoutHeader(updateParamSource), { I: i })).join('\n');
  runMulti({
    key: `adamw_update_${chunk.length}`,
    inputs: [coef, ...chunk.map((c) => c.g)],
    names: ['Coef', ...chunk.map((_, i) => `G${i}`)],
    inPlace: chunk.flatMap((c, i) => [
      { name: `P${i}`, tensor: c.p },
      { name: `M${i}`, tensor: c.m },
      { name: `V${i}`, tensor: c.v },
    ]),
    threads: Math.max(...chunk.map((c) => c.p.size)),
    uniforms: {
      decl: 'beta1 : f32, beta2 : f32, eps : f32, lr : f32, ' + chunk.map((_, i) => `n${i} : i32, wd${i} : f32,`).join(' '),
      values: [f32(k.beta1), f32(k.beta2), f32(k.eps), f32(k.lr), ...chunk.flatMap((c) => [i32(c.p.size), f32(c.wd)])],
    },
    body: fill(updateSource, { PARAMS: params }),
  });
}
