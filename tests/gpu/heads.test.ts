import { beforeAll, describe, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { mergeHeads, splitHeads } from '../../src/kernels/heads/op';
import { parity, randomInputs } from './parity';

/**
 * kernels/heads (the SplitHeadsQKV kernel and mergeHeads) against reshape/transpose on parity().
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

const { rnd } = randomInputs(401);

describe('attention heads layout', () => {
  test('splitHeads and mergeHeads (forward and gradients)', async () => {
    const [B, T, nh, hs] = [2, 5, 3, 4];
    const qkv = rnd([B * T, 3 * nh * hs]);
    for (const part of [0, 1, 2]) await parity((x) => splitHeads(x as tf.Tensor2D, B, T, nh)[part], [qkv]);
    await parity(
      (x) => {
        const [q, k, v] = splitHeads(x as tf.Tensor2D, B, T, nh);
        return tf.add(tf.mul(q, 2), tf.sub(k, tf.mul(v, 3)));
      },
      [qkv],
    );
    const y = rnd([B, nh, T, hs]);
    await parity((x) => mergeHeads(x as tf.Tensor4D), [y]);
    tf.dispose([qkv, y]);
  });
});
