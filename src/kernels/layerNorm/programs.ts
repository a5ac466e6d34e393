import * as tf from '@tensorflow/tfjs';
import forwardSource from '../../../shaders/layerNorm/forward.wgsl?raw';
import dxSource from '../../../shaders/layerNorm/dx.wgsl?raw';
import dParamsSource from '../../../shaders/layerNorm/dparams.wgsl?raw';
import { f32, i32, runFlat } from '../shared/flatProgram';
import { runMulti } from '../shared/multiProgram';

/**
 * The LayerNorm kernels (op.ts holds the op, its reference and its gradient): flat programs, no barrier;
 * the forward and the parameters' gradients each write two outputs in one pass (shared/multiProgram.ts).
 */

const dims = (x: tf.Tensor) => ({ N: x.shape[0], C: x.shape[1]! });

/** y (N, C) and the row statistics [mean, rstd] (N, 2) the backward pass reads. */
export function forwardKernel(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, eps: number): { y: tf.Tensor; stats: tf.Tensor } {
  const { N, C } = dims(x);
  const [y, stats] = runMulti({
    key: 'ln_forward',
    inputs: [x, gain, bias],
    names: ['X', 'Gain', 'Bias'],
    outputs: [
      { name: 'Y', shape: [N, C] },
      { name: 'Stats', shape: [N, 2] },
    ],
    threads: N,
    uniforms: { decl: 'C : i32, eps : f32,', values: [i32(C), f32(eps)] },
    body: forwardSource,
  });
  return { y, stats };
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

/** [dgain, dbias] (C each). */
export function dParamsKernel(x: tf.Tensor, stats: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  const { N, C } = dims(x);
  return runMulti({
    key: 'ln_dparams',
    inputs: [x, stats, dy],
    names: ['X', 'Stats', 'dY'],
    outputs: [
      { name: 'DGain', shape: [C] },
      { name: 'DBias', shape: [C] },
    ],
    threads: C,
    uniforms: { decl: 'N : i32, C : i32,', values: [i32(N), i32(C)] },
    body: dParamsSource,
  });
}
