import { describe, expect, test } from 'vitest';
import { stageViews } from '../../src/ui/stageChartList';

const RUN = {
  pretrain: { loss: [4.6, 4.4, 4.2], forwardMs: [12], lr: [1e-3, 1.6e-3] },
  rm: { loss: [0.69, 0.68], heldoutAccuracy: [0.71], trainAccuracy: [0.72] },
  ppo: { iteration: [1, 2, 3], reward: [0.1, 0.2, 0.3], beta: [0.02, 0.02, 0.02], custom: [1, 2] },
};

describe('charts grouped by stage', () => {
  const views = stageViews([RUN], false);
  test('one group per stage with data, in pipeline order, each saying what to look for', () => {
    expect(views.map((v) => v.stage)).toEqual(['pretrain', 'rm', 'ppo']);
    for (const v of views) expect(v.lookFor.length).toBeGreaterThan(20);
    expect(views.find((v) => v.stage === 'rm')!.lookFor).toMatch(/held-out accuracy should rise toward the rubric's ceiling of ~0\.80/);
    expect(views.find((v) => v.stage === 'ppo')!.lookFor).toMatch(/over-optimising/);
  });
  test('one-point series and constants are figures, not charts; timings and bookkeeping are left out', () => {
    const rm = views.find((v) => v.stage === 'rm')!;
    expect(rm.figures.map((f) => [f.spec.metric, f.kind])).toEqual([
      ['heldoutAccuracy', 'value'],
      ['trainAccuracy', 'value'],
    ]);
    expect(rm.charts.map((c) => c.metric)).toEqual(['loss']);
    const ppo = views.find((v) => v.stage === 'ppo')!;
    expect(ppo.figures.map((f) => [f.spec.metric, f.kind])).toEqual([['beta', 'constant']]);
    expect(ppo.charts.map((c) => c.metric)).toEqual(['reward', 'custom']);
    expect(ppo.charts.every((c) => c.x === 'iteration')).toBe(true);
    expect(views[0].charts.map((c) => c.metric)).toEqual(['loss', 'lr']);
  });
  test('the live page keeps the first chart up before any data; saved runs show nothing empty', () => {
    expect(stageViews([{}], true).map((v) => v.charts.map((c) => `${c.stage}.${c.metric}`))).toEqual([['pretrain.loss']]);
    expect(stageViews([{}], false)).toEqual([]);
  });
  test('two runs compared: a series is a curve when either run has one', () => {
    const other = { ppo: { beta: [0.05, 0.05, 0.05] } };
    const ppo = stageViews([RUN, other], false).find((v) => v.stage === 'ppo')!;
    expect(ppo.charts.map((c) => c.metric)).toContain('beta');
  });
});
