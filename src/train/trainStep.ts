import * as tf from '@tensorflow/tfjs';
import { lmLoss, type GPT } from '../model/gpt';
import type { AdamW } from '../model/optim';
import type { TokenBatch } from './batches';

/**
 * One optimizer step of masked next-token cross-entropy (pretraining: mask all ones; SFT: mask on
 * response tokens only). Returns kept scalars — the caller logs them and they are read later.
 */
export function lmTrainStep(
  model: GPT,
  optimizer: AdamW,
  batch: TokenBatch,
  lr: number,
  dropoutSeed: number,
): { loss: tf.Scalar; gradNorm: tf.Scalar } {
  return tf.tidy(() => {
    const { B, T } = batch;
    const inputs = tf.tensor2d(batch.inputs, [B, T], 'int32');
    const targets = tf.tensor1d(batch.targets, 'int32');
    const mask = tf.tensor1d(batch.mask, 'float32');
    const vars = [...model.params.values()].filter((v) => v.trainable);
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.logits(inputs, { training: true, dropoutSeed }).reshape([B * T, model.cfg.vocabSize]) as tf.Tensor2D;
      return lmLoss(logits, targets, mask);
    }, vars);
    const gradNorm = optimizer.apply(grads, lr);
    return { loss: value, gradNorm };
  });
}
