import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { GPT } from '../../src/model/gpt';
import { attentionMaps } from '../../src/model/attentionMaps';
import { TEST_CFG, maxAbsDiff, modelFrom, randomTokens, randomWeights } from './helpers';

beforeAll(async () => {
  await initBackend('webgpu');
});

const T = 19;

async function check(model: GPT, tokens: number[], tol: number): Promise<void> {
  const { nLayer, nHead } = model.cfg;
  const r = await attentionMaps(model, tokens);
  expect([r.nLayer, r.nHead, r.T]).toEqual([nLayer, nHead, T]);
  const ref = tf.tidy(() => model.logits(tf.tensor2d(tokens, [1, T], 'int32')));
  const logits = (await ref.data()) as Float32Array;
  ref.dispose();
  expect(r.logits.length).toBe(T * model.cfg.vocabSize);
  expect(maxAbsDiff(r.logits, logits)).toBeLessThan(tol);
  // Every row a distribution over the keys it may see: sums to 1, zero above the diagonal.
  for (let m = 0; m < nLayer * nHead; m++) {
    for (let i = 0; i < T; i++) {
      const row = r.weights.subarray((m * T + i) * T, (m * T + i + 1) * T);
      let sum = 0;
      for (let j = 0; j < T; j++) {
        expect(row[j]).toBeGreaterThanOrEqual(0);
        if (j > i) expect(row[j]).toBe(0);
        sum += row[j];
      }
      expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
    }
  }
}

describe('attention maps come from the same math as the model', () => {
  test('GPT-2 initialisation: reference forward logits equal model.logits()', async () => {
    const model = GPT.create(TEST_CFG, 3);
    try {
      await check(model, Array.from(randomTokens(T, TEST_CFG.vocabSize, 5)), 1e-4);
    } finally {
      model.dispose();
    }
  });

  test('large random weights (every path carries signal): the same, and the first row attends only to itself', async () => {
    const model = modelFrom(TEST_CFG, randomWeights(TEST_CFG, 9));
    try {
      const tokens = Array.from(randomTokens(T, TEST_CFG.vocabSize, 6));
      await check(model, tokens, 1e-4);
      const r = await attentionMaps(model, tokens);
      for (let m = 0; m < TEST_CFG.nLayer * TEST_CFG.nHead; m++) expect(r.weights[m * T * T]).toBeCloseTo(1, 6);
      await expect(attentionMaps(model, [])).rejects.toThrow(/tokens expected/);
    } finally {
      model.dispose();
    }
  });
});
