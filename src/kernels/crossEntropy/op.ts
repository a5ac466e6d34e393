import * as tf from '@tensorflow/tfjs';
import { customOp } from '../shared/flatProgram';
import { onWebGPU } from '../shared/runProgram';
import { tuning } from '../tuning';
import { gradKernel, reduceKernel, rowsKernel } from './programs';

/**
 * Masked mean next-token cross-entropy: logits (N, V), targets (N) int32, mask (N) float →
 *   loss = Σ_r mask_r·(lse_r − logits[r, t_r]) / max(Σ mask, 1)
 * Fused path (webgpu, programs.ts), like the PPO-ptx loss: one thread per row, no barrier —
 *   rows    (N, 2) = [lse, mask·nll] per row (a plain online-softmax loop over V)
 *   reduce  (2) = [loss, 1/max(Σ mask, 1)]  (one thread: N is a few thousand at most)
 *   grad    d(logits)[r, j] = dy·mask_r/max(Σ mask, 1)·(softmax_j − [j = t_r]), one thread per element
 * Nothing of size (N, V) is written but d(logits).
 */
function crossEntropyReference(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const onehot = tf.cast(tf.oneHot(targets as tf.Tensor1D, logits.shape[1]), 'float32');
    const picked = tf.sum(tf.mul(logp, onehot), -1); // (N)
    return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  if (!(onWebGPU() && tuning.fusedKernels)) return crossEntropyReference(logits, targets, mask);
  const t = targets.dtype === 'int32' ? targets : tf.cast(targets, 'int32');
  const m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
  const f = customOp((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const rows = rowsKernel(x, t, m);
    const stats = reduceKernel(rows, m);
    save([x, rows, stats, t, m]); // kept clones: t and m outlive the caller's tidy
    return {
      value: tf.reshape(tf.slice(stats, [0], [1]), []),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, rs, st, ts, ms] = saved;
        return gradKernel(xs, ts, ms, rs, st, dy);
      },
    };
  });
  const loss = f(logits) as tf.Scalar;
  if (t !== targets) t.dispose();
  if (m !== mask) m.dispose();
  return loss;
}
