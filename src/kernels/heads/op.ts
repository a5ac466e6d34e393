import * as tf from '@tensorflow/tfjs';
import { customOp } from '../shared/flatProgram';
import { onWebGPU } from '../shared/runProgram';
import { tuning } from '../tuning';
import { SPLIT_HEADS, fromHeads, toHeads } from './programs';

/**
 * Moving attention heads between the 2-D activation layout and the (B, nh, T, hs) layout of the
 * attention kernels, as plain vec4 copies (an order of magnitude cheaper than tfjs's 4-D
 * transpose + split/concat on SwiftShader):
 *   splitHeads(qkv (B·T, 3C)) → q, k, v (B, nh, T, hs)          backward: one copy back to (B·T, 3C)
 *   mergeHeads(y (B, nh, T, hs)) → (B·T, C)                       backward: the inverse copy
 * Reference (every backend): reshape/transpose/split, as gpt.ts always did. splitHeads runs the
 * SplitHeadsQKV kernel (programs.ts) with the gradient below; mergeHeads is a custom op.
 */

const fused = (hs: number) => onWebGPU() && tuning.fusedKernels && hs % 4 === 0;

function splitReference(qkv: tf.Tensor2D, B: number, T: number, nh: number): tf.Tensor4D[] {
  const hs = qkv.shape[1] / 3 / nh;
  const heads = (t: tf.Tensor) => t.reshape([B, T, nh, hs]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
  return tf.split(qkv, 3, 1).map(heads);
}

export const splitHeadsGradConfig: tf.GradConfig = {
  kernelName: SPLIT_HEADS,
  gradFunc: (dys, _saved, attrs) => {
    const { B, T, nh } = attrs as unknown as { B: number; T: number; nh: number };
    const d = dys as tf.Tensor[];
    const hs = d[0].shape[3]!;
    return { qkv: () => fromHeads(d, B, T, nh, hs) };
  },
};

/** qkv (B·T, 3C) → [q, k, v], each (B, nh, T, hs). */
export function splitHeads(qkv: tf.Tensor2D, B: number, T: number, nh: number): tf.Tensor4D[] {
  const hs = qkv.shape[1] / 3 / nh;
  if (!fused(hs)) return splitReference(qkv, B, T, nh);
  return tf.engine().runKernel(SPLIT_HEADS, { qkv }, { B, T, nh } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor4D[];
}

/** y (B, nh, T, hs) → (B·T, nh·hs). */
export function mergeHeads(y: tf.Tensor4D): tf.Tensor2D {
  const [B, nh, T, hs] = y.shape;
  if (!fused(hs)) return y.transpose([0, 2, 1, 3]).reshape([B * T, nh * hs]) as tf.Tensor2D;
  const f = customOp((yi: tf.Tensor, _save: tf.GradSaveFunc) => {
    return {
      value: fromHeads([yi], B, T, nh, hs),
      gradFunc: (dy: tf.Tensor) => tf.engine().makeTensorFromTensorInfo(toHeads(dy, B, T, nh, hs, 0)),
    };
  });
  return f(y) as tf.Tensor2D;
}
