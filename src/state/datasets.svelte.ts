import { parseJsonlBytes, type Demonstration, type Ranking } from '../io/jsonl';
import { preferencesToRankings, rankingsToPreferences, toJsonl } from '../io/jsonlExport';
import type { RowShape } from '../io/trlShapes';
import { addDatasetRows, listDataset, replaceDataset, type StoredKind, type StoredDemonstration, type StoredRanking } from '../store/datasets';
import { database, refreshStorage, reportWriteError, storage } from './storage.svelte';
import { errorMessage } from '../util/errorMessage';

/**
 * The user's datasets for one task: counts, import (JSONL, all or nothing), export, and the rows
 * the labeling view adds. Messages are plain text.
 */
export const datasets = $state({
  task: '',
  demonstrations: [] as StoredDemonstration[],
  rankings: [] as StoredRanking[],
  /** outcome of the last import or export */
  message: '',
  /** what was wrong with the last import: line and field first */
  errors: [] as string[],
  /** what the last import accepted but the model cannot fully read (characters outside its alphabet) */
  warnings: [] as string[],
  /** what the last import left out of a TRL file and why (label: false rows, multi-turn conversations, system turns) */
  notes: [] as string[],
  busy: false,
});

export async function loadDatasets(task: string): Promise<void> {
  datasets.task = task;
  const db = await database();
  if (!db) return;
  try {
    const [d, r] = await Promise.all([listDataset(db, task, 'demonstrations'), listDataset(db, task, 'rankings')]);
    if (datasets.task !== task) return;
    datasets.demonstrations = d;
    datasets.rankings = r;
  } catch (e) {
    storage.error = `Your datasets could not be read (${errorMessage(e)}).`;
  }
}

export const countOf = (kind: StoredKind, source?: 'user' | 'import'): number =>
  (kind === 'demonstrations' ? datasets.demonstrations : datasets.rankings).filter((r) => !source || r.source === source).length;

/** Adds one labeled row written on this page. Returns '' or the problem. */
export async function addUserRow(kind: 'demonstrations', row: Demonstration): Promise<string>;
export async function addUserRow(kind: 'rankings', row: Ranking): Promise<string>;
export async function addUserRow(kind: StoredKind, row: Demonstration | Ranking): Promise<string> {
  const db = await database();
  if (!db) return storage.error || 'Saving is unavailable in this browser.';
  try {
    if (kind === 'demonstrations') await addDatasetRows(db, datasets.task, 'demonstrations', [row as Demonstration], { source: 'user' });
    else await addDatasetRows(db, datasets.task, 'rankings', [row as Ranking], { source: 'user' });
  } catch (e) {
    reportWriteError('your label', e);
    return errorMessage(e);
  }
  await loadDatasets(datasets.task);
  return '';
}

/**
 * Imports a JSONL file: demonstrations, K-way rankings, or pairwise preferences (stored as
 * rankings of two). Nothing is written unless every line is valid.
 */
export async function importFile(file: File, mode: 'add' | 'replace'): Promise<void> {
  datasets.message = '';
  datasets.errors = [];
  datasets.warnings = [];
  datasets.notes = [];
  datasets.busy = true;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const parsed = parseJsonlBytes(bytes, 'auto');
    if (!parsed.ok) {
      datasets.errors = parsed.errors.map((p) => p.message);
      datasets.message = `Nothing was imported from ${file.name}; your data is unchanged.`;
      return;
    }
    const db = await database();
    if (!db) {
      datasets.message = storage.error || 'Saving is unavailable in this browser.';
      return;
    }
    let note = '';
    try {
      if (parsed.kind === 'demonstrations') {
        if (mode === 'replace') await replaceDataset(db, datasets.task, 'demonstrations', parsed.rows);
        else await addDatasetRows(db, datasets.task, 'demonstrations', parsed.rows, { source: 'import' });
      } else {
        const rows = parsed.kind === 'preferences' ? preferencesToRankings(parsed.rows) : parsed.rows;
        if (parsed.kind === 'preferences') note = ` Each pairwise preference became a ranking of K = 2 (chosen first).`;
        if (mode === 'replace') await replaceDataset(db, datasets.task, 'rankings', rows);
        else await addDatasetRows(db, datasets.task, 'rankings', rows, { source: 'import' });
      }
    } catch (e) {
      reportWriteError('the imported rows', e);
      datasets.message = `Nothing was imported from ${file.name}; your data is unchanged.`;
      return;
    }
    const what = parsed.kind === 'demonstrations' ? 'demonstrations' : parsed.kind === 'preferences' ? 'pairwise preferences' : 'rankings';
    const shape = parsed.shape === 'conversational' ? ' (TRL conversational rows: each user turn became a prompt, each assistant turn a response)' : '';
    datasets.message = `Imported ${parsed.rows.length} ${what} from ${file.name}${mode === 'replace' ? ' (replacing the previous ones)' : ''}${shape}.${note}`;
    datasets.warnings = (parsed.warnings ?? []).map((w) => w.message);
    datasets.notes = parsed.notes ?? [];
    await loadDatasets(datasets.task);
    void refreshStorage();
  } catch (e) {
    datasets.message = `The file could not be read (${errorMessage(e)}).`;
  } finally {
    datasets.busy = false;
  }
}

/**
 * The JSONL text of one kind ('preferences' expands each ranking into its C(K,2) pairs), in TRL's
 * standard or conversational shape (rankings have no TRL shape: always standard).
 */
export function exportText(kind: 'demonstrations' | 'rankings' | 'preferences', shape: RowShape = 'standard'): string {
  if (kind === 'demonstrations')
    return toJsonl(
      'demonstrations',
      datasets.demonstrations.map(({ prompt, completion }) => ({ prompt, completion })),
      shape,
    );
  const rankings = datasets.rankings.map(({ prompt, ranking }) => ({ prompt, ranking }));
  return kind === 'rankings' ? toJsonl('rankings', rankings) : toJsonl('preferences', rankingsToPreferences(rankings), shape);
}

export function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/jsonl' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
