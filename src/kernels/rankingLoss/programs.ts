import * as tf from '@tensorflow/tfjs';
import fwdSource from '../../../shaders/rankingLoss/fwd.wgsl?raw';
import bwdSource from '../../../shaders/rankingLoss/bwd.wgsl?raw';
import { i32, runFlat } from '../shared/flatProgram';
import { runMulti } from '../shared/multiProgram';

/**
 * The ranking loss's kernels (op.ts holds the op, its reference and its gradient): the loss and the
 * accuracy in one single-thread pass (a handful of prompts × C(K,2) pairs), the gradient one thread per score.
 */

const uniforms = (s: tf.TensorInfo) => ({ decl: 'P : i32, K : i32,', values: [i32(s.shape[0]), i32(s.shape[1]!)] });

/** [loss, accuracy], both scalars. */
export function forwardKernel(scores: tf.Tensor): tf.Tensor[] {
  return runMulti({
    key: 'rank_fwd',
    inputs: [scores],
    names: ['S'],
    outputs: [
      { name: 'Loss', shape: [] },
      { name: 'Acc', shape: [] },
    ],
    threads: 1,
    uniforms: uniforms(scores),
    body: fwdSource,
  });
}

/** d loss / d scores (P, K), times the upstream scalar dy. */
export function gradKernel(scores: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return runFlat({
    key: 'rank_bwd',
    inputs: [scores, dy],
    names: ['S', 'dY'],
    threads: scores.size,
    outputShape: scores.shape,
    uniforms: uniforms(scores),
    body: bwdSource,
  });
}
