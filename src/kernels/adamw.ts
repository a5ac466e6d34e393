import * as tf from '@tensorflow/tfjs';
import { f32, i32, runFlat } from './flatProgram';

/**
 * The AdamW step of src/model/optim.ts as barrier-free kernels (webgpu):
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
    body: `var s = ${previous ? 'Prev[index]' : '0.0'};
  for (var j = index; j < uniforms.n; j += ${PARTIALS}) { let x = G[j]; s += x * x; }
  result[index] = s;`,
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
    body: `var s = 0.0;
  for (var j = 0; j < ${PARTIALS}; j++) { s += Partials[j]; }
  let norm = sqrt(s);
  let ok = (bitcast<u32>(norm) & 0x7f800000u) != 0x7f800000u;
  var scale = 1.0;
  if (uniforms.clip > 0.0) { scale = min(1.0, uniforms.clip / (norm + 1e-6)); }
  let t = Steps[0] + 1.0;
  result[0] = norm;
  result[1] = select(0.0, scale, ok);
  result[2] = select(0.0, 1.0, ok);
  result[3] = 1.0 - pow(uniforms.beta1, t);
  result[4] = 1.0 - pow(uniforms.beta2, t);
  result[5] = 0.0;
  result[6] = 0.0;
  result[7] = 0.0;`,
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
    body: `let ok = Coef[2] != 0.0;
  let p = P[index];
  let m = M[index];
  let v = V[index];
  let g = G[index] * Coef[1];
  let mNew = m * uniforms.beta1 + g * (1.0 - uniforms.beta1);
  let vNew = v * uniforms.beta2 + g * g * (1.0 - uniforms.beta2);
  let upd = (mNew / Coef[3]) / (sqrt(vNew / Coef[4]) + uniforms.eps);
  result[index] = ${out};`,
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
    body: `result[0] = Counter[0] + ${add ? 'Coef[2]' : '1.0 - Coef[2]'};`,
  }).reshape([]) as tf.Scalar;
}

/** The norm as a scalar tensor. */
export function normOf(coef: tf.Tensor): tf.Scalar {
  return runFlat({ key: 'adamw_norm', inputs: [coef], names: ['Coef'], threads: 1, outputShape: [1], body: 'result[0] = Coef[0];' }).reshape([]) as tf.Scalar;
}
