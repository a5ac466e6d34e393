import { describe, expect, test } from 'vitest';
import { legendFor, shade, shadeCss, tokenNumbers, valueScale, visibleToken } from '../../src/ui/tokenColour';
import type { TokenScores } from '../../src/worker/protocol';

const scores: TokenScores = {
  tokens: ['a', ' ', '\n', '<eos>'],
  logprob: [-0.1, -5, -20, NaN],
  klToSft: [0.5, -3, 0, NaN],
  value: [1, -0.2, 0, NaN],
  logprobBy: {},
  rmScore: 0.3,
  labelerScore: 0.5,
};

describe('per-token colouring', () => {
  test('log-prob: rarer tokens are stronger, capped at 1; NaN gives no colour', () => {
    expect(shade(scores, 0, 'logprob').strength).toBeCloseTo(0.02);
    expect(shade(scores, 1, 'logprob').strength).toBe(1);
    expect(shade(scores, 2, 'logprob').strength).toBe(1);
    expect(shade(scores, 3, 'logprob').strength).toBe(0);
  });
  test('KL and value are diverging: the sign picks the side', () => {
    expect(shade(scores, 0, 'kl').side).toBe('pos');
    expect(shade(scores, 1, 'kl').side).toBe('neg');
    expect(shade(scores, 1, 'kl').strength).toBeCloseTo(Math.tanh(1.5));
    expect(shade(scores, 1, 'value')).toEqual({ side: 'neg', strength: Math.tanh(0.2) });
    expect(shade(scores, 2, 'value').strength).toBe(0);
  });
  test('value: scaled to the largest |value| shown, symmetric around 0, so small values still show', () => {
    const small: TokenScores = { ...scores, value: [0.02, -0.05, 0.01, NaN] };
    const other: TokenScores = { ...scores, value: [0.04] };
    const scale = valueScale([small, other]);
    expect(scale).toBe(0.05);
    expect(shade(small, 1, 'value', scale)).toEqual({ side: 'neg', strength: 1 });
    expect(shade(small, 0, 'value', scale).side).toBe('pos');
    expect(shade(small, 0, 'value', scale).strength).toBeCloseTo(0.4);
    expect(shade(small, 3, 'value', scale).strength).toBe(0);
    // the old fixed scale would have left these nearly white
    expect(shade(small, 1, 'value').strength).toBeLessThan(0.06);
    expect(valueScale([])).toBe(0);
    expect(valueScale([{ ...scores, value: [NaN] }])).toBe(0);
    // the scale only changes the value colouring
    expect(shade(scores, 1, 'kl', 0.01)).toEqual(shade(scores, 1, 'kl'));
  });
  test('the legend names the ends of the scale', () => {
    expect(legendFor('value', 0.05)).toEqual({ neg: '−0.050', mid: '0', pos: '+0.050' });
    expect(legendFor('value', 1.5)).toEqual({ neg: '−1.50', mid: '0', pos: '+1.50' });
    expect(legendFor('value', 0)).toEqual({ neg: '−3', mid: '0', pos: '+3' });
    expect(legendFor('logprob', 0).pos).toBe('−5 or less (surprising)');
  });
  test('the CSS mixes at most 55% of the scale colour into the panel', () => {
    expect(shadeCss({ side: 'pos', strength: 1 })).toBe('color-mix(in srgb, var(--heat-pos) 55%, var(--panel))');
    expect(shadeCss({ side: 'neg', strength: 0 })).toBe('color-mix(in srgb, var(--heat-neg) 0%, var(--panel))');
  });
  test('numbers read as one line, with visible whitespace and real minus signs', () => {
    expect(visibleToken(' ')).toBe('␣');
    expect(visibleToken('\n')).toBe('↵');
    expect(tokenNumbers(scores, 1)).toBe('“␣”: log-prob −5.00 (p = 0.01) · KL to SFT −3.00 · value −0.20');
    expect(tokenNumbers(scores, 0)).toBe('“a”: log-prob −0.10 (p = 0.90) · KL to SFT +0.50 · value 1.00');
    expect(tokenNumbers(scores, 3)).toMatch(/log-prob – \(p = –\) · KL to SFT – · value –/);
  });
});
