import type { PipelineConfig } from '../rlhf/config';
import { stageOfSetting } from '../rlhf/settingStages';
import { stageIndex, type StageName } from '../rlhf/stages';
import { FORK_STAGES, type ForkedFrom, type ForkStage } from '../store/runRow';
import type { RunRecord } from '../store/runs';
import { stageBefore } from '../store/forkRun';
import { pipelineConfig, replaceConfig } from './pipelineConfig.svelte';
import { startRun } from './runRecorder.svelte';

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

/**
 * Starts the fork: a new run record with `forkedFrom` and a copy of the source's checkpoint, then
 * the ordinary resume of that run (startRun with a fork, as the headless runner's --fork-from).
 * Returns a problem in words ('' when it started).
 */
export async function startFork(): Promise<string> {
  const from = forkState.from;
  if (!from) return '';
  return startRun(structuredClone($state.snapshot(pipelineConfig)) as PipelineConfig, undefined, { runId: from.runId, stage: from.stage });
}
