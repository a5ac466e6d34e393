/**
 * Storage health: usage and quota, persistence, and saving a checkpoint when the disk is full.
 * Pure: no tfjs, no UI; every function works (degraded) where `navigator.storage` is missing.
 */

import { describeCheckpoint, saveCheckpoint, type CheckpointData, type CheckpointInfo, type SaveOptions } from './checkpoints';
import type { Db } from './db';
import { latestGoodCheckpointInfo } from './latestGoodCheckpoint';
import { pruneCheckpoints, type PrunePolicy } from './prune';

export interface StorageStatus {
  /** Bytes used by this origin; null when the browser does not say. */
  usage: number | null;
  /** Bytes this origin may use; null when the browser does not say. */
  quota: number | null;
  /** Whether the browser promised not to evict this origin's data; null when unknown. */
  persisted: boolean | null;
}

function storageManager(): StorageManager | undefined {
  return typeof navigator !== 'undefined' && navigator.storage ? navigator.storage : undefined;
}

/** Usage, quota and persistence. Never throws. */
export async function storageStatus(): Promise<StorageStatus> {
  const sm = storageManager();
  const status: StorageStatus = { usage: null, quota: null, persisted: null };
  if (!sm) return status;
  try {
    if (typeof sm.estimate === 'function') {
      const e = await sm.estimate();
      if (typeof e.usage === 'number') status.usage = e.usage;
      if (typeof e.quota === 'number') status.quota = e.quota;
    }
  } catch {
    // leave unknown
  }
  try {
    if (typeof sm.persisted === 'function') status.persisted = await sm.persisted();
  } catch {
    // leave unknown
  }
  return status;
}

/**
 * Asks the browser to keep this origin's data under storage pressure. Returns whether storage is
 * now persistent (false when refused or unsupported). Never throws. Browsers may decide without
 * asking the user (Chromium grants it to sites the user engages with).
 */
export async function requestPersistence(): Promise<boolean> {
  const sm = storageManager();
  if (!sm || typeof sm.persist !== 'function') return false;
  try {
    return await sm.persist();
  } catch {
    return false;
  }
}

import { isQuotaError } from './quotaError';

export { isQuotaError };

/** Pruning when the disk is full: keep each stage's final checkpoint (plus the latest good one). */
const EMERGENCY_PRUNE_POLICY: PrunePolicy = { keepLatest: 0, keepFinals: true };

export type SafeSaveResult =
  | {
      ok: true;
      checkpoint: CheckpointInfo;
      /** Checkpoints deleted to make room (empty when the first attempt succeeded). */
      pruned: CheckpointInfo[];
    }
  | {
      ok: false;
      reason: 'quota';
      /** Plain text for the user. */
      message: string;
      /** The checkpoint kept (the newest that verifies), if any. */
      kept: CheckpointInfo | null;
      pruned: CheckpointInfo[];
    };

export interface SafeSaveOptions extends SaveOptions {
  /**
   * What to prune when the disk is full, before the one retry. The run's newest good
   * checkpoint is always added to `keepIds`. Default: keep only that one and each stage's
   * final one (newer checkpoints that fail verification are useless and go).
   */
  emergencyPolicy?: PrunePolicy;
}

/**
 * Saves a checkpoint; when storage is full, prunes the run's old checkpoints (never the newest
 * one that verifies, nor, by default, the stages' final ones) and retries once. If it still
 * does not fit, returns `{ok: false, reason: 'quota', message}`. Other errors are thrown.
 */
export async function saveCheckpointSafely(db: Db, ckpt: CheckpointData, opts: SafeSaveOptions = {}): Promise<SafeSaveResult> {
  try {
    return { ok: true, checkpoint: await saveCheckpoint(db, ckpt, opts), pruned: [] };
  } catch (e) {
    if (!isQuotaError(e)) throw e;
  }

  const good = (await latestGoodCheckpointInfo(db, ckpt.runId)).checkpoint;
  const base = opts.emergencyPolicy ?? EMERGENCY_PRUNE_POLICY;
  const policy: PrunePolicy = { ...base, keepIds: [...(base.keepIds ?? []), ...(good ? [good.id] : [])] };
  const pruned = await pruneCheckpoints(db, ckpt.runId, policy);

  try {
    return { ok: true, checkpoint: await saveCheckpoint(db, ckpt, opts), pruned };
  } catch (e) {
    if (!isQuotaError(e)) throw e;
  }

  const what = `the checkpoint at ${describeCheckpoint(ckpt)}`;
  const freed = pruned.length
    ? ` ${pruned.length} older checkpoint${pruned.length === 1 ? ' was' : 's were'} deleted to make room, but that was not enough.`
    : '';
  const kept = good
    ? ` The latest good checkpoint (${describeCheckpoint(good)}) is kept, so the run can resume from there.`
    : ' There is no earlier checkpoint of this run to resume from.';
  return {
    ok: false,
    reason: 'quota',
    message: `The disk is full: ${what} could not be saved.${freed}${kept} ` + `Free up disk space or delete old runs, then save again.`,
    kept: good,
    pruned,
  };
}
