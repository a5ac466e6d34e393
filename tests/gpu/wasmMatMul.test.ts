import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { maxRelErr } from './helpers';

/**
 * On wasm, matmuls with a transposed operand and batched-times-unbatched products are rerouted to
 * XNNPACK (src/engine/wasmMatMul.ts). Every transpose combination and batch layout, forward and
 * gradient, equals tfjs's own cpu backend (float summation order aside).
 */
beforeAll(async () => {
  await initBackend('wasm');
});

type Case = { a: number[]; b: number[]; ta: boolean; tb: boolean };
const CASES: Case[] = [
  { a: [33, 17], b: [17, 9], ta: false, tb: false },
  { a: [33, 17], b: [9, 17], ta: false, tb: true },
  { a: [17, 33], b: [17, 9], ta: true, tb: false },
  { a: [17, 33], b: [9, 17], ta: true, tb: true },
  { a: [4, 5, 17], b: [17, 9], ta: false, tb: false },
  { a: [4, 5, 17], b: [9, 17], ta: false, tb: true },
  { a: [1, 33, 17], b: [1, 9, 17], ta: false, tb: true },
  { a: [3, 5, 17], b: [3, 9, 17], ta: false, tb: true },
  { a: [3, 17, 5], b: [17, 9], ta: true, tb: false },
];

async function onBackend(backend: 'wasm' | 'cpu', c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const a = tf.randomNormal(c.a, 0, 1, 'float32', 1);
  const b = tf.randomNormal(c.b, 0, 1, 'float32', 2);
  const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, c.ta, c.tb);
  const out = f(a, b);
  const w = tf.randomNormal(out.shape, 0, 1, 'float32', 3);
  // tfjs's own BatchMatMul gradient does not sum a broadcast b's gradient over the batch: there, only a's
  const grads =
    c.a.length === c.b.length
      ? tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), w)))([a, b])
      : [tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x, b), w)))(a)];
  const result = await Promise.all([out, ...grads].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([a, b, out, w, ...grads]);
  return result;
}

describe('wasm matmuls through XNNPACK', () => {
  test.each(CASES)('a $a (T $ta) · b $b (T $tb): forward and gradients equal the cpu backend', async (c) => {
    await tf.setBackend('wasm');
    const dataIds = () => tf.engine().backend.numDataIds(); // the wasm heap's tensors, the rerouting's temporaries included
    const before = [tf.memory().numTensors, dataIds()];
    const wasm = await onBackend('wasm', c);
    expect(tf.getBackend()).toBe('wasm');
    expect([tf.memory().numTensors, dataIds()]).toEqual(before);
    const cpu = await onBackend('cpu', c);
    await tf.setBackend('wasm');
    expect(wasm).toHaveLength(cpu.length);
    for (let i = 0; i < cpu.length; i++) expect(maxRelErr(wasm[i], cpu[i])).toBeLessThan(1e-5);
  });
});
