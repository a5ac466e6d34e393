import { beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_PIPELINE } from '../../src/rlhf/config';
import { applyPreset, pipelineConfig, resetConfig, trySetting } from '../../src/state/pipelineConfig.svelte';
import { presetConfig, presetValues, SETTINGS_PRESETS } from '../../src/state/presets';

const tiny = SETTINGS_PRESETS.find((p) => p.id === 'tiny')!;

describe("a preset's values per task", () => {
  beforeEach(() => resetConfig());

  test('the tiny preset is the defaults for the default task, and pretrains the sentiment task longer', () => {
    expect(presetValues(tiny, 'instructions')['pretrain.steps']).toBe(DEFAULT_PIPELINE.pretrain.steps);
    expect(presetValues(tiny, 'sentiment')['pretrain.steps']).toBe(1200);
    expect(presetValues(tiny, 'sentiment')['ppo.beta']).toBe(0.05);
    expect(presetValues(tiny, 'sentiment')['ppo.iterations']).toBe(30);
    expect(presetValues(tiny, 'sentiment')['ppo.epochs']).toBe(2);
    expect(presetValues(tiny, 'instructions')['ppo.iterations']).toBe(DEFAULT_PIPELINE.ppo.iterations);
    expect(presetValues(tiny, 'instructions')['ppo.beta']).toBe(DEFAULT_PIPELINE.ppo.beta);
    expect(tiny.byTask?.sentiment?.why).toMatch(/reward model/);
  });

  test("choosing a task moves the preset's values with it, and back", () => {
    expect(trySetting('task', 'sentiment')).toBe('');
    expect(pipelineConfig.pretrain.steps).toBe(1200);
    expect(pipelineConfig.ppo.beta).toBe(0.05);
    expect(pipelineConfig.ppo.epochs).toBe(2);
    trySetting('task', 'instructions');
    expect(pipelineConfig.pretrain.steps).toBe(300);
    expect(pipelineConfig.ppo.beta).toBe(0.02);
    expect(pipelineConfig.ppo.epochs).toBe(1);
  });

  test('a value the user changed stays when the task changes', () => {
    trySetting('pretrain.steps', 500);
    trySetting('task', 'sentiment');
    expect(pipelineConfig.pretrain.steps).toBe(500);
  });

  test("a preset's button applies the current task's values", () => {
    trySetting('task', 'sentiment');
    trySetting('pretrain.steps', 10);
    applyPreset(tiny);
    expect(pipelineConfig.pretrain.steps).toBe(1200);
    const micro = SETTINGS_PRESETS.find((p) => p.id === 'micro')!;
    applyPreset(micro);
    expect(pipelineConfig.pretrain.steps).toBe(micro.values['pretrain.steps']);
    // a preset without values for the task: switching task leaves its step counts alone
    trySetting('task', 'instructions');
    expect(pipelineConfig.pretrain.steps).toBe(micro.values['pretrain.steps']);
  });

  test("a whole setup from a preset (the runner's --preset, the example) is what the page's button gives a fresh setup", () => {
    // every preset on the default task; the sentiment task with Tiny, the preset that has values for it
    // (a preset without them keeps what the page had, so there the page's result depends on its history)
    const cases = [...SETTINGS_PRESETS.map((p) => ['instructions', p.id]), ['sentiment', 'tiny']];
    for (const [task, id] of cases) {
      resetConfig();
      trySetting('task', task);
      applyPreset(SETTINGS_PRESETS.find((p) => p.id === id)!);
      trySetting('seed', 7);
      expect(presetConfig(task, id, 7)).toEqual(JSON.parse(JSON.stringify(pipelineConfig)));
    }
    expect(presetConfig('sentiment', 'tiny', 7).pretrain.steps).toBe(1200);
    expect(() => presetConfig('instructions', 'huge', 1)).toThrow(/no settings preset “huge”.*tiny/);
  });
});
