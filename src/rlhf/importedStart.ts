import type { Weights } from './snapshot';
import type { PipelineCheckpoint } from './pipeline';

/**
 * The checkpoint a run starts from when the user imports an SFT model: the end of SFT, with the
 * imported weights as both the base and the SFT model (so the evaluation's "base" column is the
 * imported model too), and empty summaries for the two skipped stages. Resuming from it runs the
 * reward model, PPO-ptx and the evaluation. Pure.
 */
export function importedSftCheckpoint(weights: Weights, source: string): PipelineCheckpoint {
  const skipped = { steps: 0, loss_first: NaN, loss_last: NaN, seconds: 0 };
  return {
    stage: 'sft',
    step: 0,
    final: true,
    models: { base: weights, sft: weights },
    extra: { summaries: { pretrain: { ...skipped }, sft: { ...skipped } }, imported: source },
  };
}
