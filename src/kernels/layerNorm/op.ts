import * as tf from '@tensorflow/tfjs';
import { customOp } from '../shared/flatProgram';
import { onWebGPU } from '../shared/runProgram';
import { tuning } from '../tuning';
import { dParamsKernel, dxKernel, forwardKernel } from './programs';

/**
 * LayerNorm over the last axis of x (N, C): y = (x − mean)·rstd·gain + bias, rstd = 1/√(var + eps).
 * Fused path (webgpu, programs.ts): plain loops, no barrier —
 *   forward   one thread per row: stats (N, 2) = [mean, rstd], then the row of y (one pass, two outputs)
 *   backward  dx per row:  dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)),  ĝ = dy∘gain, x̂ = (x − mean)·rstd
 *             dgain = Σ_rows dy∘x̂ and dbias = Σ_rows dy: one thread per column (one pass, two outputs)
 */

/** The composed tfjs-op LayerNorm: every backend but webgpu, and the parity tests' reference. */
function layerNormReference(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gain), bias) as tf.Tensor2D;
  });
}

/** LayerNorm over the last axis of x (N, C): the fused kernels on webgpu, the reference elsewhere. */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor2D {
  if (!(onWebGPU() && tuning.fusedKernels)) return layerNormReference(x, gain, bias, eps);
  const f = customOp((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const { y, stats } = forwardKernel(xi, g, b, eps);
    save([xi, stats, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, st, gs] = saved;
        return [dxKernel(xs, st, gs, dy), ...dParamsKernel(xs, st, dy)];
      },
    };
  });
  return f(x, gain, bias) as tf.Tensor2D;
}
