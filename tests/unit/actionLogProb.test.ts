import { expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { sequenceLogProbs } from '../../src/rlhf/math';
import { BANNED, maskBanned } from '../../src/model/bannedTokens';
import { sampleToken } from '../../src/model/sampling';
import { BOS, PAD, VOCAB_SIZE } from '../../src/model/tokenizer';
import { Rng } from '../../src/util/rng';

/**
 * The log-prob PPO uses for an action must be the log of the probability the sampler drew it with.
 * The sampler never draws PAD or BOS; logits that favour them make the difference large: the full
 * softmax would be off by log(1 − p_PAD − p_BOS) on every token.
 */
test.each([1, 0.7, 1.5])('the rollout log-prob is the log of the sampling probability, banned ids included (τ = %s)', async (temperature) => {
  await tf.setBackend('cpu');
  expect([...BANNED].sort()).toEqual([PAD, BOS].sort());
  const rng = new Rng(42);
  const V = VOCAB_SIZE;
  const row = Float32Array.from({ length: V }, () => 3 * rng.normal());
  row[PAD] = 6; // the model likes PAD and BOS a lot: the sampler must still never draw them
  row[BOS] = 5;
  const draws = 40_000;
  const counts = new Array<number>(V).fill(0);
  for (let i = 0; i < draws; i++) counts[sampleToken(row, { temperature, topK: 0, topP: 1 }, rng, BANNED)]++;
  expect(counts[PAD] + counts[BOS]).toBe(0);
  // The most drawn tokens: their log-probs under the masked logits vs their empirical frequency.
  const top = counts
    .map((c, id) => [c, id])
    .sort((a, b) => b[0] - a[0])
    .slice(0, 6)
    .map(([, id]) => id);
  const logits = tf.tensor3d(row, [1, 1, V]);
  const masked = await Promise.all(top.map((id) => sequenceLogProbs(maskBanned(logits), tf.tensor2d([[id]], [1, 1], 'int32'), temperature).data()));
  const full = await Promise.all(top.map((id) => sequenceLogProbs(logits, tf.tensor2d([[id]], [1, 1], 'int32'), temperature).data()));
  top.forEach((id, i) => {
    const freq = counts[id] / draws;
    const se = Math.sqrt((freq * (1 - freq)) / draws);
    expect(Math.abs(Math.exp(masked[i][0]) - freq), `token ${id}`).toBeLessThan(4 * se + 1e-3);
  });
  // the unmasked log-prob (what PPO used before) is visibly not the sampling probability
  const freq0 = counts[top[0]] / draws;
  expect(Math.abs(Math.exp(full[0][0]) - freq0)).toBeGreaterThan(10 * Math.sqrt((freq0 * (1 - freq0)) / draws));
  // exp of the masked log-probs sums to 1 over the allowed ids, exactly 0 on the banned ones
  const all = await tf.exp(tf.logSoftmax(tf.div(maskBanned(logits), temperature))).data();
  expect(all[PAD]).toBe(0);
  expect(all[BOS]).toBe(0);
  expect(Array.from(all).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
});
