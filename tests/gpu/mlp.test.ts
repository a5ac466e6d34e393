import { beforeAll, describe, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { linear, mlp } from '../../src/kernels/linear/op';
import { setTuning } from '../../src/kernels/tuning';
import { parity, randomInputs } from './parity';

/**
 * kernels/linear's fused passes on parity(), with every register block (the tiny preset's layers take
 * the 8 × 8 one, these small shapes would not): mlp, GPT-2's MLP as one op (u and gelu(u) written by the
 * first layer's pass, gelu' in the epilogue of the second layer's dX), and linear with and without GELU
 * (its bias gradient summed in the pass of its weight gradient); both with a residual added in the store.
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

const { rnd } = randomInputs(301);

describe('mlp and linear, every block', () => {
  for (const block of [null, { rm: 4, cv: 1 }, { rm: 8, cv: 2 }] as const)
    for (const [N, C, H] of [
      [17, 13, 7], // nothing a multiple of 4: the scalar path
      [51, 32, 128],
      [64, 20, 80],
    ])
      test(`${N}×${C}, hidden ${H}, block ${block ? `${block.rm}x${4 * block.cv}` : 'auto'}`, async () => {
        setTuning({ matmulBlock: block });
        const [x, w1, b1, w2, b2, r, rh] = [rnd([N, C]), rnd([C, H], 0.3), rnd([H], 0.3), rnd([H, C], 0.3), rnd([C], 0.3), rnd([N, C]), rnd([N, H])];
        const t2 = (t: tf.Tensor) => t as tf.Tensor2D;
        const t1 = (t: tf.Tensor) => t as tf.Tensor1D;
        try {
          await parity((a, b, c, d, e) => mlp(t2(a), t2(b), t1(c), t2(d), t1(e)), [x, w1, b1, w2, b2]);
          await parity((a, b, c, d, e, f) => mlp(t2(a), t2(b), t1(c), t2(d), t1(e), t2(f)), [x, w1, b1, w2, b2, r]);
          for (const act of ['none', 'gelu'] as const) await parity((a, b, c) => linear(t2(a), t2(b), t1(c), act), [x, w1, b1]);
          await parity((a, b, c, d) => linear(t2(a), t2(b), t1(c), 'none', t2(d)), [x, w1, b1, rh]);
        } finally {
          setTuning({ matmulBlock: null });
          tf.dispose([x, w1, b1, w2, b2, r, rh]);
        }
      });
});
