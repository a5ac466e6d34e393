import * as tf from '@tensorflow/tfjs';
import { colSumKernel } from './linear';
import { customOp, f32, i32, runFlat } from './flatProgram';
import { onWebGPU } from './runProgram';
import { tuning } from './tuning';

/**
 * LayerNorm over the last axis of x (N, C): y = (x − mean)·rstd·gain + bias, rstd = 1/√(var + eps).
 * Fused path (webgpu): one thread per row, plain loops, no barrier —
 *   forward   stats (N, 2) = [mean, rstd] per row, then y
 *   backward  dx per row:  dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)),  ĝ = dy∘gain, x̂ = (x − mean)·rstd
 *             dgain = Σ_rows dy∘x̂ and dbias = Σ_rows dy: one thread per column
 */

/** The composed tfjs-op LayerNorm: every backend but webgpu, and the parity tests' reference. */
function layerNormReference(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gain), bias) as tf.Tensor2D;
  });
}

const dims = (x: tf.Tensor) => ({ N: x.shape[0], C: x.shape[1]! });

function statsKernel(x: tf.Tensor, eps: number): tf.Tensor {
  const { N, C } = dims(x);
  return runFlat({
    key: 'ln_stats',
    inputs: [x],
    names: ['X'],
    threads: N,
    outputShape: [N, 2],
    uniforms: { decl: 'C : i32, eps : f32,', values: [i32(C), f32(eps)] },
    body: `let base = index * uniforms.C;
  var s = 0.0;
  for (var c = 0; c < uniforms.C; c++) { s += X[base + c]; }
  let mean = s / f32(uniforms.C);
  var v = 0.0;
  for (var c = 0; c < uniforms.C; c++) { let d = X[base + c] - mean; v += d * d; }
  result[2 * index] = mean;
  result[2 * index + 1] = inverseSqrt(v / f32(uniforms.C) + uniforms.eps);`,
  });
}

function normKernel(x: tf.Tensor, stats: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const { N, C } = dims(x);
  return runFlat({
    key: 'ln_apply',
    inputs: [x, stats, gain, bias],
    names: ['X', 'Stats', 'Gain', 'Bias'],
    threads: N * C,
    outputShape: [N, C],
    uniforms: { decl: 'C : i32,', values: [i32(C)] },
    body: `let r = index / uniforms.C;
  let c = index - r * uniforms.C;
  result[index] = (X[index] - Stats[2 * r]) * Stats[2 * r + 1] * Gain[c] + Bias[c];`,
  });
}

function dxKernel(x: tf.Tensor, stats: tf.Tensor, gain: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const { N, C } = dims(x);
  return runFlat({
    key: 'ln_dx',
    inputs: [x, stats, gain, dy],
    names: ['X', 'Stats', 'Gain', 'dY'],
    threads: N,
    outputShape: [N, C],
    uniforms: { decl: 'C : i32,', values: [i32(C)] },
    body: `let base = index * uniforms.C;
  let mean = Stats[2 * index];
  let rstd = Stats[2 * index + 1];
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = 0; c < uniforms.C; c++) {
    let g = dY[base + c] * Gain[c];
    sg += g;
    sgx += g * (X[base + c] - mean) * rstd;
  }
  let inv = 1.0 / f32(uniforms.C);
  sg *= inv;
  sgx *= inv;
  for (var c = 0; c < uniforms.C; c++) {
    let xh = (X[base + c] - mean) * rstd;
    result[base + c] = rstd * (dY[base + c] * Gain[c] - sg - xh * sgx);
  }`,
  });
}

function dGainKernel(x: tf.Tensor, stats: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const { N, C } = dims(x);
  return runFlat({
    key: 'ln_dgain',
    inputs: [x, stats, dy],
    names: ['X', 'Stats', 'dY'],
    threads: C,
    outputShape: [C],
    uniforms: { decl: 'N : i32, C : i32,', values: [i32(N), i32(C)] },
    body: `var s = 0.0;
  for (var r = 0; r < uniforms.N; r++) {
    let i = r * uniforms.C + index;
    s += dY[i] * (X[i] - Stats[2 * r]) * Stats[2 * r + 1];
  }
  result[index] = s;`,
  });
}

/** LayerNorm over the last axis of x (N, C): the fused kernels on webgpu, the reference elsewhere. */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor2D {
  if (!(onWebGPU() && tuning.fusedKernels)) return layerNormReference(x, gain, bias, eps);
  const f = customOp((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const stats = statsKernel(xi, eps);
    const y = normKernel(xi, stats, g, b);
    save([xi, stats, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, st, gs] = saved;
        return [dxKernel(xs, st, gs, dy), dGainKernel(xs, st, dy), colSumKernel(dy)];
      },
    };
  });
  return f(x, gain, bias) as tf.Tensor2D;
}
