import { DEFAULT_PIPELINE, type PipelineConfig } from '../rlhf/config';
import type { TaskName } from '../tasks/types';
import { getSetting, setSetting } from './configKeys';
import type { SettingValue } from '../share/link';

/**
 * Setting presets: a model size plus step counts that make sense for it. Applying one writes
 * only these keys (and the task's own on top, `byTask`); everything else keeps its value.
 */
export interface SettingsPreset {
  id: string;
  title: string;
  about: string;
  values: Record<string, SettingValue>;
  /** What a task needs on top of `values` at this size, with why (shown as the help of the preset). */
  byTask?: Partial<Record<TaskName, { values: Record<string, SettingValue>; why: string }>>;
}

/**
 * The values a preset writes for a task: its own, then the task's. A key another task sets here gets
 * its default, so switching task or re-applying the preset never leaves one task's value on another.
 */
export function presetValues(preset: SettingsPreset, task: string): Record<string, SettingValue> {
  const others: Record<string, SettingValue> = {};
  for (const t of Object.values(preset.byTask ?? {})) for (const key of Object.keys(t.values)) others[key] = getSetting(DEFAULT_PIPELINE, key);
  return { ...others, ...preset.values, ...preset.byTask?.[task as TaskName]?.values };
}

export const SETTINGS_PRESETS: SettingsPreset[] = [
  {
    id: 'micro',
    title: 'Quick look',
    about: 'A 1-layer model and a few dozen steps per stage: done in a minute or two, the curves barely move.',
    values: {
      preset: 'micro',
      'pretrain.steps': 60,
      'pretrain.seqLen': 32,
      'pretrain.corpusDocs': 1000,
      'sft.steps': 30,
      'sft.demonstrations': 128,
      'rm.steps': 20,
      'rm.trainPrompts': 64,
      'rm.heldoutPrompts': 32,
      'ppo.iterations': 4,
      'ppo.rolloutBatch': 16,
      'ppo.probeEvery': 2,
      'eval.testPrompts': 16,
      'eval.pretrainWindows': 16,
    },
  },
  {
    id: 'tiny',
    title: 'Tiny (default)',
    about: 'A 2-layer model: the whole pipeline in minutes on a laptop GPU (10 to 15 minutes without one).',
    values: {
      preset: 'tiny',
      'pretrain.steps': 300,
      'pretrain.seqLen': 64,
      'pretrain.corpusDocs': 4000,
      'sft.steps': 350,
      'sft.demonstrations': 1024,
      'rm.steps': 500,
      'rm.trainPrompts': 4000,
      'rm.heldoutPrompts': 256,
      'ppo.iterations': 20,
      'ppo.rolloutBatch': 64,
      'ppo.probeEvery': 5,
      'eval.testPrompts': 256,
      'eval.pretrainWindows': 64,
    },
    byTask: {
      sentiment: {
        values: { 'pretrain.steps': 1200, 'ppo.beta': 0.05, 'ppo.iterations': 30, 'ppo.epochs': 2 },
        why:
          'The sentiment base model pretrains 1 200 steps: its reviews open with 11 756 different openings, and after 300 steps ' +
          'its SFT samples are still misspelt, so the reward model learns spelling instead of sentiment (held-out accuracy ' +
          '0.62–0.63 at 300 steps, 0.69 at 600, 0.72–0.75 at 1 200 on dev seeds 11–13). Its PPO uses β = 0.05 (the paper: ' +
          '0.02): its reward model is easier to exploit, and at 0.02 the KL reached 4–6 nats and the policy collapsed onto ' +
          'one answer (win rate over SFT on dev seeds 13 / 11: 0.58 / 0.63 at β 0.02, 0.65 / 0.71 at 0.05, 0.65 / 0.64 at 0.1). ' +
          'At β 0.05 its PPO then runs 30 iterations of 2 epochs (the default: 20 of 1): mean win rate over SFT on dev seeds ' +
          '11–13 0.687 at 20 × 1, 0.721 at 30 × 1, 0.702 at 20 × 2, 0.753 at 30 × 2 (KL 4.3 → 4.8 nats; PPO takes ~2.5× as long). README: Results.',
      },
    },
  },
  {
    id: 'small',
    title: 'Small',
    about: 'A 4-layer model and longer training: wants a real GPU (tens of minutes).',
    values: {
      preset: 'small',
      'pretrain.steps': 1500,
      'pretrain.seqLen': 128,
      'pretrain.corpusDocs': 8000,
      'sft.steps': 600,
      'sft.demonstrations': 1024,
      'rm.steps': 800,
      'rm.trainPrompts': 3000,
      'rm.heldoutPrompts': 128,
      'ppo.iterations': 80,
      'ppo.rolloutBatch': 32,
      'ppo.probeEvery': 10,
      'eval.testPrompts': 128,
      'eval.pretrainWindows': 128,
    },
  },
  {
    id: 'larger',
    title: 'Larger',
    about: 'A 6-layer model: for a fast discrete GPU and some patience (an hour or more).',
    values: {
      preset: 'larger',
      'pretrain.steps': 3000,
      'pretrain.seqLen': 128,
      'pretrain.corpusDocs': 16000,
      'sft.steps': 1000,
      'sft.demonstrations': 2048,
      'rm.steps': 1200,
      'rm.trainPrompts': 5000,
      'rm.heldoutPrompts': 256,
      'ppo.iterations': 120,
      'ppo.rolloutBatch': 64,
      'ppo.probeEvery': 10,
      'eval.testPrompts': 256,
      'eval.pretrainWindows': 256,
    },
  },
];

/**
 * The defaults with a settings preset applied for `task`, and the seed: the one place "a preset for a
 * task" becomes a whole setup — the shipped example (exampleSetup.ts) and the headless runner's
 * --task/--preset/--seed (scripts/pipeline.mjs, through window.__rlhf.presetConfig) both start here. The
 * page's preset button writes the same values onto the setup being edited (pipelineConfig.svelte.ts).
 */
export function presetConfig(task: string, presetId: string, seed: number): PipelineConfig {
  const preset = SETTINGS_PRESETS.find((p) => p.id === presetId);
  if (!preset) throw new Error(`no settings preset “${presetId}” (there are ${SETTINGS_PRESETS.map((p) => p.id).join(', ')})`);
  const cfg = structuredClone(DEFAULT_PIPELINE);
  cfg.task = task as PipelineConfig['task'];
  cfg.seed = seed;
  for (const [key, value] of Object.entries(presetValues(preset, task))) setSetting(cfg, key, value);
  return cfg;
}
