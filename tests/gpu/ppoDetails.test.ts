import { describe, expect, test } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { GPT } from '../../src/model/gpt';
import { PRESETS } from '../../src/model/config';
import { getTask } from '../../src/tasks';
import { runPpo, type PpoIterationLog } from '../../src/rlhf/ppo';
import { ScalarModel } from '../../src/rlhf/scalarModel';
import { DEFAULT_PIPELINE, type PpoConfig } from '../../src/rlhf/config';
import { layoutFor } from '../../src/rlhf/sequences';
import { packCorpus } from '../../src/train/batches';
import { Rng } from '../../src/util/rng';

/**
 * The PPO details that bias an update if wrong (issue: "Learning that holds up"): dropout in the
 * update, the ptx stream, the EMA's schedule. Micro models, a few iterations.
 */
const task = getTask('instructions');
const prompts = task.prompts(new Rng(3), { train: 40, val: 0, test: 0 }).train;
const stream = packCorpus(task.pretrainCorpus(new Rng(4), 200));

async function ppo(cfg: Partial<PpoConfig>, opts: { dropout?: number; ema?: boolean } = {}) {
  const policy = GPT.create({ ...PRESETS.micro, dropout: opts.dropout ?? 0 }, 5);
  const ref = policy.clone();
  const rm = new ScalarModel(policy.clone());
  const value = rm.clone();
  const ema = opts.ema ? policy.clone() : undefined;
  const samples: { prompt: string; completion: string }[][] = [];
  try {
    const res = await runPpo(
      { policy, ref, rm, value, ema },
      {
        task,
        layout: layoutFor(task.maxPromptLength, task.maxResponseLength),
        trainPrompts: prompts,
        probePrompts: [],
        probeLabelers: [],
        pretrainStream: stream,
        ptxSeqLen: 32,
        seed: 9,
      },
      { ...DEFAULT_PIPELINE.ppo, iterations: 1, rolloutBatch: 16, minibatches: 2, probeEvery: 0, ...cfg },
      { metrics: () => {}, samples: (_step, s) => samples.push(s), shouldStop: () => false },
    );
    return { res, samples };
  } finally {
    for (const m of [policy, ref, rm, value, ...(ema ? [ema] : [])]) m.dispose();
  }
}

describe('PPO details', () => {
  test('with dropout in the model, an update at lr 0 sees ratio 1: clipfrac 0 and approx-KL 0 (webgpu, fused loss)', async () => {
    await initBackend('webgpu');
    const { res } = await ppo({ lr: 0, valueLr: 0, ptxCoef: 0.01, iterations: 2 }, { dropout: 0.1 });
    const log: PpoIterationLog[] = res.log;
    expect(res.skipped).toBe(0);
    for (const l of log) {
      expect(l.clipfrac).toBe(0);
      expect(Math.abs(l.approxKl)).toBeLessThan(1e-6);
    }
  });

  test('the EMA is updated once per policy optimizer step', async () => {
    await initBackend('wasm');
    const { res } = await ppo({ iterations: 2, minibatches: 2, epochs: 2, emaDecay: 0.9 }, { ema: true });
    expect(res.emaUpdates).toBe(2 * 2 * 2);
    const off = await ppo({ iterations: 1, emaDecay: 0 });
    expect(off.res.emaUpdates).toBe(0);
  });

  test('γ_ptx changes nothing but the ptx term: the same prompts are rolled out in every iteration', async () => {
    await initBackend('wasm');
    const a = await ppo({ iterations: 3, ptxCoef: 0 });
    const b = await ppo({ iterations: 3, ptxCoef: 0.5 });
    expect(b.samples.map((s) => s.map((x) => x.prompt))).toEqual(a.samples.map((s) => s.map((x) => x.prompt)));
    // the first rollout comes from the same weights: the very same answers
    expect(b.samples[0]).toEqual(a.samples[0]);
    expect(b.res.log[2].ptxLoss).toBeGreaterThan(0);
  });
});
