import type { GPT } from '../model/gpt';
import type { LMLoopResume } from '../train/lmLoop';
import { stageIndex, type StageName } from './stages';
import type { PipelineCheckpoint } from './pipelineTypes';
import type { PpoState } from './ppo';
import { restoreOptimizer, type Weights } from './snapshot';

/**
 * What a checkpoint means for the next run: which stages are finished (their models are restored,
 * they do not run again), which stage it stopped inside (resumed from its saved loop state), and
 * the saved pieces. Without a checkpoint every stage runs from the start.
 */
export interface ResumePlan {
  /** the stage finished before the checkpoint was written */
  done(stage: StageName): boolean;
  /** the checkpoint was written inside this stage (an autosave, not its end) */
  inside(stage: StageName): boolean;
  /** the weights of a model saved in the checkpoint */
  weights(name: string): Weights;
  /** pretraining or SFT resumed mid-stage: the loop's cursor, PRNG state and AdamW moments */
  lm(model: GPT): LMLoopResume;
  /** PPO resumed mid-stage: its saved iteration state */
  ppo(): PpoState;
  /** the step the checkpoint was written at */
  step: number;
  checkpoint?: PipelineCheckpoint;
}

export function resumePlan(checkpoint?: PipelineCheckpoint): ResumePlan {
  const c = checkpoint;
  return {
    checkpoint: c,
    step: c?.step ?? 0,
    done: (stage) => !!c && (stageIndex(stage) < stageIndex(c.stage) || (stage === c.stage && c.final)),
    inside: (stage) => c?.stage === stage && !c.final,
    weights(name) {
      const w = c?.models[name];
      if (!w) throw new Error(`the checkpoint has no "${name}" model`);
      return w;
    },
    lm(model) {
      const cursor = c?.extra.lm;
      if (!c || !cursor || c.rng?.lm === undefined || !c.optimizer?.lm)
        throw new Error(`the ${c?.stage} checkpoint at step ${c?.step} has no training state to resume from`);
      const moments = c.optimizer.lm;
      return { cursor: { ...cursor, rng: c.rng.lm }, restore: (opt) => restoreOptimizer(opt, model.params, moments) };
    },
    ppo() {
      const st = c?.extra.ppo;
      if (!c || !st || c.rng?.ppo === undefined || !c.optimizer?.policy || !c.optimizer.value)
        throw new Error(`the PPO checkpoint at iteration ${c?.step} has no training state to resume from`);
      return { ...st, rng: c.rng.ppo, policyOpt: c.optimizer.policy, valueOpt: c.optimizer.value };
    },
  };
}
