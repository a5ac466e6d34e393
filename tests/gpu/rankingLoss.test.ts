import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { rankingLossAndAccuracy } from '../../src/kernels/rankingLoss/op';
import { setTuning } from '../../src/kernels/tuning';
import { parity, randomInputs } from './parity';

/**
 * kernels/rankingLoss against its reference (rlhf/math.ts's rankingLoss and pairwiseAccuracy) on parity():
 * the loss forward and its gradient, and the accuracy exactly, ties included.
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

const { rnd } = randomInputs(401);

const loss = (s: tf.Tensor) => {
  const { loss, accuracy } = rankingLossAndAccuracy(s as tf.Tensor2D);
  accuracy.dispose();
  return loss;
};

describe('rankingLoss', () => {
  for (const [P, K] of [
    [8, 6], // the tiny preset's batch
    [3, 2],
    [5, 4],
  ])
    test(`loss and its gradient, accuracy, P ${P} K ${K}`, async () => {
      const scores = rnd([P, K], 2);
      await parity(loss, [scores]);
      // ties: scores rounded to halves
      const tied = tf.div(tf.round(tf.mul(scores, 2)), 2);
      const accuracy = async (fused: boolean) => {
        setTuning({ fusedKernels: fused });
        const out = rankingLossAndAccuracy(tied as tf.Tensor2D);
        const a = (await out.accuracy.data())[0];
        tf.dispose([out.loss, out.accuracy]);
        return a;
      };
      expect(await accuracy(true)).toBe(await accuracy(false));
      setTuning({ fusedKernels: true });
      tf.dispose([scores, tied]);
    });
});
