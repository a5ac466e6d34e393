import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setTuning } from '../../src/kernels/tuning';
import { Rng } from '../../src/util/rng';
import { scaledErr } from './helpers';

/**
 * The check every fused kernel is held to (minGPT's one test, per op): the value and the gradients
 * of sum(f(inputs) ∘ dy), for a fixed random dy, with the fused kernels on and off (off: the op runs
 * its composed tfjs reference on the same webgpu backend). Forward within 1e-4 and gradients within
 * 1e-3, relative to max(1, |reference|); the gradients must not be trivially zero.
 */
export async function parity(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], tol = { fwd: 1e-4, grad: 1e-3 }): Promise<void> {
  const run = async (fused: boolean) => {
    setTuning({ fusedKernels: fused });
    const y = f(...inputs);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 777);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(inputs);
    const out = { y: (await y.data()) as Float32Array, grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[] };
    tf.dispose([y, dy, ...grads]);
    return out;
  };
  const fused = await run(true);
  const ref = await run(false);
  setTuning({ fusedKernels: true });
  expect(scaledErr(fused.y, ref.y), 'forward').toBeLessThan(tol.fwd);
  fused.grads.forEach((g, i) => expect(scaledErr(g, ref.grads[i]), `gradient of input ${i}`).toBeLessThan(tol.grad));
  expect(Math.max(...fused.grads.map((g) => Math.max(...Array.from(g, Math.abs))))).toBeGreaterThan(1e-6);
}

/** Random inputs from consecutive seeds (a file's inputs are the same on every run). */
export function randomInputs(firstSeed = 1) {
  let seed = firstSeed;
  return {
    /** normal floats */
    rnd: (shape: number[], std = 1) => tf.randomNormal(shape, 0, std, 'float32', seed++),
    /** n int32 ids in [0, max) */
    ints: (n: number, max: number, shape: number[]) => {
      const rng = new Rng(seed++);
      return tf.tensor(
        Int32Array.from({ length: n }, () => rng.int(max)),
        shape,
        'int32',
      );
    },
  };
}
