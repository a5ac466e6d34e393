import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { setTuning } from '../../src/kernels/tuning';
import { GPT } from '../../src/model/gpt';
import { AdamW } from '../../src/model/optim';
import { TEST_CFG, scaledErr } from './helpers';

/**
 * kernels/adamw: the fused step against the tfjs-op reference over 3 steps (an optimizer step has no
 * gradient, so no parity(): parameters, moments, norms and counters are compared directly).
 */
beforeAll(async () => {
  await initBackend('webgpu');
});

describe('AdamW', () => {
  test('the fused update equals the reference over 3 steps (params, moments, norm, counters)', async () => {
    const run = async (fused: boolean) => {
      setTuning({ fusedKernels: fused });
      const model = GPT.create(TEST_CFG, 4);
      const opt = new AdamW(model.params);
      const norms: number[] = [];
      for (let s = 0; s < 3; s++) {
        const grads: Record<string, tf.Tensor> = {};
        let i = 0;
        for (const v of model.params.values()) grads[v.name] = tf.randomNormal(v.shape, 0, 0.5, 'float32', 1 + 100 * s + i++); // seed 0 would mean unseeded;
        const n = opt.apply(grads, 1e-2);
        norms.push((await n.data())[0]);
        tf.dispose([n, ...Object.values(grads)]);
      }
      const out = {
        norms,
        params: await Promise.all([...model.params.values()].map((v) => v.data())),
        m: await Promise.all([...opt.state().m.values()].map((v) => v.data())),
        v: await Promise.all([...opt.state().v.values()].map((v) => v.data())),
        steps: (await opt.steps.data())[0],
      };
      opt.dispose();
      model.dispose();
      return out;
    };
    const fused = await run(true);
    const ref = await run(false);
    fused.norms.forEach((n, i) => expect(Math.abs(n - ref.norms[i]) / ref.norms[i]).toBeLessThan(1e-5));
    for (const key of ['params', 'm', 'v'] as const)
      fused[key].forEach((x, i) => expect(scaledErr(x as Float32Array, ref[key][i] as Float32Array), key).toBeLessThan(1e-4));
    expect(fused.steps).toBe(3);
  });
});
