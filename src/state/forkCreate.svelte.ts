import type { PipelineConfig } from '../rlhf/config';
import { forkStage } from '../rlhf/settingStages';
import { stageIndex } from '../rlhf/stages';
import type { ForkStage } from '../store/runRow';
import { MAX_RUN_NAME, type RunRecord } from '../store/runs';
import { createForkRun } from '../store/forkRun';
import { isQuotaError } from '../store/quotaError';
import { runById, showNewRun } from './runs.svelte';
import { STAGE_TITLES } from './runSummary';
import { database, storage } from './storage.svelte';
import { errorMessage } from '../util/errorMessage';

/** A re-run of a saved run from a stage: the run, and the first stage the re-run trains itself. */
export interface ForkRequest {
  runId: string;
  stage: ForkStage;
}

/** The fork's name: the source's, and where it was re-run from (cut to fit a run name). */
function forkName(source: string, stage: ForkStage): string {
  const tail = ` · re-run from ${stage === 'eval' ? 'eval' : stage.toUpperCase()}`;
  const room = MAX_RUN_NAME - Array.from(tail).length;
  const chars = Array.from(source);
  return (chars.length > room ? chars.slice(0, room - 1).join('') + '…' : source) + tail;
}

/**
 * Creates the fork of a saved run with the settings `cfg`: a new run record with `forkedFrom` and a
 * copy of the source's checkpoint from the end of the stage before `fork.stage`, shown in the saved
 * runs. Returns its id, or the problem in words. Resuming that run (runRecorder's startRun does) runs
 * only `fork.stage` and the later ones. Settings of the earlier stages cannot change: they would
 * change the checkpoint's models, i.e. start earlier. Shared by the "Re-run from" button
 * (state/fork.svelte.ts) and the headless runner's --fork-from (window.__rlhf.startRun).
 */
export async function createFork(cfg: PipelineConfig, fork: ForkRequest): Promise<{ id: string } | { problem: string }> {
  const shown = runById(fork.runId);
  if (!shown) return { problem: 'The saved run to re-run is gone (deleted?).' };
  const source = $state.snapshot(shown) as RunRecord; // plain data: its labels go into the new record
  const changed = forkStage(source.config as PipelineConfig, cfg);
  if (changed !== null && stageIndex(changed) < stageIndex(fork.stage))
    return {
      problem: `Settings of ${STAGE_TITLES[changed]} differ from the saved run’s: a re-run from ${STAGE_TITLES[fork.stage]} cannot change them.`,
    };
  const db = await database();
  if (!db) return { problem: storage.error || 'Saving is unavailable.' };
  try {
    const { run, checkpoint } = await createForkRun(db, source, fork.stage, {
      name: forkName(source.name, fork.stage),
      task: cfg.task,
      preset: cfg.preset,
      seed: cfg.seed,
      config: cfg,
    });
    showNewRun(run, checkpoint);
    return { id: run.id };
  } catch (e) {
    return {
      problem: isQuotaError(e)
        ? 'The disk is full: the fork needs a copy of the saved run’s checkpoint. Delete old runs, then try again.'
        : `The re-run could not start (${errorMessage(e)}).`,
    };
  }
}
