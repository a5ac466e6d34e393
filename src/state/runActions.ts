/**
 * Renaming and deleting a saved run. Both touch the recording too (a rename waits for pending
 * writes; deleting the run being recorded stops recording it), so they sit above both
 * runs.svelte.ts (the list) and runRecorder.svelte.ts (the recording).
 */
import { deleteRun, renameRun, validateRunName } from '../store/runs';
import { flush, stopRecordingRun } from './runRecorder.svelte';
import { savedRuns } from './runs.svelte';
import { database, refreshStorage, storage } from './storage.svelte';
import { errorMessage } from '../util/errorMessage';

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
    return errorMessage(e);
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
    storage.error = `The run could not be deleted (${errorMessage(e)}).`;
  }
}
