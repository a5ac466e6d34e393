import { beforeAll, describe, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { embed } from '../../src/kernels/embedding/op';
import { parity, randomInputs } from './parity';

/**
 * kernels/embedding (gather forward, scatter-add gradients) against its one-hot reference on parity().
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

const { rnd, ints } = randomInputs(301);

describe('embedding', () => {
  test('gather forward and scatter-add gradients, default positions and explicit positions', async () => {
    const [B, T, V, P, C] = [3, 5, 11, 8, 6];
    const tokens = ints(B * T, 4, [B, T]) as tf.Tensor2D; // few distinct ids: many repeats
    const positions = ints(B * T, P, [B, T]) as tf.Tensor2D;
    const wte = rnd([V, C]);
    const wpe = rnd([P, C]);
    await parity((te, pe) => embed(tokens, te as tf.Tensor2D, pe as tf.Tensor2D), [wte, wpe]);
    await parity((te, pe) => embed(tokens, te as tf.Tensor2D, pe as tf.Tensor2D, positions), [wte, wpe]);
    tf.dispose([tokens, positions, wte, wpe]);
  });
});
