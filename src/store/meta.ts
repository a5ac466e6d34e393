/**
 * Small app records in the `meta` store, by key (the schema record is db.ts's): read, write,
 * delete. What a value means is its owner's business — e.g. "sweep", the sweep that survives a
 * reload (state/sweepRecord.ts), which checks what it reads back.
 */

import type { Db } from './db';

export async function getMeta(db: Db, key: string): Promise<unknown> {
  return (await db.get('meta', key))?.value;
}

export async function putMeta(db: Db, key: string, value: unknown): Promise<void> {
  await db.put('meta', { key, value });
}

export async function deleteMeta(db: Db, key: string): Promise<void> {
  await db.delete('meta', key);
}
