import * as tf from '@tensorflow/tfjs';
import rowsSource from '../../../shaders/crossEntropy/rows.wgsl?raw';
import reduceSource from '../../../shaders/crossEntropy/reduce.wgsl?raw';
import gradSource from '../../../shaders/crossEntropy/grad.wgsl?raw';
import { i32, runFlat } from '../shared/flatProgram';

/** The cross-entropy kernels (op.ts holds the op, its reference and its gradient): flat programs, no barrier. */

export function rowsKernel(logits: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const [N, V] = logits.shape as [number, number];
  return runFlat({
    key: 'ce_rows',
    inputs: [logits, targets, mask],
    names: ['Logits', 'Targets', 'Mask'],
    threads: N,
    outputShape: [N, 2],
    uniforms: { decl: 'V : i32,', values: [i32(V)] },
    body: rowsSource,
  });
}

export function reduceKernel(rows: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const N = mask.shape[0];
  return runFlat({
    key: 'ce_reduce',
    inputs: [rows, mask],
    names: ['Rows', 'Mask'],
    threads: 1,
    outputShape: [2],
    uniforms: { decl: 'N : i32,', values: [i32(N)] },
    body: reduceSource,
  });
}

export function gradKernel(logits: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor, rows: tf.Tensor, stats: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const [N, V] = logits.shape as [number, number];
  return runFlat({
    key: 'ce_grad',
    inputs: [logits, targets, mask, rows, stats, dy],
    names: ['Logits', 'Targets', 'Mask', 'Rows', 'Stats', 'dY'],
    threads: N * V,
    outputShape: [N, V],
    uniforms: { decl: 'V : i32,', values: [i32(V)] },
    body: gradSource,
  });
}
