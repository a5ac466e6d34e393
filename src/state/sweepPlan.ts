import { PIPELINE_SETTINGS, settingProblem, type PipelineConfig } from '../rlhf/config';
import { setupProblems } from '../rlhf/promptNeeds';
import { stageOfSetting } from '../rlhf/settingStages';
import { stageIndex, type StageName } from '../rlhf/stages';
import { parseNumber, SETTING_KEYS, setSetting, settingKind } from './configKeys';

/**
 * What a sweep runs: one setting over a list of values, per seed, on a base setup (the settings on
 * the page when it started). Per seed, the setups share every stage before the one the setting
 * belongs to (rlhf/variants.ts). Pure: the sweep's state, its driver and its tests use it.
 */
export interface SweepPlan {
  /** the swept setting, e.g. 'ppo.beta' */
  key: string;
  /** its values as written, one point each */
  values: string[];
  seeds: number[];
  /** every other setting (its seed is replaced by each of `seeds`) */
  base: PipelineConfig;
  createdAt: number;
}

/** The settings a sweep offers: the knobs of SFT, the reward model and PPO. */
export const SWEEP_KEYS: readonly string[] = SETTING_KEYS.filter((k) => /^(sft|rm|ppo)\./.test(k));

/** A value as the setting holds it: a number, true/false, or one of its words. */
function valueOf(key: string, text: string): number | string | boolean {
  const kind = settingKind(key);
  if (kind === 'number') return parseNumber(text);
  if (kind === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

/** The values of a comma-separated list, each checked against the setting's range. */
export function parseSweepValues(key: string, text: string): { values: string[]; problem: string } {
  if (!PIPELINE_SETTINGS[key]) return { values: [], problem: `unknown setting "${key}"` };
  const values = text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (values.length === 0) return { values, problem: 'give at least one value, e.g. 0.01, 0.02, 0.05' };
  for (const v of values) {
    const value = valueOf(key, v);
    const problem = settingProblem(key, typeof value === 'boolean' ? String(value) : value);
    if (problem) return { values, problem: `${key} = ${v}: ${problem}` };
  }
  const dup = values.find((v, i) => values.findIndex((w) => valueOf(key, w) === valueOf(key, v)) !== i);
  if (dup !== undefined) return { values, problem: `${dup} is given twice` };
  return { values, problem: '' };
}

/** The seeds of a comma-separated list: whole numbers in the seed's range, each once. */
export function parseSeeds(text: string): { seeds: number[]; problem: string } {
  const parts = text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const seeds = parts.map(parseNumber);
  if (seeds.length === 0) return { seeds, problem: 'give at least one seed, e.g. 1, 2, 3' };
  const bad = seeds.findIndex((s) => settingProblem('seed', s) !== '');
  if (bad >= 0) return { seeds, problem: `seed ${parts[bad]}: ${settingProblem('seed', seeds[bad])}` };
  if (new Set(seeds).size !== seeds.length) return { seeds, problem: 'a seed is given twice' };
  return { seeds, problem: '' };
}

/** The setups of one seed: the base with that seed and the swept setting at each value (of `only`, by index). */
export function setupsFor(plan: SweepPlan, seed: number, only: readonly number[] = plan.values.map((_, j) => j)): PipelineConfig[] {
  return only.map((j) => {
    const cfg = structuredClone(plan.base);
    cfg.seed = seed;
    setSetting(cfg, plan.key, valueOf(plan.key, plan.values[j]));
    return cfg;
  });
}

/** Why the plan cannot run, as sentences ([] when every setup can). */
export function planProblems(plan: SweepPlan): string[] {
  const out: string[] = [];
  setupsFor(plan, plan.seeds[0] ?? plan.base.seed).forEach((cfg, j) => {
    for (const p of setupProblems(cfg)) out.push(`${plan.key} = ${plan.values[j]}: ${p}`);
  });
  return out;
}

/** The first stage the setups of one seed differ in: the stages before it run once per seed. */
export function sweepForkStage(plan: Pick<SweepPlan, 'key' | 'values'>): StageName | 'eval' {
  return plan.values.length > 1 ? stageOfSetting(plan.key) : 'pretrain';
}

/** Stage runs the plan makes (pretraining, SFT, RM, PPO): the shared ones once per seed, the rest per setup. */
export function plannedStageRuns(plan: Pick<SweepPlan, 'key' | 'values' | 'seeds'>): number {
  const shared = Math.min(stageIndex(sweepForkStage(plan)), 4);
  return plan.seeds.length * (shared + plan.values.length * (4 - shared));
}

/** The key of one finished setup in a sweep record. */
export const pointKey = (seed: number, valueIndex: number): string => `${seed}:${valueIndex}`;
