import { listRuns, type RunRecord } from '../store/runs';
import { listCheckpoints, type CheckpointInfo } from '../store/checkpoints';
import { resumable } from '../store/checkpointPosition';
import type { StageName } from '../store/runs';
import { database, refreshStorage, storage } from './storage.svelte';
import { errorMessage } from '../util/errorMessage';

/**
 * Saved runs as the page shows them: the list, the one opened for viewing, the pair being
 * compared, and what a resume would start from. Recording a run is runRecorder.svelte.ts; renaming
 * and deleting one (which must first settle its recording) is runActions.ts.
 */
export const savedRuns = $state({
  list: [] as RunRecord[],
  loaded: false,
  /** the run being recorded now */
  recordingId: null as string | null,
  /** a saved run opened for viewing */
  openId: null as string | null,
  /** up to two runs to overlay */
  compare: [] as string[],
  message: '',
  /** per run: its newest checkpoint with its curves saved (what a resume would start from, if it verifies) */
  checkpoints: {} as Record<string, { stage: StageName; step: number; final: boolean }>,
  /** per run: the stages with an end-of-stage checkpoint (what a fork can start from) */
  finals: {} as Record<string, StageName[]>,
  /** a start or resume is being prepared (the run record is being written) */
  starting: false,
});

export async function loadRuns(): Promise<void> {
  const db = await database();
  if (!db) return;
  try {
    savedRuns.list = await listRuns(db);
    for (const r of savedRuns.list) {
      const cks = await listCheckpoints(db, r.id);
      // newest first; a resume starts from one whose curves the record holds
      const last = resumable(cks, r.curvesAt)[0];
      if (last) savedRuns.checkpoints[r.id] = { stage: last.stage, step: last.step, final: last.final };
      savedRuns.finals[r.id] = [...new Set(cks.filter((c) => c.final).map((c) => c.stage))];
    }
  } catch (e) {
    storage.error = `Saved runs could not be read (${errorMessage(e)}).`;
  }
  savedRuns.loaded = true;
}

/**
 * A run just written with its starting checkpoint (a fork, a judge run, an imported start, the shipped
 * example's quick path) joins the list, with what a resume or a fork would start from.
 */
export function showNewRun(run: RunRecord, checkpoint: Pick<CheckpointInfo, 'stage' | 'step'>): void {
  savedRuns.list = [run, ...savedRuns.list];
  savedRuns.checkpoints[run.id] = { stage: checkpoint.stage, step: checkpoint.step, final: true };
  savedRuns.finals[run.id] = [checkpoint.stage];
  void refreshStorage();
}

export function toggleCompare(id: string): void {
  if (savedRuns.compare.includes(id)) savedRuns.compare = savedRuns.compare.filter((x) => x !== id);
  else savedRuns.compare = [...savedRuns.compare, id].slice(-2);
}

export function runById(id: string | null): RunRecord | undefined {
  return id ? savedRuns.list.find((r) => r.id === id) : undefined;
}
