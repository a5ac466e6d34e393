import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { GPT } from '../../src/model/gpt';
import { AdamW } from '../../src/model/optim';
import { Rng } from '../../src/util/rng';
import { packCorpus, sampleWindows } from '../../src/train/batches';
import { lmTrainStep } from '../../src/train/trainStep';
import { ScalarLog } from '../../src/train/metrics';
import { setTuning } from '../../src/kernels/tuning';
import { TEST_CFG } from './helpers';

beforeAll(async () => {
  await initBackend('webgpu');
});

const corpus = Array.from({ length: 200 }, (_, i) => `count ${i % 10} ${(i % 10) + 1} ${(i % 10) + 2}`);

describe('training on webgpu', () => {
  test('no tensor leaks: the tensor count after step 2 equals the count after step 20', async () => {
    const model = GPT.create(TEST_CFG, 1);
    const opt = new AdamW(model.params);
    const rng = new Rng(3);
    const stream = packCorpus(corpus);
    const log = new ScalarLog();
    const counts: number[] = [];
    for (let step = 1; step <= 20; step++) {
      const { loss, gradNorm } = lmTrainStep(model, opt, sampleWindows(stream, 4, 16, rng), 1e-3, step);
      log.push('loss', loss);
      log.push('gradNorm', gradNorm);
      if (step % 2 === 0) await log.flush();
      counts[step] = tf.memory().numTensors;
    }
    expect(counts[20]).toBe(counts[2]);
    log.dispose();
    opt.dispose();
    model.dispose();
  });

  test('a short run lowers the loss, and metrics arrive through the async log', async () => {
    const model = GPT.create(TEST_CFG, 2);
    const opt = new AdamW(model.params);
    const rng = new Rng(4);
    const stream = packCorpus(corpus);
    const log = new ScalarLog();
    const losses: number[] = [];
    for (let step = 0; step < 80; step++) {
      const { loss, gradNorm } = lmTrainStep(model, opt, sampleWindows(stream, 8, 16, rng), 3e-3, step);
      log.push('loss', loss);
      gradNorm.dispose();
      if (log.size >= 10) losses.push(...(await log.flush()).loss);
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(losses).toHaveLength(80);
    expect(first).toBeGreaterThan(Math.log(TEST_CFG.vocabSize) - 0.5); // starts near uniform
    expect(last).toBeLessThan(first * 0.6);
    expect((await opt.skipped.data())[0]).toBe(0);
    opt.dispose();
    model.dispose();
  });

  test('a non-finite gradient never reaches the weights: the step is skipped and counted', async () => {
    const model = GPT.create(TEST_CFG, 3);
    const opt = new AdamW(model.params);
    const before = await model.p('h.0.mlp.c_fc.weight').data();
    const name = model.p('h.0.mlp.c_fc.weight').name;
    const grads: Record<string, tf.Tensor> = {};
    for (const v of model.params.values()) grads[v.name] = tf.onesLike(v);
    grads[name] = tf.fill(model.p('h.0.mlp.c_fc.weight').shape, NaN);
    opt.apply(grads, 1e-2).dispose();
    tf.dispose(Object.values(grads));
    const after = await model.p('h.0.mlp.c_fc.weight').data();
    expect(Array.from(after)).toEqual(Array.from(before));
    expect((await opt.skipped.data())[0]).toBe(1);
    expect((await opt.steps.data())[0]).toBe(0);
    opt.dispose();
    model.dispose();
  });
});

describe('training with fused kernels', () => {
  test('20 steps from the same seed end with the same losses as the plain tfjs-op step (within 1e-3)', async () => {
    const corpus = Array.from({ length: 200 }, (_, i) => `count ${i % 10} ${(i % 10) + 1} ${(i % 10) + 2}`);
    const stream = packCorpus(corpus);
    const run = async (fused: boolean) => {
      setTuning({ fusedKernels: fused });
      const model = GPT.create(TEST_CFG, 11);
      const opt = new AdamW(model.params);
      const rng = new Rng(12);
      const losses: number[] = [];
      for (let step = 0; step < 20; step++) {
        const { loss, gradNorm } = lmTrainStep(model, opt, sampleWindows(stream, 4, 16, rng), 3e-3, step);
        losses.push((await loss.data())[0]);
        tf.dispose([loss, gradNorm]);
      }
      opt.dispose();
      model.dispose();
      return losses;
    };
    const fused = await run(true);
    const ref = await run(false);
    expect(fused[19]).toBeLessThan(fused[0] - 0.5); // it learns
    fused.forEach((l, i) => expect(Math.abs(l - ref[i]), `step ${i}`).toBeLessThan(1e-3));
  });
});
