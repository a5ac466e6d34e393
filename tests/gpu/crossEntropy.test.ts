import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { crossEntropy } from '../../src/kernels/crossEntropy/op';
import { setTuning } from '../../src/kernels/tuning';
import { parity, randomInputs } from './parity';

/**
 * kernels/crossEntropy against its tfjs-op reference on parity(); a fully masked batch gives 0 and no
 * gradient.
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

const { rnd, ints } = randomInputs(201);

describe('cross-entropy', () => {
  for (const [N, V, masked] of [
    [23, 37, 'some'],
    [64, 100, 'none'],
    [5, 8, 'all'],
  ] as const)
    test(`masked mean NLL and d(logits), ${N}×${V}, ${masked} masked`, async () => {
      const logits = rnd([N, V], 3);
      const targets = ints(N, V, [N]) as tf.Tensor1D;
      const mask = tf.tensor1d(Float32Array.from({ length: N }, (_, i) => (masked === 'all' ? 0 : masked === 'some' && i % 3 === 0 ? 0 : 1)));
      if (masked === 'all') {
        // all masked: loss 0 and gradient 0 on both paths
        setTuning({ fusedKernels: true });
        const { value, grads } = tf.valueAndGrads((l: tf.Tensor) => crossEntropy(l as tf.Tensor2D, targets, mask))([logits]);
        expect((await value.data())[0]).toBe(0);
        expect(Math.max(...Array.from(await grads[0].data(), Math.abs))).toBe(0);
        tf.dispose([value, ...grads]);
      } else {
        await parity((l) => crossEntropy(l as tf.Tensor2D, targets, mask), [logits]);
      }
      tf.dispose([logits, targets, mask]);
    });
});
