/**
 * The pipeline's stages, in order — the one list the worker protocol, the store, the page state
 * and the UI share:  0 pretrain → 1 SFT → 2 reward model → 3 PPO-ptx (then the evaluation).
 */
export const STAGES = ['pretrain', 'sft', 'rm', 'ppo'] as const;
export type StageName = (typeof STAGES)[number];

/** The stages and the evaluation after them, in order. */
export const STAGES_AND_EVAL = [...STAGES, 'eval'] as const;

/** Position of a stage (or the evaluation) in the pipeline: 0 for pretraining … 4 for the evaluation. */
export function stageIndex(stage: StageName | 'eval'): number {
  return STAGES_AND_EVAL.indexOf(stage);
}
