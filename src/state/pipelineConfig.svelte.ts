import { DEFAULT_PIPELINE, settingProblem, type PipelineConfig } from '../rlhf/config';
import { getTask } from '../tasks';
import { promptCapacityProblem, PROMPT_COUNT_KEYS, setupProblems } from '../rlhf/promptNeeds';
import type { SettingValue } from '../share/link';
import { getSetting, setSetting } from './configKeys';
import { presetValues, SETTINGS_PRESETS, type SettingsPreset } from './presets';

/** The pipeline setup being edited on the page (defaults from the one source, DEFAULT_PIPELINE). */
export const pipelineConfig = $state<PipelineConfig>(structuredClone(DEFAULT_PIPELINE));

/**
 * Fields whose text the user is typing but that are not valid (yet): key → reason. The config
 * itself only ever holds valid values; these block the Run button until fixed.
 */
export const fieldProblems = $state<Record<string, string>>({});

/** Tries a value for one setting: valid → written; invalid → refused with the reason (returned). */
export function trySetting(key: string, value: SettingValue): string {
  const problem = settingProblem(key, typeof value === 'boolean' ? String(value) : value);
  if (problem) {
    fieldProblems[key] = problem;
    return problem;
  }
  delete fieldProblems[key];
  const before = pipelineConfig.task;
  setSetting(pipelineConfig, key, value);
  if (key === 'task' && value !== before) followTask(before, String(value));
  return '';
}

export function applyPreset(preset: SettingsPreset): void {
  for (const [key, value] of Object.entries(presetValues(preset, pipelineConfig.task))) trySetting(key, value);
}

/**
 * A new task keeps the setup's preset: a value the preset sets differently for the two tasks moves
 * to the new task's, unless the user changed it (it no longer holds the old task's preset value).
 */
function followTask(from: string, to: string): void {
  const preset = SETTINGS_PRESETS.find((p) => p.values.preset === pipelineConfig.preset);
  if (!preset) return;
  const was = presetValues(preset, from);
  const now = presetValues(preset, to);
  // presetValues gives both tasks the same keys (a key only one task sets has the default for the other).
  for (const key of Object.keys(now)) {
    if (now[key] !== was[key] && getSetting(pipelineConfig, key) === was[key]) setSetting(pipelineConfig, key, now[key]);
  }
}

export function replaceConfig(cfg: PipelineConfig): void {
  for (const key of Object.keys(fieldProblems)) delete fieldProblems[key];
  Object.assign(pipelineConfig, structuredClone(cfg));
}

export function resetConfig(): void {
  replaceConfig(DEFAULT_PIPELINE);
}

/** Why the pipeline cannot start with these settings, as sentences ([] when it can). */
export function configBlockers(): string[] {
  const out = Object.entries(fieldProblems).map(([k, p]) => `${k} ${p}`);
  for (const p of setupProblems(pipelineConfig)) if (!out.includes(p)) out.push(p);
  return out;
}

export function settingValue(key: string): SettingValue {
  return getSetting(pipelineConfig, key);
}

/**
 * A problem of the setup as a whole that this field is part of ('' when none): the prompts the
 * setup needs against its task's capacity, shown at the task and at every prompt count.
 */
export function setupProblemAt(key: string): string {
  if (!(PROMPT_COUNT_KEYS as readonly string[]).includes(key)) return '';
  return promptCapacityProblem(pipelineConfig, getTask(pipelineConfig.task));
}
