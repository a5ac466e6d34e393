import { openDb, type Db } from '../store/db';
import { isQuotaError, requestPersistence, storageStatus, type StorageStatus } from '../store/storage';
import { errorMessage } from '../util/errorMessage';

/**
 * The page's one IndexedDB connection and the storage health shown to the user. Every other
 * state module gets the database through {@link database} (null when saving is unavailable).
 */
export const storage = $state({
  status: null as StorageStatus | null,
  /** why saving is unavailable, or the last write that failed (plain text) */
  error: '',
  full: false,
});

let opening: Promise<Db | null> | null = null;

export function database(): Promise<Db | null> {
  opening ??= openDb(undefined, {
    onVersionChange: () => (storage.error = 'This app was updated in another tab: reload this page to keep saving.'),
  }).then(
    (db) => db,
    (e: unknown) => {
      storage.error = errorMessage(e);
      return null;
    },
  );
  return opening;
}

export async function refreshStorage(): Promise<void> {
  storage.status = await storageStatus();
}

/** Opens the database, asks for persistent storage, reads usage and quota. */
export async function initStorage(): Promise<void> {
  await database();
  const status = await storageStatus();
  if (status.persisted === false) status.persisted = await requestPersistence();
  storage.status = status;
}

/** Reports a failed write in words; a full disk gets its own message. */
export function reportWriteError(what: string, e: unknown): void {
  if (isQuotaError(e)) {
    storage.full = true;
    storage.error = `The disk is full: ${what} could not be saved. Delete old runs or free up disk space; training goes on but is not being saved.`;
  } else {
    storage.error = `${what[0].toUpperCase()}${what.slice(1)} could not be saved (${errorMessage(e)}).`;
  }
}
