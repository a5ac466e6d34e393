import { expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { runPipeline } from '../../src/rlhf/pipeline';
import type { PipelineConfig } from '../../src/rlhf/config';
import { runVariants } from '../../src/rlhf/variants';
import { forkStage, stageOfSetting } from '../../src/rlhf/settingStages';
import { MICRO_PIPELINE, QUIET_HOOKS, withoutTimes } from './helpers';

const MICRO = MICRO_PIPELINE;
const quiet = QUIET_HOOKS;

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

test('setups that change different stages each resume after what they share with an earlier one (micro, wasm)', async () => {
  const engine = await initBackend('wasm');
  const rmChanged: PipelineConfig = { ...MICRO, rm: { ...MICRO.rm, lr: MICRO.rm.lr * 2 } };
  const ppoChanged: PipelineConfig = { ...MICRO, ppo: { ...MICRO.ppo, beta: MICRO.ppo.beta * 2 } };
  const both: PipelineConfig = { ...rmChanged, ppo: ppoChanged.ppo };
  const before = tf.memory().numTensors;
  const stagesRun: string[] = [];
  const v = await runVariants([MICRO, rmChanged, ppoChanged, both], engine, (i) => ({
    ...quiet,
    stage: (s, st) => st === 'running' && stagesRun.push(`${i}:${s}`),
  }));
  expect(tf.memory().numTensors).toBe(before);
  expect(v.fork).toBe('rm');
  expect(stagesRun).toEqual(['0:pretrain', '0:sft', '0:rm', '0:ppo', '0:eval', '1:rm', '1:ppo', '1:eval', '2:ppo', '2:eval', '3:ppo', '3:eval']);
  expect(v.stageRuns).toBe(4 + 2 + 1 + 1); // instead of 4 + 3 × 2 (all from the RM on) or 16 (all from scratch)
  expect(v.reports[2].stages.rm).toEqual(v.reports[0].stages.rm);
  expect(v.reports[3].stages.rm).toEqual(v.reports[1].stages.rm);
  expect(v.reports[1].stages.rm).not.toEqual(v.reports[0].stages.rm);
  // the last resumed after the second's RM, with the third's run in between: still a from-scratch run's report
  expect(withoutTimes(v.reports[3])).toEqual(withoutTimes(await runPipeline(both, engine, quiet)));
});
