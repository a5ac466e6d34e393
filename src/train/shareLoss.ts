import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import { crossEntropy } from '../kernels/crossEntropy/op';
import { rankingLossAndAccuracy } from '../kernels/rankingLoss/op';
import type { ScalarModel } from '../rlhf/scalarModel';
import type { SequenceBatch } from '../rlhf/sequences';

/**
 * A part of a training batch's loss, for data parallelism (train/dataParallel.ts): each worker
 * computes its rows' share of the WHOLE batch's mean loss, so the shares — and their gradients —
 * add up to the whole batch's. The math is the step's own (masked mean cross-entropy, the ranking
 * loss); only the summation order differs (the split step's losses are within ~5e-6 of the whole one's).
 */

/** Rows of an LM batch: inputs and targets (rows × T), mask (rows × T), as in train/batches.ts. */
export interface LmRows {
  rows: number;
  T: number;
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
}

/** Σ mask: the rows' count of predicted tokens (the mask is 0/1). */
export function maskCount(mask: Float32Array): number {
  let n = 0;
  for (const m of mask) n += m;
  return n;
}

/**
 * These rows' share of the batch's masked mean cross-entropy: their own masked mean × their
 * mask count / the batch's (`batchCount`). Call inside tidy (or variableGrads).
 */
export function lmShareLoss(model: GPT, part: LmRows, batchCount: number, dropoutSeed: number): tf.Scalar {
  const inputs = tf.tensor2d(part.inputs, [part.rows, part.T], 'int32');
  const targets = tf.tensor1d(part.targets, 'int32');
  const mask = tf.tensor1d(part.mask, 'float32');
  const logits = model.logits(inputs, { training: true, dropoutSeed }).reshape([part.rows * part.T, model.cfg.vocabSize]) as tf.Tensor2D;
  return tf.mul(crossEntropy(logits, targets, mask), maskCount(part.mask) / Math.max(batchCount, 1)) as tf.Scalar;
}

/**
 * These ranked sets' share of the RM step's ranking loss and pairwise accuracy (both means over
 * the batch's `batchSets` sets): `batch` holds `sets` × K rows, prompt-major. Call inside tidy.
 */
export function rankingShareLoss(
  rm: ScalarModel,
  batch: SequenceBatch,
  sets: number,
  batchSets: number,
  dropoutSeed: number,
): { loss: tf.Scalar; accuracy: tf.Scalar } {
  const K = batch.N / sets;
  const out = rankingLossAndAccuracy(rm.scores(batch, true, dropoutSeed).reshape([sets, K]));
  const share = sets / batchSets;
  // the accuracy is a kept tensor (it leaves variableGrads beside the loss): keep its share, drop it
  const accuracy = tf.keep(tf.mul(out.accuracy, share) as tf.Scalar);
  out.accuracy.dispose();
  return { loss: tf.mul(out.loss, share) as tf.Scalar, accuracy };
}
