import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { runPipeline, type PipelineReport } from '../../src/rlhf/pipeline';
import { DEFAULT_PIPELINE, type PipelineConfig } from '../../src/rlhf/config';

/**
 * A short pipeline on a micro config, with the worker's code path minus the worker. It runs on the
 * wasm backend: the math is the same on every backend (the webgpu parity tests show it), and
 * SwiftShader's WebGPU is too slow for a whole pipeline inside the CI budget.
 */
const MICRO: PipelineConfig = {
  ...DEFAULT_PIPELINE,
  preset: 'micro',
  pretrain: { ...DEFAULT_PIPELINE.pretrain, steps: 300, seqLen: 32 },
  sft: { ...DEFAULT_PIPELINE.sft, steps: 150 },
  rm: { ...DEFAULT_PIPELINE.rm, steps: 80, trainPrompts: 128, heldoutPrompts: 48 },
  ppo: { ...DEFAULT_PIPELINE.ppo, iterations: 12, rolloutBatch: 16, probeEvery: 4 },
  eval: { testPrompts: 32, pretrainWindows: 32, split: 'test' },
};

describe('the pipeline on a micro config', () => {
  let report: PipelineReport;
  const stages: string[] = [];
  /** every pretraining loss of the whole run, step by step */
  const pretrainLosses: number[] = [];

  test('runs every stage and reports every key', async () => {
    const engine = await initBackend('wasm');
    const before = tf.memory().numTensors;
    report = await runPipeline(MICRO, engine, {
      stage: (s, st) => stages.push(`${s}:${st}`),
      hooksFor: (s) => ({ metrics: (m) => s === 'pretrain' && pretrainLosses.push(...m.values.loss), samples: () => {}, shouldStop: () => false }),
      shouldStop: () => false,
    });
    expect(tf.memory().numTensors).toBe(before); // every model and optimizer freed
    expect(stages).toEqual([
      'pretrain:running',
      'pretrain:done',
      'sft:running',
      'sft:done',
      'rm:running',
      'rm:done',
      'ppo:running',
      'ppo:done',
      'eval:running',
      'eval:done',
    ]);
    for (const key of ['pretrain', 'sft', 'rm', 'ppo']) expect(report.stages).toHaveProperty(key);
    expect(Object.keys(report.eval)).toEqual(expect.arrayContaining(['prompts', 'labeler_agreement', 'labeler_score', 'winrate_ppo_vs_sft', 'pretrain_loss']));
    expect(report.backend).toBe('wasm');
  });

  test('each stage moves its metric the right way', () => {
    const { pretrain, sft, rm, ppo } = report.stages;
    expect(pretrain.loss_last).toBeLessThan(pretrain.loss_first - 1);
    expect(sft.loss_last).toBeLessThan(sft.loss_first - 0.5);
    expect(rm.train_accuracy).toBeGreaterThan(0.55);
    expect(rm.heldout_accuracy).toBeGreaterThan(0.5);
    // its interval over the held-out prompts brackets it
    const [rmLo, rmHi] = rm.heldout_accuracy_ci95!;
    expect(rmLo).toBeLessThan(rm.heldout_accuracy);
    expect(rmHi).toBeGreaterThan(rm.heldout_accuracy);
    expect(rmHi - rmLo).toBeLessThan(0.5);
    expect(ppo.reward_last).toBeGreaterThan(ppo.reward_first);
    expect(ppo.kl_last).toBeGreaterThanOrEqual(0); // k1 (the default): a mean over 16 rollouts, below 0 only for a policy that never moved
    expect(Number.isFinite(ppo.kl_last)).toBe(true);
    expect(ppo.skipped_updates).toBe(0);
    expect(report.eval.labeler_score.sft).toBeGreaterThan(report.eval.labeler_score.base);
    // agreement MEASURED on training ranking sets (the noise was calibrated on the held-out ones)
    const a = report.eval.labeler_agreement!;
    for (const x of [a.train_train, a.heldout_heldout, a.train_heldout]) {
      expect(x).toBeGreaterThan(0.6);
      expect(x).toBeLessThan(0.86);
    }
    expect(rm.heldout_accuracy_train_labelers).toBeGreaterThan(0.5);
    expect(rm.passes).toBeCloseTo((80 * 8) / 128, 6);
    expect(rm.sampled_share).toBeGreaterThan(0);
    expect(rm.sampled_share).toBeLessThanOrEqual(1);
    expect(report.eval.split).toBe('test');
    const [lo, hi] = report.eval.winrate_ci95!;
    expect(lo).toBeLessThanOrEqual(report.eval.winrate_ppo_vs_sft);
    expect(hi).toBeGreaterThanOrEqual(report.eval.winrate_ppo_vs_sft);
  });

  test('with `last` it runs only the stages up to it (the LM-only view): the same pretraining, no report', async () => {
    const engine = await initBackend('wasm');
    const before = tf.memory().numTensors;
    const seen: string[] = [];
    const losses: number[] = [];
    const none = await runPipeline(
      MICRO,
      engine,
      {
        stage: (s, st) => seen.push(`${s}:${st}`),
        hooksFor: () => ({ metrics: (m) => losses.push(...m.values.loss), samples: () => {}, shouldStop: () => false }),
        shouldStop: () => false,
      },
      undefined,
      undefined,
      'pretrain',
    );
    expect(none).toBeNull();
    expect(seen).toEqual(['pretrain:running', 'pretrain:done']);
    expect(tf.memory().numTensors).toBe(before);
    expect(losses).toHaveLength(MICRO.pretrain.steps);
    expect(losses).toEqual(pretrainLosses); // the base model the whole pipeline would start from
  });
});
