import { expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { runPipeline } from '../../src/rlhf/pipeline';
import { DEFAULT_PIPELINE, type PipelineConfig } from '../../src/rlhf/config';
import { runVariants } from '../../src/rlhf/variants';
import { forkStage, stageOfSetting } from '../../src/rlhf/settingStages';
import { withoutTimes } from './helpers';

/** A very short micro pipeline (wasm): enough for every stage to run and every number to move. */
const MICRO: PipelineConfig = {
  ...DEFAULT_PIPELINE,
  preset: 'micro',
  pretrain: { ...DEFAULT_PIPELINE.pretrain, steps: 40, seqLen: 32, corpusDocs: 400 },
  sft: { ...DEFAULT_PIPELINE.sft, steps: 20, demonstrations: 64 },
  rm: { ...DEFAULT_PIPELINE.rm, steps: 10, trainPrompts: 32, heldoutPrompts: 16 },
  ppo: { ...DEFAULT_PIPELINE.ppo, iterations: 3, rolloutBatch: 8, probeEvery: 2 },
  eval: { testPrompts: 16, pretrainWindows: 16, split: 'test' },
};
const quiet = { stage: () => {}, hooksFor: () => ({ metrics: () => {}, samples: () => {}, shouldStop: () => false }), shouldStop: () => false };

test('which stage a setting changes', () => {
  expect(stageOfSetting('ppo.beta')).toBe('ppo');
  expect(stageOfSetting('rm.k')).toBe('rm');
  expect(stageOfSetting('rm.heldoutPrompts')).toBe('pretrain'); // the corpus leaves held-out prompts out
  expect(stageOfSetting('seed')).toBe('pretrain');
  expect(stageOfSetting('eval.split')).toBe('eval');
  expect(forkStage(MICRO, { ...MICRO, ppo: { ...MICRO.ppo, beta: 0.1 }, rm: { ...MICRO.rm, lr: 1e-3 } })).toBe('rm');
  expect(forkStage(MICRO, structuredClone(MICRO))).toBe(null);
});

test('variants share the stages before the fork, and each equals a from-scratch run (micro, wasm)', async () => {
  const engine = await initBackend('wasm');
  const plain: PipelineConfig = { ...MICRO, ppo: { ...MICRO.ppo, ptxCoef: 0 } };
  const before = tf.memory().numTensors;
  const stagesRun: string[] = [];
  const v = await runVariants([MICRO, plain], engine, (i) => ({ ...quiet, stage: (s, st) => st === 'running' && stagesRun.push(`${i}:${s}`) }));
  expect(tf.memory().numTensors).toBe(before);
  expect(v.fork).toBe('ppo');
  expect(v.stageRuns).toBe(5); // 4 + PPO again, instead of 8
  expect(stagesRun).toEqual(['0:pretrain', '0:sft', '0:rm', '0:ppo', '0:eval', '1:ppo', '1:eval']);
  const scratch = await runPipeline(plain, engine, quiet);
  expect(withoutTimes(v.reports[1])).toEqual(withoutTimes(scratch));
  expect(v.reports[1].stages.rm).toEqual(v.reports[0].stages.rm);
  expect(v.reports[1].eval.winrate_ppo_vs_sft).not.toBe(undefined);
});
