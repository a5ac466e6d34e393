import { describe, expect, test } from 'vitest';
import { DEFAULT_PIPELINE, PIPELINE_SETTINGS, settingProblem, validatePipelineConfig } from '../../src/rlhf/config';
import { decodeLink, encodeLink } from '../../src/share/link';
import { defaultSetup } from '../../src/share/linkSchema';
import {
  SETTING_GROUPS,
  SETTING_KEYS,
  changedSettings,
  configToSetup,
  getSetting,
  linkSchema,
  parseNumber,
  setSetting,
  setupToConfig,
} from '../../src/state/configKeys';
import { SETTINGS_PRESETS } from '../../src/state/presets';
import { downsample, extent, fmt, positive, smooth } from '../../src/state/chartMath';
import { distinct, move, pairwiseAgreement } from '../../src/state/agreement';
import { headline, runStatus } from '../../src/state/runSummary';
import { normalizeRun } from '../../src/store/db';
import { metricsAtCheckpoint, statusAtCheckpoint } from '../../src/state/resumeMath';
import { autosaveProblem } from '../../src/train/autosave';

describe('settings by dotted key', () => {
  test('every setting is in exactly one group', () => {
    const grouped = SETTING_GROUPS.flatMap((g) => g.keys);
    expect([...grouped].sort()).toEqual([...SETTING_KEYS].sort());
  });
  test('get / set a nested leaf', () => {
    const cfg = structuredClone(DEFAULT_PIPELINE);
    expect(getSetting(cfg, 'ppo.beta')).toBe(0.02);
    setSetting(cfg, 'ppo.beta', 0.5);
    expect(cfg.ppo.beta).toBe(0.5);
    expect(changedSettings(cfg)).toEqual(['ppo.beta']);
  });
  test('parseNumber: blank is NaN, exponents work', () => {
    expect(parseNumber(' ')).toBeNaN();
    expect(parseNumber('3e-3')).toBe(0.003);
    expect(parseNumber('abc')).toBeNaN();
  });
  test('the tiny preset is the defaults (the runner and the app agree on what "tiny" runs)', () => {
    const tiny = SETTINGS_PRESETS.find((p) => p.id === 'tiny')!;
    for (const [k, v] of Object.entries(tiny.values)) expect(getSetting(DEFAULT_PIPELINE, k), k).toBe(v);
  });
  test('every preset is valid', () => {
    for (const p of SETTINGS_PRESETS) {
      for (const [k, v] of Object.entries(p.values)) expect(settingProblem(k, v), `${p.id} ${k}`).toBe('');
    }
  });
});

describe('the link schema derived from PIPELINE_SETTINGS + DEFAULT_PIPELINE', () => {
  const schema = linkSchema();
  test('defaults round-trip to DEFAULT_PIPELINE', () => {
    expect(setupToConfig(defaultSetup(schema))).toEqual(DEFAULT_PIPELINE);
    expect({ ...configToSetup(DEFAULT_PIPELINE), generation: schema.generation }).toEqual(defaultSetup(schema));
  });
  test('types follow the defaults: booleans stay booleans, integers are ints', () => {
    expect(schema.config['ppo.adaptiveKl'].type).toBe('boolean');
    expect(schema.config['pretrain.steps'].type).toBe('int');
    expect(schema.config['ppo.beta']).toMatchObject({ type: 'number', min: 0, max: 2 });
    expect(schema.preset).toMatchObject({ type: 'enum', values: PIPELINE_SETTINGS.preset.values });
  });
  test('a changed config survives encode → decode exactly', () => {
    const cfg = structuredClone(DEFAULT_PIPELINE);
    cfg.preset = 'micro';
    cfg.seed = 99;
    cfg.ppo.adaptiveKl = true;
    cfg.ppo.klEstimator = 'k1';
    cfg.sft.lr = 2.5e-4;
    const enc = encodeLink(configToSetup(cfg), defaultSetup(schema));
    expect(enc.ok).toBe(true);
    if (!enc.ok) return;
    const dec = decodeLink(enc.hash, schema);
    expect(dec.ok).toBe(true);
    if (!dec.ok) return;
    expect(dec.warnings).toEqual([]);
    const back = setupToConfig(dec.setup);
    expect(back).toEqual(cfg);
    expect(validatePipelineConfig(back)).toEqual([]);
  });
});

describe('chart math', () => {
  test('smoothing 0 is the identity; smoothing is debiased (a constant stays constant)', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    for (const v of smooth([5, 5, 5, 5], 0.9)) expect(v).toBeCloseTo(5, 10);
  });
  test('downsample keeps the last point and at most max + 1 points', () => {
    const xs = Array.from({ length: 1001 }, (_, i) => i);
    const d = downsample(xs, 100);
    expect(d.length).toBeLessThanOrEqual(101);
    expect(d[d.length - 1]).toEqual([1000, 1000]);
  });
  test('extent skips non-finite values and non-positive ones on a log scale', () => {
    expect(extent([[1, NaN, 3]], false)).toEqual([1, 3]);
    expect(extent([[-1, 0, 2, 4]], true)).toEqual([2, 4]);
    expect(extent([[]], false)).toEqual([0, 1]);
    expect(positive([[1, 2]])).toBe(true);
    expect(positive([[1, -2]])).toBe(false);
    expect(fmt(NaN)).toBe('–');
    expect(fmt(0.5)).toBe('0.500');
  });
});

describe('ranking helpers', () => {
  test('pairwise agreement', () => {
    expect(pairwiseAgreement([0, 1, 2], [0, 1, 2])).toEqual({ agree: 3, pairs: 3 });
    expect(pairwiseAgreement([0, 1, 2], [2, 1, 0])).toEqual({ agree: 0, pairs: 3 });
    expect(pairwiseAgreement(['a', 'b', 'c'], ['b', 'a', 'c'])).toEqual({ agree: 2, pairs: 3 });
  });
  test('move and distinct', () => {
    expect(move(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(move(['a', 'b'], 0, 5)).toEqual(['a', 'b']);
    expect(distinct(['x', '', 'x', 'y'])).toEqual(['x', 'y']);
  });
});

describe('run summaries', () => {
  const base = normalizeRun({ id: 'r', name: 'n', createdAt: 1, task: 'instructions', preset: 'micro', seed: 1, config: {} });
  test('status in words', () => {
    expect(runStatus(base, null, false)).toBe('not started');
    const running = { ...base, stageStatus: { ...base.stageStatus, pretrain: 'running' as const } };
    expect(runStatus(running, 'r', true)).toBe('running');
    expect(runStatus(running, null, false)).toBe('stopped');
    expect(runStatus({ ...base, report: { eval: {} } }, null, false)).toBe('done');
  });
  test('headline numbers from the report, else from the curves', () => {
    expect(headline(base)).toBe('no metrics yet');
    expect(headline({ ...base, metrics: { ...base.metrics, pretrain: { loss: [4, 3.5] } } })).toBe('base loss 3.50');
    expect(headline({ ...base, report: { eval: { winrate_ppo_vs_sft: 0.6 }, stages: { rm: { heldout_accuracy: 0.7 } } } })).toBe(
      'PPO preferred to SFT 60% · RM held-out accuracy 70%',
    );
    const judged = { eval: { winrate_ppo_vs_sft: 0.25 }, judged: { run_eval: { winrate_ppo_vs_sft: 0.6 } } };
    expect(headline({ ...base, report: judged })).toBe('Imported policy preferred to SFT 25% · the run’s PPO 60%');
  });
});

describe('resuming from a checkpoint', () => {
  const metrics = {
    pretrain: { loss: [4, 3, 2] },
    sft: { loss: [2, 1] },
    rm: { loss: [0.7], trainAccuracy: [0.6] },
    ppo: { reward: [0.1, 0.2, 0.3, 0.4, 0.5], probeScore: [0.3, 0.4] },
  };
  test('from a stage end: that stage and the ones before are kept, later ones cleared', () => {
    const m = metricsAtCheckpoint(metrics, { stage: 'sft', step: 2, final: true }, 2);
    expect(m.pretrain.loss).toEqual([4, 3, 2]);
    expect(m.sft.loss).toEqual([2, 1]);
    expect(m.rm).toEqual({ loss: [], trainAccuracy: [] });
    expect(m.ppo).toEqual({ reward: [], probeScore: [] });
    expect(statusAtCheckpoint({ stage: 'sft', final: true })).toEqual({ pretrain: 'done', sft: 'done', rm: 'waiting', ppo: 'waiting' });
  });
  test('mid-PPO: one value per iteration kept, the probe every probeEvery iterations', () => {
    const m = metricsAtCheckpoint(metrics, { stage: 'ppo', step: 3, final: false }, 2);
    expect(m.ppo.reward).toEqual([0.1, 0.2, 0.3]);
    expect(m.ppo.probeScore).toEqual([0.3]);
    expect(m.rm.loss).toEqual([0.7]);
    expect(statusAtCheckpoint({ stage: 'ppo', final: false })).toEqual({ pretrain: 'done', sft: 'done', rm: 'done', ppo: 'running' });
  });
  test('mid-pretraining/SFT: each curve cut to the values the checkpoint had sent (loss per step, lr per log point)', () => {
    const lm = { ...metrics, sft: { loss: [2, 1.8, 1.6, 1.5, 1.4], lr: [1e-3, 9e-4], forwardMs: [3] } };
    const m = metricsAtCheckpoint(lm, { stage: 'sft', step: 3, final: false, extra: { lm: { step: 3, metricCounts: { loss: 3, lr: 1 } } } }, 2);
    expect(m.sft).toEqual({ loss: [2, 1.8, 1.6], lr: [1e-3], forwardMs: [] });
    expect(m.pretrain.loss).toEqual([4, 3, 2]);
    expect(m.rm.loss).toEqual([]);
    expect(statusAtCheckpoint({ stage: 'sft', final: false })).toEqual({ pretrain: 'done', sft: 'running', rm: 'waiting', ppo: 'waiting' });
  });
});

describe('the autosave interval', () => {
  test('whole steps from 0 (off) to 100 000; anything else is refused in words', () => {
    for (const ok of ['0', '200', ' 50 ', '100000']) expect(autosaveProblem(ok), ok).toBe('');
    expect(autosaveProblem('')).toBe('Enter a number of steps (0 turns it off).');
    expect(autosaveProblem('2.5')).toBe('“2.5” is not a whole number of steps.');
    expect(autosaveProblem('<b>')).toBe('“<b>” is not a whole number of steps.');
    expect(autosaveProblem('-1')).toBe('Must be between 0 and 100,000 steps.');
    expect(autosaveProblem('1e9')).toBe('Must be between 0 and 100,000 steps.');
  });
});
