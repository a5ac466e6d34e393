/**
 * Schema 1 → 2, one step of the upgrade chain in db.ts (it runs inside the version-change
 * transaction; db.ts describes both layouts).
 */

import { crc32 } from './checksum';
import type { BlobEntry, BlobSection, CheckpointRow, Migration } from './schema';
import { normalizeRun, type StageName } from './runRow';

/** 1 → 2: weights move out of checkpoint records into `blobs` with checksums; indexes; datasets; meta. */
export const migrateV1ToV2: Migration = async (db, tx) => {
  db.createObjectStore('blobs', { keyPath: ['ckptId', 'name'] });
  const datasets = db.createObjectStore('datasets', { keyPath: 'id', autoIncrement: true });
  datasets.createIndex('by-task-kind', ['task', 'kind']);
  db.createObjectStore('meta', { keyPath: 'key' });

  const runs = tx.objectStore('runs');
  runs.createIndex('by-created', 'createdAt');
  const ckpts = tx.objectStore('checkpoints');
  ckpts.createIndex('by-run', 'runId');
  ckpts.createIndex('by-run-seq', ['runId', 'seq']);
  ckpts.createIndex('by-run-stage-step', ['runId', 'stage', 'step']);

  let nRuns = 0;
  for (let c = await runs.openCursor(); c; c = await c.continue()) {
    await c.update(normalizeRun(c.value as unknown as Record<string, unknown>));
    nRuns++;
  }

  // One record at a time, so memory holds one checkpoint's weights, not all of them.
  const blobs = tx.objectStore('blobs');
  let nBlobs = 0;
  for (let c = await ckpts.openCursor(); c; c = await c.continue()) {
    const v = c.value as unknown as Record<string, unknown>;
    const id = String(v.id);
    const entries: BlobEntry[] = [];
    let bytes = 0;
    const sections: [BlobSection, unknown][] = [
      ['models', v.weights],
      ['optimizer', v.optimizer],
    ];
    for (const [section, groups] of sections) {
      if (groups === undefined || groups === null) continue;
      for (const [group, params] of Object.entries(groups as Record<string, Record<string, unknown>>)) {
        for (const [param, data] of Object.entries(params)) {
          const buf = float32Bytes(data, `${section}/${group}/${param}`);
          const entry: BlobEntry = {
            name: `${section}/${group}/${param}`,
            section,
            group,
            param,
            length: buf.byteLength / 4,
            crc32: crc32(buf),
          };
          entries.push(entry);
          bytes += buf.byteLength;
          await blobs.put({ ckptId: id, name: entry.name, length: entry.length, crc32: entry.crc32, bytes: buf });
          nBlobs++;
        }
      }
    }
    const row: CheckpointRow = {
      id,
      runId: String(v.runId),
      stage: v.stage as StageName,
      step: Number(v.step) || 0,
      seq: 0, // assigned below, once every record is small
      createdAt: Number(v.createdAt) || 0,
      final: v.final === true,
      blobs: entries,
      bytes,
    };
    if (v.rng !== undefined) row.rng = v.rng as Record<string, number>;
    if (v.extra !== undefined) row.extra = v.extra;
    await c.update(row);
  }

  // Write order per run: v1 had none, so number each run's checkpoints by (createdAt, step, id).
  const rows = await ckpts.getAll();
  rows.sort((a, b) => a.createdAt - b.createdAt || a.step - b.step || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const perRun = new Map<string, number>();
  for (const row of rows) {
    row.seq = (perRun.get(row.runId) ?? 0) + 1;
    perRun.set(row.runId, row.seq);
    await ckpts.put(row);
  }
  return { runs: nRuns, checkpoints: rows.length, blobs: nBlobs };
};

/** A Float32Array (or its bytes) from version 1 as a standalone ArrayBuffer. */
function float32Bytes(data: unknown, name: string): ArrayBuffer {
  if (data instanceof Float32Array) {
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer ? data.buffer : data.slice().buffer;
  }
  if (data instanceof ArrayBuffer && data.byteLength % 4 === 0) return data;
  throw new Error(`checkpoint blob "${name}" is not float32 data`);
}
