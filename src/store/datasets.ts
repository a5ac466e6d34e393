/**
 * The user's own data, per task: demonstrations {prompt, completion} (SFT) and K-way rankings
 * {prompt, ranking: [best, ..., worst]} (reward model). Pairwise preferences are stored as
 * rankings of two (see io/jsonl.ts `preferencesToRankings`). Pure storage: no tfjs, no UI.
 *
 * Rows are validated with the JSONL importer's rules (io/jsonl.ts `validateRow`) before any
 * write, and every write is one transaction: {@link replaceDataset} with a bad row, or one that
 * fails half way, leaves the old data exactly as it was.
 */

import { validateRow, type Demonstration, type Ranking } from '../io/jsonl';
import { now, writeTx, type StoredKind, type DatasetRow, type DatasetSource, type Db, type WriteHooks } from './db';

export type { StoredKind };

export interface RowByKind {
  demonstrations: Demonstration;
  rankings: Ranking;
}

interface StoredMeta {
  id: number;
  task: string;
  source: DatasetSource;
  createdAt: number;
}
export type StoredDemonstration = Demonstration & StoredMeta;
export type StoredRanking = Ranking & StoredMeta;
export interface StoredByKind {
  demonstrations: StoredDemonstration;
  rankings: StoredRanking;
}

/** A row refused before anything was written; `index` is its 0-based position in the input. */
class DatasetRowError extends Error {
  override name = 'DatasetRowError';
  constructor(
    readonly index: number,
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface DatasetWriteOptions extends WriteHooks {
  /** Default 'user' for add, 'import' for replace. */
  source?: DatasetSource;
}

function checkTask(task: string): void {
  if (typeof task !== 'string' || task === '') throw new TypeError('A dataset task must be a non-empty string.');
}

function checkKind(kind: string): asserts kind is StoredKind {
  if (kind !== 'demonstrations' && kind !== 'rankings') {
    throw new TypeError(`Unknown dataset kind ${JSON.stringify(kind)}; expected "demonstrations" or "rankings".`);
  }
}

/** Validates every row and builds the records to store; throws {@link DatasetRowError} on the first bad one. */
function toRecords<K extends StoredKind>(task: string, kind: K, rows: readonly RowByKind[K][], source: DatasetSource): DatasetRow[] {
  checkTask(task);
  checkKind(kind);
  if (source !== 'user' && source !== 'import') throw new TypeError(`Unknown dataset source ${JSON.stringify(source)}.`);
  const createdAt = now();
  return rows.map((raw, i) => {
    const checked = validateRow(kind, raw);
    if ('problems' in checked) {
      const p = checked.problems[0];
      const field = p.field ? ` field "${p.field}"` : '';
      throw new DatasetRowError(i, p.field, `Row ${i + 1}${field}: ${p.message}. Nothing was saved.`);
    }
    return { task, kind, source, createdAt, ...checked.row };
  });
}

function fromRecord<K extends StoredKind>(r: DatasetRow): StoredByKind[K] {
  const meta = { id: r.id!, task: r.task, source: r.source, createdAt: r.createdAt };
  return (
    r.kind === 'demonstrations' ? { ...meta, prompt: r.prompt, completion: r.completion! } : { ...meta, prompt: r.prompt, ranking: r.ranking! }
  ) as StoredByKind[K];
}

const range = (task: string, kind: StoredKind): IDBKeyRange => IDBKeyRange.only([task, kind]);

/**
 * Puts checked records in one transaction, all or none; first deletes the rows of `replacing` (a
 * task and kind) when given. Returns how many were deleted and the new rows' ids, in order.
 */
async function putRows(
  db: Db,
  records: DatasetRow[],
  hooks: WriteHooks,
  replacing?: { task: string; kind: StoredKind },
): Promise<{ deleted: number; ids: number[] }> {
  return writeTx(db, ['datasets'], async (tx, track) => {
    const store = tx.objectStore('datasets');
    const deleted = replacing ? await deleteAll(store, replacing.task, replacing.kind) : 0;
    const ids = records.map((r, i) => {
      hooks.beforePut?.('datasets', i);
      return track(store.add(r));
    });
    return { deleted, ids: await Promise.all(ids) };
  });
}

/** Adds rows (all or none); returns their ids in order. */
export async function addDatasetRows<K extends StoredKind>(
  db: Db,
  task: string,
  kind: K,
  rows: readonly RowByKind[K][],
  opts: DatasetWriteOptions = {},
): Promise<number[]> {
  return (await putRows(db, toRecords(task, kind, rows, opts.source ?? 'user'), opts)).ids;
}

/** A task's rows of one kind, oldest first. */
export async function listDataset<K extends StoredKind>(db: Db, task: string, kind: K): Promise<StoredByKind[K][]> {
  checkKind(kind);
  const rows = await db.getAllFromIndex('datasets', 'by-task-kind', range(task, kind));
  return rows.map((r) => fromRecord<K>(r));
}

async function deleteAll(
  store: { index(n: 'by-task-kind'): { getAllKeys(q: IDBKeyRange): Promise<number[]> }; delete(k: number): Promise<void> },
  task: string,
  kind: StoredKind,
): Promise<number> {
  const keys = await store.index('by-task-kind').getAllKeys(range(task, kind));
  await Promise.all(keys.map((k) => store.delete(k)));
  return keys.length;
}

/**
 * Replaces all of a task's rows of one kind (an import), in one transaction: if any row is
 * invalid ({@link DatasetRowError}) or any write fails, the old rows stay untouched.
 */
export async function replaceDataset<K extends StoredKind>(
  db: Db,
  task: string,
  kind: K,
  rows: readonly RowByKind[K][],
  opts: DatasetWriteOptions = {},
): Promise<{ deleted: number; added: number }> {
  const { deleted, ids } = await putRows(db, toRecords(task, kind, rows, opts.source ?? 'import'), opts, { task, kind });
  return { deleted, added: ids.length };
}

/** Identity of a row for de-duplication: kind, prompt and the response text(s). */
const rowKey = (kind: StoredKind, r: { prompt: string; completion?: string; ranking?: readonly string[] }): string =>
  JSON.stringify([kind, r.prompt, kind === 'demonstrations' ? r.completion : r.ranking]);

/**
 * Adds the rows of both kinds that the task does not hold yet (same prompt and same text(s)),
 * in ONE transaction: all new rows are written or none. Existing rows are never changed, so
 * accepting the same shared dataset twice adds nothing the second time.
 */
export async function addMissingRows(
  db: Db,
  task: string,
  rows: { demonstrations?: readonly Demonstration[]; rankings?: readonly Ranking[] },
  opts: DatasetWriteOptions = {},
): Promise<{ demonstrations: number; rankings: number; skipped: number }> {
  const source = opts.source ?? 'import';
  const records = [...toRecords(task, 'demonstrations', rows.demonstrations ?? [], source), ...toRecords(task, 'rankings', rows.rankings ?? [], source)];
  return writeTx(db, ['datasets'], async (tx, track) => {
    const store = tx.objectStore('datasets');
    const index = store.index('by-task-kind');
    const existing = [...(await index.getAll(range(task, 'demonstrations'))), ...(await index.getAll(range(task, 'rankings')))];
    const seen = new Set(existing.map((r) => rowKey(r.kind, r)));
    const added = { demonstrations: 0, rankings: 0, skipped: 0 };
    let i = 0;
    for (const r of records) {
      const key = rowKey(r.kind, r);
      if (seen.has(key)) {
        added.skipped++;
        continue;
      }
      seen.add(key);
      opts.beforePut?.('datasets', i++);
      track(store.add(r));
      added[r.kind]++;
    }
    return added;
  });
}
