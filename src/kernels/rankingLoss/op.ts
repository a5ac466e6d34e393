import * as tf from '@tensorflow/tfjs';
import { pairwiseAccuracy, rankingLoss } from '../../rlhf/math';
import { customOp } from '../shared/flatProgram';
import { onWebGPU } from '../shared/runProgram';
import { tuning } from '../tuning';
import { forwardKernel, gradKernel } from './programs';

/**
 * The reward model's objective on one batch: the ranking loss (InstructGPT eq. 1) and the pairwise
 * accuracy of scores (P, K), each row one prompt's K responses ranked best first. On webgpu with the
 * fused kernels: one pass for both and one for the gradient (programs.ts), where the reference, rlhf/math.ts's
 * rankingLoss and pairwiseAccuracy from tfjs ops (every other backend, and the parity test's), is ~30 passes.
 */

/**
 * { loss (differentiable), accuracy (a number to log: no gradient, kept — it outlives the tidy of a
 * tf.variableGrads that computes the loss) }; the caller disposes both.
 */
export function rankingLossAndAccuracy(scores: tf.Tensor2D): { loss: tf.Scalar; accuracy: tf.Scalar } {
  const K = scores.shape[1];
  if (scores.rank !== 2 || K < 2) throw new Error(`rankingLossAndAccuracy: scores must be [P,K] with K >= 2, got [${scores.shape}]`);
  if (!(onWebGPU() && tuning.fusedKernels)) return { loss: rankingLoss(scores), accuracy: tf.keep(pairwiseAccuracy(scores)) };
  let accuracy: tf.Scalar | null = null;
  const f = customOp((s: tf.Tensor, save: tf.GradSaveFunc) => {
    const [loss, acc] = forwardKernel(s);
    accuracy = tf.keep(acc) as tf.Scalar;
    save([s]);
    return { value: loss, gradFunc: (dy: tf.Tensor, [ss]: tf.Tensor[]) => gradKernel(ss, dy) };
  });
  const loss = f(scores) as tf.Scalar;
  return { loss, accuracy: accuracy! };
}
