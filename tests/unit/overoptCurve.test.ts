import { describe, expect, test } from 'vitest';
import { hasOveroptData, overoptCurve } from '../../src/state/overoptCurve';
import { stageViews } from '../../src/ui/stageChartList';

describe('the over-optimisation chart of one run', () => {
  const ppo = { kl: [-0.01, 0.04, 0.09, 0.16], reward: [0.1, 0.3, 0.5, 0.7], labelerScore: [0.4, 0.5, 0.55, 0.5] };
  test('each iteration: √KL (a negative estimate counts as 0), the RM score and the gold score; the curve their centred 3-iteration means', () => {
    const { raw, smooth } = overoptCurve(ppo);
    expect(raw.map((p) => [p.iteration, p.x, p.proxy, p.gold])).toEqual([
      [1, 0, 0.1, 0.4],
      [2, 0.2, 0.3, 0.5],
      [3, expect.closeTo(0.3, 12), 0.5, 0.55],
      [4, 0.4, 0.7, 0.5],
    ]);
    expect(smooth[0].proxy).toBeCloseTo(0.2, 12);
    expect(smooth[1].gold).toBeCloseTo((0.4 + 0.5 + 0.55) / 3, 12);
    // KL is averaged before the root
    expect(smooth[3].x).toBeCloseTo(Math.sqrt((0.09 + 0.16) / 2), 12);
  });
  test('an iteration missing a number is left out; fewer than two iterations draw nothing', () => {
    expect(overoptCurve({ ...ppo, labelerScore: [0.4, NaN, 0.55] }).raw.map((p) => p.iteration)).toEqual([1, 3]);
    expect(overoptCurve(undefined).raw).toEqual([]);
    expect(hasOveroptData([{ kl: [0.1], reward: [1], labelerScore: [0.5] }])).toBe(false);
    expect(hasOveroptData([undefined, ppo])).toBe(true);
  });
  test('the PPO group carries it, with what to look for', () => {
    const ppoView = stageViews([{ ppo }], false).find((v) => v.stage === 'ppo')!;
    expect(ppoView.overopt?.lookFor).toBe('the gold score should rise, then flatten or fall while the RM score keeps rising: over-optimisation.');
    expect(stageViews([{ ppo: { reward: [1, 2] } }], false)[0].overopt).toBeUndefined();
  });
});
