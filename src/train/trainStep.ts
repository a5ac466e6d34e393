import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import { crossEntropy } from '../kernels/crossEntropy/op';
import type { AdamW } from '../model/optim';
import type { TokenBatch } from './batches';

/**
 * One optimizer step of masked next-token cross-entropy (pretraining: mask all ones; SFT: mask on
 * response tokens only). Returns kept scalars — the caller logs them and they are read later.
 */
export function lmTrainStep(model: GPT, optimizer: AdamW, batch: TokenBatch, lr: number, dropoutSeed: number): { loss: tf.Scalar; gradNorm: tf.Scalar } {
  return tf.tidy(() => {
    const { B, T } = batch;
    const inputs = tf.tensor2d(batch.inputs, [B, T], 'int32');
    const targets = tf.tensor1d(batch.targets, 'int32');
    const mask = tf.tensor1d(batch.mask, 'float32');
    const vars = [...model.params.values()].filter((v) => v.trainable);
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.logits(inputs, { training: true, dropoutSeed }).reshape([B * T, model.cfg.vocabSize]) as tf.Tensor2D;
      return crossEntropy(logits, targets, mask);
    }, vars);
    const gradNorm = optimizer.apply(grads, lr);
    return { loss: value, gradNorm };
  });
}

/** Where one training step's time goes (ms): forward, backward, optimizer. */
export interface StepPhases {
  forwardMs: number;
  backwardMs: number;
  optimizerMs: number;
}

/** GPU kernel time when the backend measures it (WebGPU timestamp queries), else wall time. */
function ms(t: tf.TimingInfo): number {
  return typeof t.kernelMs === 'number' ? t.kernelMs : t.wallMs;
}

/**
 * The same step as lmTrainStep (same ops, same update), timed phase by phase. Timing waits for the
 * GPU, so the loop calls this only once every few hundred steps; one extra forward pass (no state
 * change) measures the forward alone, and backward = forward+backward − forward.
 */
export async function profiledLmTrainStep(
  model: GPT,
  optimizer: AdamW,
  batch: TokenBatch,
  lr: number,
  dropoutSeed: number,
): Promise<{ loss: tf.Scalar; gradNorm: tf.Scalar; phases: StepPhases }> {
  const { B, T } = batch;
  const inputs = tf.tensor2d(batch.inputs, [B, T], 'int32');
  const targets = tf.tensor1d(batch.targets, 'int32');
  const mask = tf.tensor1d(batch.mask, 'float32');
  const vars = [...model.params.values()].filter((v) => v.trainable);
  const lossOf = () => crossEntropy(model.logits(inputs, { training: true, dropoutSeed }).reshape([B * T, model.cfg.vocabSize]) as tf.Tensor2D, targets, mask);
  try {
    const forward = await tf.time(() => tf.dispose(tf.tidy(lossOf)));
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | null = null;
    const both = await tf.time(() => {
      result = tf.variableGrads(lossOf, vars);
    });
    const { value, grads } = result!;
    let gradNorm: tf.Scalar | null = null;
    const opt = await tf.time(() => {
      gradNorm = optimizer.apply(grads, lr);
    });
    tf.dispose(Object.values(grads));
    return {
      loss: value,
      gradNorm: gradNorm!,
      phases: { forwardMs: ms(forward), backwardMs: Math.max(0, ms(both) - ms(forward)), optimizerMs: ms(opt) },
    };
  } finally {
    tf.dispose([inputs, targets, mask]);
  }
}
