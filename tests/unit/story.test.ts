import { describe, expect, test } from 'vitest';
import { doneMessage, headlineOf, percent, stageProgress, stageStatus } from '../../src/state/story';
import type { PipelineReport } from '../../src/rlhf/pipelineTypes';

const RUN = {
  state: 'training' as const,
  stage: 'rm' as const,
  step: 5,
  total: 20,
  etaSeconds: 150,
  stages: [
    { stage: 'pretrain' as const, state: 'running' as const },
    { stage: 'pretrain' as const, state: 'done' as const, message: '60 steps, loss 2.712' },
    { stage: 'rm' as const, state: 'running' as const },
  ],
};

describe('the story diagram', () => {
  test('each stage: waiting, running with its progress and ETA, done with its message', () => {
    expect(stageStatus(RUN, 'pretrain')).toBe('done');
    expect(doneMessage(RUN, 'pretrain')).toBe('60 steps, loss 2.712');
    expect(stageStatus(RUN, 'rm')).toBe('running');
    expect(stageStatus(RUN, 'ppo')).toBe('waiting');
    expect(stageProgress(RUN, 'rm')).toEqual({ step: 5, total: 20, fraction: 0.25, eta: '3 min left' });
    expect(stageProgress({ ...RUN, etaSeconds: 40 }, 'rm')?.eta).toBe('40 s left');
    expect(stageProgress({ ...RUN, etaSeconds: 0 }, 'rm')?.eta).toBe('');
    expect(stageProgress(RUN, 'pretrain')).toBeNull();
    expect(stageProgress({ ...RUN, total: 0 }, 'rm')).toBeNull();
  });
  test('a run that failed or was stopped mid-stage says so', () => {
    expect(stageStatus({ ...RUN, state: 'failed' }, 'rm')).toBe('failed');
    expect(stageStatus({ ...RUN, state: 'stopped' }, 'rm')).toBe('stopped');
    expect(stageProgress({ ...RUN, state: 'stopped' }, 'rm')).toBeNull();
  });
  test('the headline: win rate with its interval, the labelers’ scores, which prompts', () => {
    expect(headlineOf(null)).toBeNull();
    const report = {
      config: { eval: { split: 'test' } },
      eval: { prompts: 256, winrate_ppo_vs_sft: 0.611, winrate_ci95: [0.56, 0.67], labeler_score: { base: 0.334, sft: 0.422, ppo: 0.544 } },
    } as unknown as PipelineReport;
    const h = headlineOf(report)!;
    expect(h).toMatchObject({ winrate: 0.611, ci95: [0.56, 0.67], prompts: 256, split: 'test' });
    expect(h.scores.map((s) => `${s.model} ${s.score}`)).toEqual(['base 0.334', 'SFT 0.422', 'PPO 0.544']);
    const dev = headlineOf({ ...report, eval: { ...report.eval, split: 'val', winrate_ci95: undefined } } as PipelineReport)!;
    expect(dev.split).toBe('dev');
    expect(dev.ci95).toBeNull();
    expect(percent(0.611)).toBe('61%');
    expect(percent(NaN)).toBe('–');
  });
});
