import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { linear, matmulNT } from '../../src/kernels/linear/op';
import { matmulKernel } from '../../src/kernels/linear/programs';
import { setTuning } from '../../src/kernels/tuning';
import { scaledErr } from './helpers';
import { parity, randomInputs } from './parity';

/**
 * kernels/linear: the barrier-free matmul (every transpose, bias, block shape) against tf.matMul, and
 * linear (none, GELU) and matmulNT against their tfjs-op reference on parity().
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

const { rnd } = randomInputs(1);

describe('barrier-free matmul', () => {
  const shapes = [
    [13, 7, 9], // nothing a multiple of 4: scalar path, clamped edges
    [1, 4, 4],
    [52, 32, 96], // vec4 path, partial row blocks
    [8, 12, 20],
    [130, 64, 36],
    [16, 300, 24], // long K
  ];
  for (const block of [null, { rm: 4, cv: 1 }, { rm: 8, cv: 2 }] as const)
    test(`NN, NT, TN equal tf.matMul (block ${block ? `${block.rm}x${4 * block.cv}` : 'auto'})`, async () => {
      setTuning({ matmulBlock: block });
      for (const [M, K, N] of shapes) {
        const a = rnd([M, K]);
        const b = rnd([K, N]);
        const bias = rnd([N]);
        const ref = await tf.matMul(a, b).data();
        const refBias = await tf.add(tf.matMul(a, b), bias).data();
        const at = a.transpose();
        const bt = b.transpose();
        const outs = [matmulKernel(a, b, false, false), matmulKernel(a, bt, false, true), matmulKernel(at, b, true, false), matmulKernel(at, bt, true, true)];
        for (const o of outs) {
          expect(o.shape).toEqual([M, N]);
          expect(scaledErr((await o.data()) as Float32Array, ref as Float32Array), `${M}x${K}x${N}`).toBeLessThan(1e-4);
        }
        const withBias = matmulKernel(a, b, false, false, bias);
        expect(scaledErr((await withBias.data()) as Float32Array, refBias as Float32Array)).toBeLessThan(1e-4);
        tf.dispose([a, b, bias, at, bt, withBias, ...outs]);
      }
    });
});

describe('dense layers', () => {
  for (const [N, Cin, Cout] of [
    [17, 13, 7],
    [51, 32, 96],
    [64, 20, 128],
  ])
    test(`linear (none, gelu) and matmulNT, ${N}×${Cin}→${Cout}`, async () => {
      const x = rnd([N, Cin]);
      const w = rnd([Cin, Cout], 0.3);
      const b = rnd([Cout], 0.3);
      await parity((xi, wi, bi) => linear(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D), [x, w, b]);
      await parity((xi, wi, bi) => linear(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, 'gelu'), [x, w, b]);
      const wt = rnd([Cout, Cin], 0.3);
      await parity((xi, wi) => matmulNT(xi as tf.Tensor2D, wi as tf.Tensor2D), [x, wt]);
      tf.dispose([x, w, b, wt]);
    });
});
