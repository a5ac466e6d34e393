import { PIPELINE_SETTINGS, type PipelineConfig } from './config';
import { STAGES_AND_EVAL, stageIndex, type StageName } from './stages';

/**
 * Which stage each setting belongs to: the first stage whose result it changes. Variants share the
 * stages before it (variants.ts), a fork of a saved run reuses them (state/fork.svelte.ts), and the
 * settings of a fork's earlier stages are read-only. Pure: the page imports it.
 */

/**
 * The first stage a setting changes. Prompt counts of the held-out splits (rm.heldoutPrompts,
 * eval.testPrompts) decide which prompts the pretraining corpus leaves out, so they change
 * pretraining; the labelers' agreement is first used by the RM stage; the evaluation's own
 * settings change only the evaluation.
 */
export function stageOfSetting(key: string): StageName | 'eval' {
  if (key === 'rm.heldoutPrompts' || key === 'eval.testPrompts') return 'pretrain';
  if (key === 'agreement') return 'rm';
  const head = key.split('.')[0];
  if (head === 'sft' || head === 'rm' || head === 'ppo' || head === 'eval') return head;
  return 'pretrain'; // task, preset, seed, pretrain.*
}

const valueAt = (cfg: PipelineConfig, key: string): unknown => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], cfg);

/** The earliest stage whose settings differ between two setups (null when they are the same). */
export function forkStage(a: PipelineConfig, b: PipelineConfig): StageName | 'eval' | null {
  let first: number | null = null;
  for (const key of Object.keys(PIPELINE_SETTINGS)) {
    if (valueAt(a, key) === valueAt(b, key)) continue;
    const i = stageIndex(stageOfSetting(key));
    first = first === null ? i : Math.min(first, i);
  }
  return first === null ? null : STAGES_AND_EVAL[first];
}
