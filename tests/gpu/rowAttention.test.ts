import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { rowAttention } from '../../src/kernels/rowAttention/op';
import { causalAttention } from '../../src/kernels/attention/op';
import { setTuning, tuning } from '../../src/kernels/tuning';
import { GPT } from '../../src/model/gpt';
import { TEST_CFG, scaledErr } from './helpers';
import { parity, randomInputs } from './parity';

/**
 * kernels/rowAttention (one thread per row, with and without a key mask) against attention's composed
 * reference on parity(), alone and through the model.
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

const { rnd } = randomInputs(501);

describe('row attention (one thread per row)', () => {
  for (const [B, nh, T, hs] of [
    [2, 3, 17, 8],
    [1, 2, 1, 4],
    [2, 2, 33, 32],
    [1, 1, 5, 64],
  ])
    test(`forward and gradients equal the composed reference, B ${B} nh ${nh} T ${T} hs ${hs}`, async () => {
      const q = rnd([B, nh, T, hs]);
      const k = rnd([B, nh, T, hs]);
      const v = rnd([B, nh, T, hs]);
      // fused = rowAttention, reference = causalAttention with the fused kernels off (its composed reference: plain tfjs ops)
      await parity(
        (a, b, c) =>
          tuning.fusedKernels
            ? rowAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D)
            : causalAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D),
        [q, k, v],
      );
      tf.dispose([q, k, v]);
    });

  // keyValid (B, T): left padding (row 1 has 6 pad queries that see no key: zeros, no gradient)
  // and holes; the reference is causalAttention's composed reference with the same mask.
  for (const [name, B, nh, T, hs, mask] of [
    ['left padding', 2, 2, 13, 8, (b: number, t: number) => (t < [0, 6][b] ? 0 : 1)],
    ['holes', 2, 1, 11, 16, (b: number, t: number) => ((t + b) % 3 === 1 ? 0 : 1)],
    ['all padded but the last key', 1, 2, 7, 4, (_b: number, t: number) => (t === 6 ? 1 : 0)],
  ] as const)
    test(`with a key mask (${name}): forward and gradients equal the composed reference`, async () => {
      const q = rnd([B, nh, T, hs]);
      const k = rnd([B, nh, T, hs]);
      const v = rnd([B, nh, T, hs]);
      const keyValid = tf.tensor2d(
        Float32Array.from({ length: B * T }, (_, i) => mask(Math.floor(i / T), i % T)),
        [B, T],
      );
      const attn = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tuning.fusedKernels
          ? rowAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, keyValid)
          : causalAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, keyValid);
      await parity(attn, [q, k, v]);
      setTuning({ fusedKernels: true });
      const y = await rowAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, keyValid).data();
      expect(y.every(Number.isFinite)).toBe(true);
      tf.dispose([q, k, v, keyValid]);
    });

  test('a left-padded batch (SFT, RM, PPO) through the model: row kernels match the reference, gradients too', async () => {
    setTuning({ rowAttention: true });
    const [B, T, pads] = [2, 9, [0, 4]];
    const x = tf.tensor2d(
      Int32Array.from({ length: B * T }, (_, i) => (i * 7) % TEST_CFG.vocabSize),
      [B, T],
      'int32',
    );
    const positions = tf.tensor2d(
      Int32Array.from({ length: B * T }, (_, i) => Math.max(0, (i % T) - pads[Math.floor(i / T)])),
      [B, T],
      'int32',
    );
    const keyValid = tf.tensor2d(
      Float32Array.from({ length: B * T }, (_, i) => (i % T < pads[Math.floor(i / T)] ? 0 : 1)),
      [B, T],
    );
    const model = GPT.create(TEST_CFG, 6);
    const vars = [...model.params.values()];
    const run = async () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.hidden(x, { positions, keyValid }))), vars);
      const out = { y: (await value.data())[0], g: (await grads[vars[0].name].data()) as Float32Array };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const a = await run();
    setTuning({ fusedKernels: false });
    const b = await run();
    expect(Math.abs(a.y - b.y) / Math.abs(b.y)).toBeLessThan(1e-4);
    expect(scaledErr(a.g, b.g)).toBeLessThan(1e-3);
    model.dispose();
    tf.dispose([x, positions, keyValid]);
  });

  test('the model uses it when forced and still matches the reference model', async () => {
    setTuning({ rowAttention: true });
    const x = tf.tensor2d(
      Int32Array.from({ length: 2 * 9 }, (_, i) => (i * 5) % TEST_CFG.vocabSize),
      [2, 9],
      'int32',
    );
    const model = GPT.create(TEST_CFG, 5);
    const a = await model.logits(x).data();
    setTuning({ fusedKernels: false });
    const b = await model.logits(x).data();
    expect(scaledErr(a as Float32Array, b as Float32Array)).toBeLessThan(1e-4);
    model.dispose();
    x.dispose();
  });
});
