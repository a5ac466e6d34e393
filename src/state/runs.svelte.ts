import { deleteRun, listRuns, renameRun, validateRunName, type RunRecord } from '../store/runs';
import { listCheckpoints } from '../store/checkpoints';
import type { StageName } from '../store/runs';
import { flush, stopRecordingRun } from './runRecorder.svelte';
import { database, refreshStorage, storage } from './storage.svelte';

/**
 * Saved runs as the page shows them: the list, the one opened for viewing, the pair being
 * compared, and what a resume would start from. Recording a run is runRecorder.svelte.ts.
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
  /** per run: its newest checkpoint (what a resume would start from, if it verifies) */
  checkpoints: {} as Record<string, { stage: StageName; step: number; final: boolean }>,
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
      if (cks.length) {
        const last = cks.reduce((a, b) => (b.seq > a.seq ? b : a));
        savedRuns.checkpoints[r.id] = { stage: last.stage, step: last.step, final: last.final };
      }
    }
  } catch (e) {
    storage.error = `Saved runs could not be read (${e instanceof Error ? e.message : String(e)}).`;
  }
  savedRuns.loaded = true;
}

export async function rename(id: string, name: string): Promise<string> {
  const check = validateRunName(name);
  if (!check.ok) return check.message;
  const db = await database();
  if (!db) return storage.error || 'Saving is unavailable.';
  try {
    await flush();
    const rec = await renameRun(db, id, check.name);
    const i = savedRuns.list.findIndex((r) => r.id === id);
    if (i >= 0) savedRuns.list[i] = rec;
    return '';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export async function remove(id: string): Promise<void> {
  const db = await database();
  if (!db) return;
  try {
    if (savedRuns.recordingId === id) stopRecordingRun();
    await deleteRun(db, id);
    savedRuns.list = savedRuns.list.filter((r) => r.id !== id);
    savedRuns.compare = savedRuns.compare.filter((x) => x !== id);
    if (savedRuns.openId === id) savedRuns.openId = null;
    savedRuns.message = 'Run deleted.';
    void refreshStorage();
  } catch (e) {
    storage.error = `The run could not be deleted (${e instanceof Error ? e.message : String(e)}).`;
  }
}

export function toggleCompare(id: string): void {
  if (savedRuns.compare.includes(id)) savedRuns.compare = savedRuns.compare.filter((x) => x !== id);
  else savedRuns.compare = [...savedRuns.compare, id].slice(-2);
}

export function runById(id: string | null): RunRecord | undefined {
  return id ? savedRuns.list.find((r) => r.id === id) : undefined;
}
