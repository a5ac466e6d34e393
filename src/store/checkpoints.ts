/**
 * Checkpoints: the weights of every model of a run (policy, SFT reference, reward, value), the
 * optimizer state, PRNG states and small JSON extras, at one step of one stage. Pure storage:
 * weights arrive and leave as `Map<string, Float32Array>`; no tfjs, no UI.
 *
 * Layout (see db.ts): one metadata row in `checkpoints` listing its blobs, and one row per
 * Float32Array in `blobs` holding the raw bytes (an ArrayBuffer, never JSON), the value count and
 * a CRC-32 of the bytes. The CRC is also kept in the metadata row, so a blob row rewritten with
 * its own matching checksum is still caught.
 *
 * Guarantees:
 * - {@link saveCheckpoint} writes the metadata and every blob in one readwrite transaction: the
 *   checkpoint is all there or not there at all.
 * - {@link loadCheckpoint} verifies every blob (present, right length, right CRC) and throws
 *   {@link CorruptCheckpointError} naming the first bad one. Values are bit-exact, NaN payloads
 *   and -0 included.
 * - "Newest" means most recently written (the `seq` field), which is not the highest step:
 *   steps restart at each stage.
 */

import { crc32, crcHex } from './checksum';
import {
  STAGES,
  blobRange,
  newId,
  now,
  runSeqRange,
  writeTx,
  type BlobEntry,
  type BlobRow,
  type BlobSection,
  type CheckpointRow,
  type Db,
  type StageName,
  type WriteHooks,
} from './db';
import type { Weights } from '../model/params';

/** What the trainer hands to {@link saveCheckpoint}. */
export interface CheckpointData {
  /** Default: a random id. Saving an existing id replaces that checkpoint (atomically). */
  id?: string;
  runId: string;
  stage: StageName;
  step: number;
  /** Default: now. */
  createdAt?: number;
  /** By model name: 'policy', 'reference', 'reward', 'value', ... (no "/" in names). */
  models: Record<string, Weights>;
  /** AdamW state by group, e.g. {'policy.m': ..., 'policy.v': ..., 'policy.scalars': ...}. */
  optimizer?: Record<string, Weights>;
  /** PRNG states by name. */
  rng?: Record<string, number>;
  /** Small structured-cloneable extras: beta, iteration, metric cursor, ... */
  extra?: unknown;
  /** The stage's final checkpoint: kept by pruning. */
  final?: boolean;
}

/** What a checkpoint's stored row says of it besides its blobs: the part a loaded checkpoint and its listing share. */
type CheckpointMeta = Omit<CheckpointRow, 'blobs' | 'bytes'>;

/** A loaded, verified checkpoint. */
export interface Checkpoint extends CheckpointMeta {
  models: Record<string, Weights>;
  optimizer?: Record<string, Weights>;
}

/** A checkpoint's metadata, without weights (cheap to list). */
export interface CheckpointInfo extends CheckpointMeta {
  /** Model names, in save order. */
  models: string[];
  hasOptimizer: boolean;
  blobCount: number;
  /** Bytes of weights and optimizer state. */
  bytes: number;
}

export type CorruptReason = 'missing' | 'length' | 'checksum';

/** A blob of a stored checkpoint is missing or does not match its checksum. */
export class CorruptCheckpointError extends Error {
  override name = 'CorruptCheckpointError';
  constructor(
    readonly checkpointId: string,
    /** The blob's name, `models/<model>/<param>` or `optimizer/<group>/<param>`. */
    readonly blob: string,
    readonly reason: CorruptReason,
    message: string,
  ) {
    super(message);
  }
}

export interface SaveOptions extends WriteHooks {
  /**
   * A byte budget for all checkpoints in the database: a save that would take the total above
   * it fails with a QuotaExceededError, as if the disk were full. For user-set limits and for
   * testing the quota path.
   */
  maxBytes?: number;
}

/** A DOMException named QuotaExceededError, as the browser throws when storage is full. */
function quotaExceededError(message = 'The quota has been exceeded.'): DOMException {
  return new DOMException(message, 'QuotaExceededError');
}

// ---------------------------------------------------------------------------------------------

interface PlannedBlob {
  section: BlobSection;
  group: string;
  param: string;
  data: Float32Array;
}

function fail(message: string): never {
  throw new TypeError(`saveCheckpoint: ${message}`);
}

/** Validates the input and lists its arrays (without copying them). */
function planBlobs(c: CheckpointData): PlannedBlob[] {
  if (typeof c.runId !== 'string' || c.runId === '') fail('runId must be a non-empty string');
  if (!(STAGES as readonly string[]).includes(c.stage)) fail(`unknown stage ${JSON.stringify(c.stage)}`);
  if (!Number.isSafeInteger(c.step) || c.step < 0) fail(`step must be an integer ≥ 0, got ${c.step}`);
  if (c.id !== undefined && (typeof c.id !== 'string' || c.id === '')) fail('id must be a non-empty string');
  if (c.rng !== undefined) {
    for (const [k, v] of Object.entries(c.rng)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`rng state "${k}" must be a finite number`);
    }
  }
  const out: PlannedBlob[] = [];
  const sections: [BlobSection, Record<string, Weights> | undefined][] = [
    ['models', c.models],
    ['optimizer', c.optimizer],
  ];
  for (const [section, groups] of sections) {
    if (groups === undefined) {
      if (section === 'models') fail('models is required');
      continue;
    }
    for (const [group, weights] of Object.entries(groups)) {
      if (group === '' || group.includes('/')) fail(`${section} name ${JSON.stringify(group)} must be non-empty without "/"`);
      if (!(weights instanceof Map)) fail(`${section}.${group} must be a Map<string, Float32Array>`);
      for (const [param, data] of weights) {
        if (!(data instanceof Float32Array)) fail(`${section}/${group}/${param} must be a Float32Array`);
        out.push({ section, group, param, data });
      }
    }
  }
  return out;
}

/** The bytes to store: the array's own buffer when it spans it (IndexedDB copies it anyway). */
function bytesOf(a: Float32Array): ArrayBuffer {
  const whole = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer;
  return whole ? (a.buffer as ArrayBuffer) : a.slice().buffer;
}

/** A stored row's fields other than its blobs; `rng` and `extra` only where the row has them. */
function metaOf(row: CheckpointRow): CheckpointMeta {
  const meta: CheckpointMeta = {
    id: row.id,
    runId: row.runId,
    stage: row.stage,
    step: row.step,
    seq: row.seq,
    createdAt: row.createdAt,
    final: row.final,
  };
  if (row.rng !== undefined) meta.rng = row.rng;
  if (row.extra !== undefined) meta.extra = row.extra;
  return meta;
}

/** A stored row's metadata in the shape callers see. */
export function infoOf(row: CheckpointRow): CheckpointInfo {
  const models: string[] = [];
  for (const b of row.blobs) if (b.section === 'models' && !models.includes(b.group)) models.push(b.group);
  return {
    ...metaOf(row),
    models,
    hasOptimizer: row.blobs.some((b) => b.section === 'optimizer'),
    blobCount: row.blobs.length,
    bytes: row.bytes,
  };
}

/** "sft step 200" — for messages. */
export function describeCheckpoint(c: { stage: StageName; step: number; final?: boolean }): string {
  return `${c.stage} step ${c.step}${c.final ? ' (final)' : ''}`;
}

// ---------------------------------------------------------------------------------------------

/**
 * Saves a checkpoint (metadata and every blob) in one transaction and returns its metadata.
 * Throws (and writes nothing) if the run does not exist, the input is malformed, or a write
 * fails — a full disk gives a QuotaExceededError (see storage.ts `saveCheckpointSafely`).
 *
 * Arrays are read once, synchronously, right before each put; don't modify them until the
 * returned promise settles.
 */
export async function saveCheckpoint(db: Db, data: CheckpointData, opts: SaveOptions = {}): Promise<CheckpointInfo> {
  const planned = planBlobs(data);
  const id = data.id ?? newId();
  const total = planned.reduce((s, p) => s + p.data.byteLength, 0);

  return writeTx(db, ['runs', 'checkpoints', 'blobs'], async (tx, track) => {
    if ((await tx.objectStore('runs').getKey(data.runId)) === undefined) {
      throw new Error(`Cannot save a checkpoint: no run with id "${data.runId}".`);
    }
    const ckpts = tx.objectStore('checkpoints');
    const blobs = tx.objectStore('blobs');
    const last = await ckpts.index('by-run-seq').openKeyCursor(runSeqRange(data.runId), 'prev');
    const seq = (last ? last.key[1] : 0) + 1;
    const replaced = (await ckpts.getKey(id)) !== undefined;

    let used = 0;
    if (opts.maxBytes !== undefined) {
      for (const row of await ckpts.getAll()) if (row.id !== id) used += row.bytes;
    }
    const budgetCheck = (extra: number): void => {
      if (opts.maxBytes !== undefined && used + extra > opts.maxBytes) {
        throw quotaExceededError(`Storage budget of ${opts.maxBytes} bytes exceeded (${used} in use, ${total} more needed).`);
      }
    };

    if (replaced) track(blobs.delete(blobRange(id)));
    // From here to the end everything is synchronous: the bytes checksummed are the bytes put.
    let puts = 0;
    let written = 0;
    const entries: BlobEntry[] = [];
    for (const p of planned) {
      opts.beforePut?.('blobs', puts++);
      written += p.data.byteLength;
      budgetCheck(written);
      const bytes = bytesOf(p.data);
      const entry: BlobEntry = {
        name: `${p.section}/${p.group}/${p.param}`,
        section: p.section,
        group: p.group,
        param: p.param,
        length: p.data.length,
        crc32: crc32(p.data),
      };
      entries.push(entry);
      const row: BlobRow = { ckptId: id, name: entry.name, length: entry.length, crc32: entry.crc32, bytes };
      track(blobs.put(row));
    }
    const row: CheckpointRow = {
      id,
      runId: data.runId,
      stage: data.stage,
      step: data.step,
      seq,
      createdAt: data.createdAt ?? now(),
      final: data.final === true,
      blobs: entries,
      bytes: total,
    };
    if (data.rng !== undefined) row.rng = { ...data.rng };
    if (data.extra !== undefined) row.extra = data.extra;
    opts.beforePut?.('checkpoints', puts);
    track(ckpts.put(row));
    return infoOf(row);
  });
}

function corrupt(row: CheckpointRow, entry: BlobEntry, blob: BlobRow | undefined): CorruptCheckpointError | null {
  const where = `Checkpoint ${describeCheckpoint(row)} ("${row.id}") is corrupt: blob "${entry.name}"`;
  if (!blob) return new CorruptCheckpointError(row.id, entry.name, 'missing', `${where} is missing.`);
  if (blob.length !== entry.length || !(blob.bytes instanceof ArrayBuffer) || blob.bytes.byteLength !== 4 * entry.length) {
    const got = blob.bytes instanceof ArrayBuffer ? `${blob.bytes.byteLength} bytes` : 'no bytes';
    return new CorruptCheckpointError(row.id, entry.name, 'length', `${where} has ${got}, expected ${4 * entry.length} (${entry.length} float32 values).`);
  }
  const actual = crc32(blob.bytes);
  if (actual !== entry.crc32 || blob.crc32 !== entry.crc32) {
    return new CorruptCheckpointError(
      row.id,
      entry.name,
      'checksum',
      `${where} fails its checksum (CRC-32 ${crcHex(actual)}, expected ${crcHex(entry.crc32)}).`,
    );
  }
  return null;
}

/**
 * Loads and verifies a checkpoint; `undefined` if there is none with this id. Throws
 * {@link CorruptCheckpointError} naming the first blob that is missing, truncated or fails its
 * checksum.
 */
export async function loadCheckpoint(db: Db, id: string): Promise<Checkpoint | undefined> {
  const tx = db.transaction(['checkpoints', 'blobs'], 'readonly');
  const row = await tx.objectStore('checkpoints').get(id);
  if (!row) return undefined;
  const byName = new Map<string, BlobRow>();
  for (const b of await tx.objectStore('blobs').getAll(blobRange(id))) byName.set(b.name, b);

  const out: Checkpoint = { ...metaOf(row), models: {} };
  for (const entry of row.blobs) {
    const blob = byName.get(entry.name);
    const bad = corrupt(row, entry, blob);
    if (bad) throw bad;
    const groups = entry.section === 'models' ? out.models : (out.optimizer ??= {});
    (groups[entry.group] ??= new Map()).set(entry.param, new Float32Array(blob!.bytes));
  }
  return out;
}

/**
 * Verifies a checkpoint without assembling it, reading one blob at a time (low memory).
 * Returns null when it is good, the {@link CorruptCheckpointError} otherwise; throws if there is
 * no checkpoint with this id.
 */
export async function verifyCheckpoint(db: Db, id: string): Promise<CorruptCheckpointError | null> {
  const tx = db.transaction(['checkpoints', 'blobs'], 'readonly');
  const row = await tx.objectStore('checkpoints').get(id);
  if (!row) throw new Error(`No checkpoint with id "${id}".`);
  const entries = new Map(row.blobs.map((e) => [e.name, e]));
  const seen = new Set<string>();
  for (let c = await tx.objectStore('blobs').openCursor(blobRange(id)); c; c = await c.continue()) {
    const entry = entries.get(c.value.name);
    if (!entry) continue;
    seen.add(entry.name);
    const bad = corrupt(row, entry, c.value);
    if (bad) return bad;
  }
  for (const entry of row.blobs) if (!seen.has(entry.name)) return corrupt(row, entry, undefined);
  return null;
}

/** Every checkpoint of a run, newest (last written) first. */
export async function listCheckpoints(db: Db, runId: string): Promise<CheckpointInfo[]> {
  const rows = await db.getAllFromIndex('checkpoints', 'by-run-seq', runSeqRange(runId));
  return rows.reverse().map(infoOf);
}
