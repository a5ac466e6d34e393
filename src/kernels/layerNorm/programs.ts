import * as tf from '@tensorflow/tfjs';
import statsSource from '../../../shaders/layerNorm/stats.wgsl?raw';
import applySource from '../../../shaders/layerNorm/apply.wgsl?raw';
import dxSource from '../../../shaders/layerNorm/dx.wgsl?raw';
import dGainSource from '../../../shaders/layerNorm/dgain.wgsl?raw';
import { f32, i32, runFlat } from '../shared/flatProgram';

/** The LayerNorm kernels (op.ts holds the op, its reference and its gradient): flat programs, no barrier. */

const dims = (x: tf.Tensor) => ({ N: x.shape[0], C: x.shape[1]! });

export function statsKernel(x: tf.Tensor, eps: number): tf.Tensor {
  const { N, C } = dims(x);
  return runFlat({
    key: 'ln_stats',
    inputs: [x],
    names: ['X'],
    threads: N,
    outputShape: [N, 2],
    uniforms: { decl: 'C : i32, eps : f32,', values: [i32(C), f32(eps)] },
    body: statsSource,
  });
}

export function normKernel(x: tf.Tensor, stats: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const { N, C } = dims(x);
  return runFlat({
    key: 'ln_apply',
    inputs: [x, stats, gain, bias],
    names: ['X', 'Stats', 'Gain', 'Bias'],
    threads: N * C,
    outputShape: [N, C],
    uniforms: { decl: 'C : i32,', values: [i32(C)] },
    body: applySource,
  });
}

export function dxKernel(x: tf.Tensor, stats: tf.Tensor, gain: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const { N, C } = dims(x);
  return runFlat({
    key: 'ln_dx',
    inputs: [x, stats, gain, dy],
    names: ['X', 'Stats', 'Gain', 'dY'],
    threads: N,
    outputShape: [N, C],
    uniforms: { decl: 'C : i32,', values: [i32(C)] },
    body: dxSource,
  });
}

export function dGainKernel(x: tf.Tensor, stats: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const { N, C } = dims(x);
  return runFlat({
    key: 'ln_dgain',
    inputs: [x, stats, dy],
    names: ['X', 'Stats', 'dY'],
    threads: C,
    outputShape: [C],
    uniforms: { decl: 'N : i32, C : i32,', values: [i32(N), i32(C)] },
    body: dGainSource,
  });
}
