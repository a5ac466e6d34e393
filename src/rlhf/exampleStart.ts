import { PIPELINE_SETTINGS, type PipelineConfig } from './config';
import { importedSftCheckpoint } from './importedStart';
import type { PipelineCheckpoint, PipelineReport } from './pipelineTypes';
import { stageOfSetting } from './settingStages';
import type { Weights } from './snapshot';

/**
 * The shipped example run (`public/example/`, written by `npm run example`): the end-of-SFT models of one
 * Tiny run of the default task — base and SFT, as the app's model export zip (io/exportBundle.ts) — and
 * a manifest with the zip's SHA-256, the settings and the report of the run that made them. "See RLHF in
 * ~2 minutes" starts a run from it (state/example.svelte.ts): the reward model, PPO-ptx and the
 * evaluation are trained here, with the lighter reward-model settings below. Pure: the page imports it.
 */
const EXAMPLE_FORMAT = 1;

/**
 * The quick path's settings on top of the Tiny preset, all chosen on the dev set (eval.split = val) and dev
 * seeds 11–13 only, in setup sweeps (pretraining and SFT shared per seed, wasm; docs/runs/2026-12-06-dev/):
 * - a lighter reward model than Tiny's 500 steps on 4 000 ranking sets (the RM stage's time is mostly
 *   sampling the K = 6 SFT answers of each set): 150 steps on 1 200 sets won 0.719 / 0.688 / 0.666 over SFT
 *   (mean 0.691; RM held-out accuracy 0.704), 250 on 2 000 won 0.641 / 0.693 / 0.707 (mean 0.680; 0.700);
 * - PPO at β = 0.05 instead of 0.02: 0.717 / 0.703 / 0.695 (mean 0.705, KL 1.1 instead of 1.5). Its
 *   alternatives were no better and either slower — 30 iterations of 2 epochs (0.678 / – / 0.705 at β 0.02,
 *   0.717 / – / 0.697 at 0.05) triple PPO's time, past the ~2 minutes — or worse: the RM at lr 0.0006
 *   (0.688 / – / 0.682).
 * The test number of the shipped example with them is in the manifest (`quick.report`). Every other setting
 * is the Tiny preset's.
 */
export const QUICK_SETTINGS: Readonly<Record<string, number>> = { 'rm.steps': 150, 'rm.trainPrompts': 1200, 'ppo.beta': 0.05 };

/** What `npm run example` measured: a run forked from the example at the reward model with {@link QUICK_SETTINGS}. */
interface QuickMeasurement {
  settings: Record<string, number>;
  /** the runner command that made it */
  command: string;
  report: PipelineReport;
}

export interface ExampleManifest {
  format: number;
  /** the zip next to the manifest: `base/` and `sft/`, each a Hugging Face GPT-2 folder */
  file: string;
  sha256: string;
  bytes: number;
  made_by: string;
  created: string;
  task: string;
  preset: string;
  seed: number;
  backend: string;
  /** the end-of-SFT checkpoint the models come from */
  checkpoint: { stage: 'sft'; step: number };
  /** every setting of the run that made it */
  config: PipelineConfig;
  /** that run's report (all stages, trained from scratch) */
  report: PipelineReport;
  quick?: QuickMeasurement;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks a manifest read from JSON, field by field; throws an Error naming the first bad field. */
export function readExampleManifest(json: unknown): ExampleManifest {
  const bad = (field: string, want: string): never => {
    throw new Error(`manifest.json: "${field}" must be ${want}`);
  };
  if (!isObject(json)) return bad('(top level)', 'an object');
  if (json.format !== EXAMPLE_FORMAT) bad('format', `${EXAMPLE_FORMAT} (this app reads no other)`);
  for (const key of ['file', 'made_by', 'created', 'task', 'preset', 'backend'])
    if (typeof json[key] !== 'string' || json[key] === '') bad(key, 'a non-empty string');
  if (!/^[\w.-]+\.zip$/.test(json.file as string)) bad('file', 'the name of a zip next to the manifest');
  if (typeof json.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(json.sha256)) bad('sha256', '64 lower-case hex digits');
  if (!Number.isSafeInteger(json.bytes) || (json.bytes as number) <= 0) bad('bytes', 'a positive whole number');
  if (!Number.isSafeInteger(json.seed) || (json.seed as number) < 0) bad('seed', 'a whole number ≥ 0');
  const c = json.checkpoint;
  if (!isObject(c) || c.stage !== 'sft' || !Number.isSafeInteger(c.step)) bad('checkpoint', '{ "stage": "sft", "step": N }');
  if (!isObject(json.config) || json.config.task !== json.task || json.config.seed !== json.seed) bad('config', 'the settings of the run (its task and seed)');
  if (!isObject(json.report) || !isObject(json.report.stages) || !isObject(json.report.eval)) bad('report', 'the report of the run');
  if (json.quick !== undefined && (!isObject(json.quick) || !isObject(json.quick.settings) || !isObject(json.quick.report)))
    bad('quick', 'the quick path’s settings and report');
  return json as unknown as ExampleManifest;
}

const valueAt = (cfg: PipelineConfig, key: string): unknown => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], cfg);

/**
 * The settings of pretraining and SFT (the stages the example's models hold) in which `cfg` differs from
 * the run that made the example, as "key: example's → cfg's"; empty when a run with `cfg` may start from
 * the example's end-of-SFT checkpoint (settingStages.ts: what a fork at the reward model may change).
 */
export function exampleMismatch(made: PipelineConfig, cfg: PipelineConfig): string[] {
  const out: string[] = [];
  for (const key of Object.keys(PIPELINE_SETTINGS)) {
    const stage = stageOfSetting(key);
    if (stage !== 'pretrain' && stage !== 'sft') continue;
    const a = valueAt(made, key);
    const b = valueAt(cfg, key);
    if (a !== b) out.push(`${key}: ${String(a)} → ${String(b)}`);
  }
  return out;
}

/**
 * The checkpoint a quick-start run resumes from: the end of SFT with the example's base and SFT models
 * (importedStart.ts's imported start, whose base is its own model here), so the reward model, PPO-ptx and
 * the evaluation run, and the stage notes say pretraining and SFT were not trained here.
 */
export function exampleSftCheckpoint(models: { base: Weights; sft: Weights }, source: string): PipelineCheckpoint {
  const c = importedSftCheckpoint(models.sft, source);
  return { ...c, models: { base: models.base, sft: models.sft } };
}
