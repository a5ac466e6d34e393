import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { buildSequences, lastHidden, layoutFor } from '../../src/rlhf/sequences';

/**
 * lastHidden picks each row's last real token with a gather on webgpu (the reward model's read-out).
 * Against a one-hot product written here: the same numbers forward and backward — exactly, since a
 * pick multiplies by 1 and adds 0 — so the gather cannot move a trained reward model.
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

describe('lastHidden', () => {
  test('the gather equals the one-hot pick, forward and gradient, on padded rows', async () => {
    expect(tf.getBackend()).toBe('webgpu');
    const layout = layoutFor(6, 5); // P 7, R 5 → L 12
    const b = buildSequences(layout, ['ab', 'abcdef', 'x', 'hello', 'q'], ['1', '12345', '', 'abc', '1234567']);
    const L = layout.P + layout.R;
    const C = 8;
    const hidden = tf.randomNormal([b.N, L, C], 0, 1, 'float32', 3) as tf.Tensor3D;
    const weights = tf.randomNormal([b.N, C], 0, 1, 'float32', 4);
    const reference = (h: tf.Tensor3D) => {
      const pick = tf.oneHot(tf.tensor1d(b.lastIndex, 'int32'), L).toFloat().reshape([b.N, L, 1]);
      return tf.sum(tf.mul(h, pick), 1) as tf.Tensor2D;
    };
    const loss = (pickFn: (h: tf.Tensor3D) => tf.Tensor2D) => (h: tf.Tensor) => tf.sum(tf.mul(pickFn(h as tf.Tensor3D), weights));
    const [ours, ref] = [lastHidden(hidden, b), reference(hidden)];
    expect(ours.shape).toEqual([b.N, C]);
    expect(await ours.array()).toEqual(await ref.array());
    const [gOurs, gRef] = [tf.grad(loss((h) => lastHidden(h, b)))(hidden), tf.grad(loss(reference))(hidden)];
    // identical up to the sign of zero (the one-hot product gives −0 where dy < 0 meets a 0)
    const plain = async (t: tf.Tensor) => Array.from(await t.data(), (v) => v + 0);
    expect(await plain(gOurs)).toEqual(await plain(gRef));
    // rows ending at the last column (a response cut off at R) and early (an empty response) are read
    expect(Array.from(b.lastIndex)).toContain(L - 1);
    expect(Array.from(b.lastIndex)).toContain(layout.P);
    tf.dispose([hidden, weights, ours, ref, gOurs, gRef]);
  });
});
