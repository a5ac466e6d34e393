import { DEFAULT_PIPELINE, DEFAULTS_GENERATION, DEFAULTS_HISTORY, PIPELINE_SETTINGS, type PipelineConfig } from '../rlhf/config';
import type { LinkSchema, SettingSchema, SettingSpec, SettingValue, RunSetup } from '../share/linkSchema';

/**
 * Pure helpers over PipelineConfig by dotted key ("ppo.beta"): read, write, the link schema
 * derived from PIPELINE_SETTINGS + DEFAULT_PIPELINE, and config ↔ link setup. No DOM, no runes.
 */

/** Every setting by dotted key, in PIPELINE_SETTINGS order. */
export const SETTING_KEYS: readonly string[] = Object.keys(PIPELINE_SETTINGS);
const TOP = new Set(['task', 'preset', 'seed']);

export function getSetting(cfg: PipelineConfig, key: string): SettingValue {
  return key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], cfg) as SettingValue;
}

/** Writes one leaf (the caller checks the value with settingProblem first). */
export function setSetting(cfg: PipelineConfig, key: string, value: SettingValue): void {
  const parts = key.split('.');
  let o = cfg as unknown as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

/** The value type of a setting as the UI edits it. */
export function settingKind(key: string): 'number' | 'enum' | 'boolean' {
  if (typeof getSetting(DEFAULT_PIPELINE, key) === 'boolean') return 'boolean';
  return PIPELINE_SETTINGS[key].values ? 'enum' : 'number';
}

function specFor(key: string): SettingSpec {
  const s = PIPELINE_SETTINGS[key];
  const def = getSetting(DEFAULT_PIPELINE, key);
  if (typeof def === 'boolean') return { type: 'boolean', default: def };
  if (s.values) return { type: 'enum', values: [...s.values], default: def };
  return { type: s.integer ? 'int' : 'number', min: s.min, max: s.max, default: def };
}

/** The link codec's schema, derived from the one source of settings and defaults. */
export function linkSchema(): LinkSchema {
  const config: SettingSchema = {};
  for (const key of SETTING_KEYS) if (!TOP.has(key)) config[key] = specFor(key);
  return { task: specFor('task'), preset: specFor('preset'), seed: specFor('seed'), config, generation: DEFAULTS_GENERATION, history: DEFAULTS_HISTORY };
}

export function configToSetup(cfg: PipelineConfig): RunSetup {
  const config: Record<string, SettingValue> = {};
  for (const key of SETTING_KEYS) if (!TOP.has(key)) config[key] = getSetting(cfg, key);
  return { task: cfg.task, preset: cfg.preset, seed: cfg.seed, config };
}

/** A full PipelineConfig from a decoded setup (which holds every key, defaults filled in). */
export function setupToConfig(setup: RunSetup): PipelineConfig {
  const cfg = structuredClone(DEFAULT_PIPELINE);
  setSetting(cfg, 'task', setup.task);
  setSetting(cfg, 'preset', setup.preset);
  setSetting(cfg, 'seed', setup.seed);
  for (const key of SETTING_KEYS) if (!TOP.has(key) && key in setup.config) setSetting(cfg, key, setup.config[key]);
  return cfg;
}

/** Keys whose value differs from the default, for a short "what this link changes" summary. */
export function changedSettings(cfg: PipelineConfig): string[] {
  return SETTING_KEYS.filter((k) => getSetting(cfg, k) !== getSetting(DEFAULT_PIPELINE, k));
}

/** Settings grouped by stage, in PIPELINE_SETTINGS order. */
export const SETTING_GROUPS: { id: string; title: string; keys: string[] }[] = [
  { id: 'general', title: 'Task, model and labelers', keys: SETTING_KEYS.filter((k) => !k.includes('.')) },
  { id: 'pretrain', title: '0 · Base LM pretraining', keys: SETTING_KEYS.filter((k) => k.startsWith('pretrain.')) },
  { id: 'sft', title: '1 · Supervised fine-tuning', keys: SETTING_KEYS.filter((k) => k.startsWith('sft.')) },
  { id: 'rm', title: '2 · Reward model', keys: SETTING_KEYS.filter((k) => k.startsWith('rm.')) },
  { id: 'ppo', title: '3 · PPO-ptx', keys: SETTING_KEYS.filter((k) => k.startsWith('ppo.')) },
  { id: 'eval', title: 'Evaluation', keys: SETTING_KEYS.filter((k) => k.startsWith('eval.')) },
];

/** Parses what the user typed into a number field; NaN when it is not a number. */
export function parseNumber(text: string): number {
  const t = text.trim();
  return t === '' ? NaN : Number(t);
}
