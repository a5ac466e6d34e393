import { beforeAll, describe, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { layerNorm } from '../../src/kernels/layerNorm/op';
import { parity, randomInputs } from './parity';

/**
 * kernels/layerNorm against its tfjs-op reference on parity(), odd shapes included.
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

const { rnd } = randomInputs(101);

describe('LayerNorm', () => {
  for (const [N, C] of [
    [7, 13],
    [51, 32],
    [1, 64],
  ])
    test(`forward and gradients, ${N}×${C}`, async () => {
      const x = tf.add(rnd([N, C], 2), 0.5);
      const g = tf.add(rnd([C], 0.3), 1);
      const b = rnd([C], 0.3);
      await parity((xi, gi, bi) => layerNorm(xi as tf.Tensor2D, gi, bi), [x, g, b]);
      tf.dispose([x, g, b]);
    });
});
