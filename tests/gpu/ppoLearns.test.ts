import { expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { GPT } from '../../src/model/gpt';
import { PRESETS } from '../../src/model/config';
import { getTask } from '../../src/tasks';
import { runPpo } from '../../src/rlhf/ppo';
import { ScalarModel } from '../../src/rlhf/scalarModel';
import { DEFAULT_PIPELINE } from '../../src/rlhf/config';
import { layoutFor } from '../../src/rlhf/sequences';

/**
 * PPO's machinery on its own, with a reward it can certainly learn: the fraction of response
 * characters with an even character code (dense, about 0.5 for a random model). A sign error in
 * the advantages, a token/log-prob misalignment or a reward on the wrong token makes it fall or stay flat.
 */
test('PPO raises a simple reward (rubric as the reward, micro model, wasm)', async () => {
  await initBackend('wasm');
  const evenShare = (_prompt: string, r: string) => ({ total: r.length ? [...r].filter((c) => c.charCodeAt(0) % 2 === 0).length / r.length : 0, parts: {} });
  const task = { ...getTask('instructions'), score: evenShare };
  const policy = GPT.create(PRESETS.micro, 3);
  const ref = policy.clone();
  const rm = new ScalarModel(policy.clone());
  const value = rm.clone();
  const prompts = Array.from({ length: 36 }, (_, i) => `reverse: ${'abcdef'[i % 6]}${'abcdef'[Math.floor(i / 6)]}\n`);
  const before = tf.memory().numTensors;
  try {
    const res = await runPpo(
      { policy, ref, rm, value },
      {
        task,
        layout: layoutFor(12, 12),
        trainPrompts: prompts,
        probePrompts: [],
        probeLabelers: [],
        pretrainStream: new Int32Array(256),
        ptxSeqLen: 16,
        seed: 1,
      },
      { ...DEFAULT_PIPELINE.ppo, reward: 'rubric', ptxCoef: 0, iterations: 24, lr: 1e-3, warmup: 4, beta: 0, probeEvery: 0 },
      { metrics: () => {}, samples: () => {}, shouldStop: () => false },
    );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(res.log.slice(0, 4).map((l) => l.reward));
    const last = mean(res.log.slice(-4).map((l) => l.reward));
    expect(res.skipped).toBe(0);
    expect(last).toBeGreaterThan(first + 0.1);
    expect(tf.memory().numTensors).toBe(before);
  } finally {
    for (const m of [policy, ref, rm, value]) m.dispose();
  }
});
