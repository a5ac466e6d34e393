import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { GPT } from '../../src/model/gpt';
import { AdamW } from '../../src/model/optim';
import { TEST_CFG } from './helpers';

/**
 * kernels/shared/multiProgram: programs that write several buffers, some in place (AdamW's step writes its
 * parameters and moments in place). A write in place must reach no other tensor: not a clone that shares the
 * buffer (tf.variable of a clone does), and not values tfjs cached on the CPU when the tensor was read back.
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

describe('multiProgram, in place', () => {
  test('a clone sharing the weights keeps them, and values read before a step are not served after it', async () => {
    const model = GPT.create(TEST_CFG, 5);
    const copy = model.clone(false); // the same buffers until one of them is written
    const read = () => Promise.all([...model.params.values()].map((v) => v.data())); // tfjs keeps what it read on the CPU
    const before = await read();
    const opt = new AdamW(model.params);
    const grads: Record<string, tf.Tensor> = {};
    let i = 0;
    for (const v of model.params.values()) grads[v.name] = tf.randomNormal(v.shape, 0, 0.5, 'float32', 50 + i++);
    opt.apply(grads, 1e-2).dispose();
    const after = await read();
    const kept = await Promise.all([...copy.params.values()].map((v) => v.data()));
    before.forEach((b, j) => {
      expect(Array.from(kept[j]), 'the clone').toEqual(Array.from(b));
      expect(Array.from(after[j]), 'the model').not.toEqual(Array.from(b));
    });
    // the parameters own their buffers now: the second step writes the very buffers just read back
    opt.apply(grads, 1e-2).dispose();
    const again = await read();
    again.forEach((a, j) => expect(Array.from(a), 'the second step').not.toEqual(Array.from(after[j])));
    tf.dispose(Object.values(grads));
    opt.dispose();
    copy.dispose();
    model.dispose();
  });
});
