/**
 * The IndexedDB schema and its upgrade path. Pure storage: no tfjs, no UI.
 *
 * Schema version 2 (current), database "rlhf":
 *
 *   runs         keyPath "id"                 RunRow
 *                index "by-created"  createdAt
 *   checkpoints  keyPath "id"                 CheckpointRow (metadata only: no weights)
 *                index "by-run"            runId
 *                index "by-run-seq"        [runId, seq]          (write order: newest = highest)
 *                index "by-run-stage-step" [runId, stage, step]
 *   blobs        keyPath ["ckptId", "name"]   BlobRow: one Float32Array's bytes + length + CRC-32
 *   datasets     keyPath "id" (autoIncrement) DatasetRow: one demonstration or ranking
 *                index "by-task-kind"      [task, kind]
 *   meta         keyPath "key"                MetaRow: {key: "schema", value: SchemaInfo}; {key: "sweep", …} (meta.ts)
 *
 * Schema version 1 (the previous release; still read, never written):
 *
 *   runs         keyPath "id", no indexes     {id, name, createdAt, task, preset, seed, config,
 *                                              stageStatus, metrics}            (no updatedAt)
 *   checkpoints  keyPath "id", no indexes     {id, runId, stage, step, createdAt, final?,
 *                                              weights: {[model]: {[param]: Float32Array}},
 *                                              optimizer?: {[group]: {[param]: Float32Array}},
 *                                              rng?, extra?}                   (weights inline)
 *
 * Upgrades run as a chain of steps `MIGRATIONS[v]` (version v-1 → v) inside the single
 * version-change transaction, so an upgrade is all or nothing: if a step throws, the
 * transaction is aborted and the database stays at its old version with its old data. A new
 * database runs the same chain from 0, so every install exercises the migration code. The 1 → 2
 * step is in migrationV1ToV2.ts.
 *
 * Blob names: `models/<model>/<param>` and `optimizer/<group>/<param>`. Model and group names
 * must not contain "/", parameter names may contain anything.
 */

import { openDB, type IDBPTransaction } from 'idb';
import { migrateV1ToV2 } from './migrationV1ToV2';
import { isQuotaError } from './quotaError';
import type { Db, Migration, RlhfSchema, SchemaInfo, StoreName, UpgradeTx } from './schema';
import { errorMessage } from '../util/errorMessage';

const DB_NAME = 'rlhf';
const SCHEMA_VERSION = 2;

// The run record and the other stored shapes are part of this schema; they live in runRow.ts and
// schema.ts so that a migration step can use them without an import cycle.
export { STAGES, normalizeRun, type ForkStage, type RunRow, type RunUserData, type StageName, type StageStatus } from './runRow';
export * from './schema';

// ---------------------------------------------------------------------------------------------
// Errors

type DbErrorKind = 'unavailable' | 'blocked' | 'newer-version' | 'migration';

/** Opening the database failed; `message` is plain text meant for the user, `kind` says why. */
class DbError extends Error {
  override name = 'DbError';
  constructor(
    readonly kind: DbErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Small shared helpers

let lastNow = 0;
/** Date.now(), but strictly increasing within this page, so timestamps order records. */
export function now(): number {
  lastNow = Math.max(Date.now(), lastNow + 1);
  return lastNow;
}

/** A random id (UUID v4 where available). */
export function newId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Key range of every blob of one checkpoint (arrays sort after strings, so [id, []] is above all names). */
export function blobRange(ckptId: string): IDBKeyRange {
  return IDBKeyRange.bound([ckptId], [ckptId, []]);
}

/** Key range of one run's checkpoints in the "by-run-seq" index. */
export function runSeqRange(runId: string): IDBKeyRange {
  return IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);
}

/**
 * Test seams shared by the write functions. `beforePut(store, index)` runs before each put a
 * write issues (index counts puts within that write, from 0); throwing from it fails the write
 * exactly as a failed request would: the whole transaction is aborted.
 */
export interface WriteHooks {
  beforePut?: (store: StoreName, index: number) => void;
}

/**
 * Runs `body` in one readwrite transaction. Any throw or rejection aborts the transaction
 * (nothing of it is written) and is rethrown; if the commit itself fails (e.g. a quota
 * error at commit time), the transaction's error is thrown.
 */
export async function writeTx<S extends StoreName[], T>(
  db: Db,
  stores: S,
  body: (tx: IDBPTransaction<RlhfSchema, S, 'readwrite'>, track: <P>(p: Promise<P>) => Promise<P>) => Promise<T>,
): Promise<T> {
  const tx = db.transaction(stores, 'readwrite');
  // Requests issued without awaiting each one: on failure their rejections are collected here.
  const pending: Promise<unknown>[] = [];
  const track = <P>(p: Promise<P>): Promise<P> => {
    pending.push(p);
    return p;
  };
  try {
    const result = await body(tx, track);
    await Promise.all(pending);
    await tx.done;
    return result;
  } catch (e) {
    try {
      tx.abort();
    } catch {
      // already finished or aborted
    }
    await Promise.allSettled(pending);
    await tx.done.catch(() => undefined);
    // A request error aborts the transaction by itself; prefer its specific error to AbortError.
    if (e instanceof DOMException && e.name === 'AbortError' && tx.error) throw tx.error;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Opening and upgrading

export interface OpenOptions {
  /**
   * Another tab (or worker) wants to upgrade this database to a newer schema, or delete it:
   * this connection has been closed so that it can. Tell the user to reload. Default: nothing.
   */
  onVersionChange?: () => void;
}

/**
 * Opens (creating or upgrading as needed) the database. Throws {@link DbError} when IndexedDB
 * is missing or refused (private mode, disabled storage), when an older connection in another
 * tab blocks the upgrade, when the data on disk comes from a newer version of the app, or when
 * a migration fails (the old data is then left as it was).
 */
export function openDb(name = DB_NAME, options: OpenOptions = {}): Promise<Db> {
  return new Promise<Db>((resolve, reject) => {
    let settled = false;
    let db: Db | undefined;
    let migrationError: unknown;
    let fromVersion = -1; // the schema on disk, when an upgrade ran (0: a new database)
    const fail = (e: DbError): void => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    let opening: Promise<Db>;
    try {
      // Reading `indexedDB` itself throws in some sandboxed or storage-disabled contexts.
      if (typeof indexedDB === 'undefined' || indexedDB === null) throw new Error('IndexedDB is not defined');
      opening = openDB<RlhfSchema>(name, SCHEMA_VERSION, {
        upgrade(upgrading, oldVersion, newVersion, tx) {
          fromVersion = oldVersion;
          tx.done.catch(() => undefined); // an aborted upgrade is reported through the open request
          migrate(upgrading, oldVersion, newVersion ?? SCHEMA_VERSION, tx).catch((e: unknown) => {
            migrationError = e;
            try {
              tx.abort();
            } catch {
              // already aborted
            }
          });
        },
        blocked(currentVersion) {
          fail(
            new DbError(
              'blocked',
              `Saved runs cannot be opened: another tab or window still has this app open with an older ` +
                `version of its storage (schema ${currentVersion}; this page needs schema ${SCHEMA_VERSION}). ` +
                `Close the other tabs of this app and reload this page.`,
            ),
          );
        },
        blocking() {
          // We hold this version and someone wants to upgrade or delete: step aside.
          db?.close();
          options.onVersionChange?.();
        },
      });
    } catch (e) {
      fail(
        new DbError(
          'unavailable',
          'Saving is unavailable: this browser gives the page no IndexedDB storage (it may be disabled, ' + 'or this is a private window).',
          { cause: e },
        ),
      );
      return;
    }
    opening.then(
      (opened) => {
        db = opened;
        if (settled) {
          // We already reported "blocked" and the open went through later: don't leak the connection.
          opened.close();
          return;
        }
        settled = true;
        resolve(opened);
      },
      (e: unknown) => fail(openError(e, migrationError, fromVersion)),
    );
  });
}

function openError(e: unknown, migrationError: unknown, fromVersion: number): DbError {
  if (migrationError !== undefined) {
    const full = isQuotaError(migrationError);
    const why = errorMessage(migrationError);
    if (fromVersion === 0) {
      // Nothing was saved before: there is no old data to speak of.
      return new DbError(
        'unavailable',
        full
          ? 'The disk is full: this app could not set up its storage, so nothing can be saved. Free up disk space and reload the page.'
          : `Saving is unavailable: this app could not set up its storage (${why}).`,
        { cause: migrationError },
      );
    }
    return new DbError(
      'migration',
      (full
        ? 'The disk is full: saved runs could not be upgraded to the new storage format. '
        : `Saved runs could not be upgraded to the new storage format (${why}). `) +
        `Nothing was changed; the old data is still there.` +
        (full ? ' Free up disk space and reload the page.' : ''),
      { cause: migrationError },
    );
  }
  const name = e instanceof DOMException || e instanceof Error ? e.name : '';
  if (name === 'VersionError') {
    return new DbError(
      'newer-version',
      `Saved runs were written by a newer version of this app (its storage is newer than schema ` +
        `${SCHEMA_VERSION}). Reload the page to get the latest version.`,
      { cause: e },
    );
  }
  const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new DbError('unavailable', `Saving is unavailable: the browser refused to open storage (${why}).`, {
    cause: e,
  });
}

async function migrate(db: Db, oldVersion: number, newVersion: number, tx: UpgradeTx): Promise<void> {
  const info: SchemaInfo = { version: oldVersion, createdAt: now(), migrations: [] };
  if (oldVersion >= 2) {
    const old = await tx.objectStore('meta').get('schema');
    if (old) Object.assign(info, old.value as SchemaInfo);
  }
  for (let v = oldVersion + 1; v <= newVersion; v++) {
    const step = MIGRATIONS[v];
    if (!step) throw new Error(`no upgrade step to schema ${v}`);
    const counts = await step(db, tx);
    if (oldVersion > 0) info.migrations.push({ from: v - 1, to: v, at: now(), ...counts });
    info.version = v;
  }
  await tx.objectStore('meta').put({ key: 'schema', value: info });
}

const MIGRATIONS: Record<number, Migration> = {
  /** 0 → 1: the first release's layout (see the module comment). */
  async 1(db) {
    db.createObjectStore('runs', { keyPath: 'id' });
    db.createObjectStore('checkpoints', { keyPath: 'id' });
    return { runs: 0, checkpoints: 0, blobs: 0 };
  },

  /** 1 → 2: weights move out of checkpoint records into `blobs` with checksums; indexes; datasets; meta. */
  2: migrateV1ToV2,
};
