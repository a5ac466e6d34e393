import type { PipelineConfig } from '../rlhf/config';
import { forkStage, stageOfSetting } from '../rlhf/settingStages';
import { stageIndex, type StageName } from '../rlhf/stages';
import { FORK_STAGES, type ForkedFrom, type ForkStage } from '../store/runRow';
import { MAX_RUN_NAME, type RunRecord } from '../store/runs';
import { createForkRun, stageBefore } from '../store/forkRun';
import { isQuotaError } from '../store/quotaError';
import { pipelineConfig, replaceConfig } from './pipelineConfig.svelte';
import { runById, savedRuns } from './runs.svelte';
import { resumeRun } from './runRecorder.svelte';
import { STAGE_TITLES } from './runSummary';
import { database, refreshStorage, storage } from './storage.svelte';
import { errorMessage } from '../util/errorMessage';

/**
 * "Re-run from stage X": the settings of a saved run, editable from stage X on, and a Start that
 * runs only X and the later stages from the saved run's end-of-(X − 1) checkpoint, as a new saved
 * run that records where it was forked from. The settings of the earlier stages stay read-only:
 * changing one would change the checkpoint's models, i.e. start earlier.
 */
export const forkState = $state({
  /** the run and stage the settings are being forked from (null: a normal run) */
  from: null as ForkedFrom | null,
});

/** The stages a run can be re-run from: those whose preceding stage left an end-of-stage checkpoint. */
export function forkableStages(finals: readonly StageName[] | undefined): ForkStage[] {
  return FORK_STAGES.filter((s) => finals?.includes(stageBefore(s)));
}

/** Opens the settings of a saved run for a re-run from `stage` (the caller shows the settings). */
export function beginFork(r: RunRecord, stage: ForkStage): void {
  replaceConfig($state.snapshot(r.config) as PipelineConfig);
  forkState.from = { runId: r.id, runName: r.name, stage };
}

export function leaveFork(): void {
  forkState.from = null;
}

/** A setting the fork cannot change: it belongs to a stage before the one the fork starts at. */
export function lockedInFork(key: string): boolean {
  return !!forkState.from && stageIndex(stageOfSetting(key)) < stageIndex(forkState.from.stage);
}

/** The fork's name: the source's, and where it was re-run from (cut to fit a run name). */
function forkName(source: string, stage: ForkStage): string {
  const tail = ` · re-run from ${stage === 'eval' ? 'eval' : stage.toUpperCase()}`;
  const room = MAX_RUN_NAME - Array.from(tail).length;
  const chars = Array.from(source);
  return (chars.length > room ? chars.slice(0, room - 1).join('') + '…' : source) + tail;
}

/**
 * Starts the fork: a new run record with `forkedFrom` and a copy of the source's checkpoint, then
 * the ordinary resume of that run. Returns a problem in words ('' when it started).
 */
export async function startFork(): Promise<string> {
  const from = forkState.from;
  if (!from) return '';
  const shown = runById(from.runId);
  if (!shown) return 'The saved run to re-run is gone (deleted?).';
  const source = $state.snapshot(shown) as RunRecord; // plain data: its labels go into the new record
  const cfg = structuredClone($state.snapshot(pipelineConfig)) as PipelineConfig;
  const changed = forkStage(source.config as PipelineConfig, cfg);
  if (changed !== null && stageIndex(changed) < stageIndex(from.stage))
    return `Settings of ${STAGE_TITLES[changed]} differ from the saved run’s: a re-run from ${STAGE_TITLES[from.stage]} cannot change them.`;
  const db = await database();
  if (!db) return storage.error || 'Saving is unavailable.';
  if (savedRuns.starting) return '';
  savedRuns.starting = true;
  let id: string;
  try {
    const { run, checkpoint } = await createForkRun(db, source, from.stage, {
      name: forkName(source.name, from.stage),
      task: cfg.task,
      preset: cfg.preset,
      seed: cfg.seed,
      config: cfg,
    });
    id = run.id;
    savedRuns.list = [run, ...savedRuns.list];
    savedRuns.checkpoints[id] = { stage: checkpoint.stage, step: checkpoint.step, final: true };
    savedRuns.finals[id] = [checkpoint.stage];
    void refreshStorage();
  } catch (e) {
    return isQuotaError(e)
      ? 'The disk is full: the fork needs a copy of the saved run’s checkpoint. Delete old runs, then try again.'
      : `The re-run could not start (${errorMessage(e)}).`;
  } finally {
    savedRuns.starting = false;
  }
  return resumeRun(id);
}
