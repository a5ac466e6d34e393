import { getTask } from '../tasks';
import type { PromptCounts, Task } from '../tasks/types';
import { validatePipelineConfig, type PipelineConfig } from './config';

/** PPO draws its rollout prompts from this many train prompts. */
const PPO_PROMPTS = 256;
/** Val prompts the PPO probe judges every few iterations. */
export const PROBE_PROMPTS = 32;
/** Val prompts whose answers are shown while pretraining and SFT run. */
export const SAMPLE_PROMPTS = 4;

/** How many prompts of each split a setup needs. */
export function promptNeeds(cfg: PipelineConfig): PromptCounts {
  return {
    train: cfg.sft.demonstrations + cfg.rm.trainPrompts + PPO_PROMPTS,
    val: cfg.rm.heldoutPrompts + PROBE_PROMPTS + cfg.eval.testPrompts,
    test: cfg.eval.testPrompts,
  };
}

/** The settings that ask for prompts: a capacity problem is shown at each of them and at the task. */
export const PROMPT_COUNT_KEYS = ['task', 'sft.demonstrations', 'rm.trainPrompts', 'rm.heldoutPrompts', 'eval.testPrompts'] as const;

/**
 * The setup's prompt needs against the task's capacity: a sentence naming the settings that ask
 * for prompts, '' when it fits.
 */
export function promptCapacityProblem(cfg: PipelineConfig, task: Pick<Task, 'name' | 'promptCapacity'>): string {
  const n = promptNeeds(cfg);
  const total = n.train + n.val + n.test;
  if (total <= task.promptCapacity) return '';
  return (
    `needs ${total} prompts but the ${task.name} task has ${task.promptCapacity}: ` +
    `sft.demonstrations ${cfg.sft.demonstrations} + rm.trainPrompts ${cfg.rm.trainPrompts} + ${PPO_PROMPTS} PPO prompts + ` +
    `rm.heldoutPrompts ${cfg.rm.heldoutPrompts} + ${PROBE_PROMPTS} probe prompts + 2 × eval.testPrompts ${cfg.eval.testPrompts} (val and test). ` +
    `Lower one of them by ${total - task.promptCapacity}`
  );
}

/** Every problem of a setup: each setting's range, and the prompts it needs against its task's capacity. */
export function setupProblems(cfg: PipelineConfig): string[] {
  const out = validatePipelineConfig(cfg);
  if (out.length) return out; // a value out of range may make the capacity check meaningless
  const capacity = promptCapacityProblem(cfg, getTask(cfg.task));
  return capacity ? [`prompts: the setup ${capacity}`] : [];
}
