/**
 * Pruning a run's old checkpoints: deleting those a policy does not keep. Storage-full handling
 * (storage.ts) prunes harder with its own policy.
 */

import { infoOf, type CheckpointInfo } from './checkpoints';
import { blobRange, runSeqRange, writeTx, type Db, type StageName } from './db';

export interface PrunePolicy {
  /** How many of the newest checkpoints to keep (≥ 0). */
  keepLatest: number;
  /** Keep each stage's newest `final` checkpoint. Default true. */
  keepFinals?: boolean;
  /** Checkpoints to keep whatever the policy says (e.g. the latest good one). */
  keepIds?: readonly string[];
}

const DEFAULT_PRUNE_POLICY: PrunePolicy = { keepLatest: 2, keepFinals: true };

/** Which of a run's checkpoints (newest first) a policy keeps. */
function checkpointsToKeep(newestFirst: readonly CheckpointInfo[], policy: PrunePolicy): Set<string> {
  if (!Number.isSafeInteger(policy.keepLatest) || policy.keepLatest < 0) {
    throw new RangeError(`keepLatest must be an integer ≥ 0, got ${policy.keepLatest}`);
  }
  const keep = new Set<string>(policy.keepIds ?? []);
  newestFirst.slice(0, policy.keepLatest).forEach((c) => keep.add(c.id));
  if (policy.keepFinals !== false) {
    const stages = new Set<StageName>();
    for (const c of newestFirst) {
      if (c.final && !stages.has(c.stage)) {
        stages.add(c.stage);
        keep.add(c.id);
      }
    }
  }
  return keep;
}

/**
 * Deletes a run's checkpoints that the policy does not keep (the newest `keepLatest`, each
 * stage's final one, and `keepIds`), with their blobs, in one transaction. Returns the deleted
 * ones, newest first.
 */
export function pruneCheckpoints(db: Db, runId: string, policy: PrunePolicy = DEFAULT_PRUNE_POLICY): Promise<CheckpointInfo[]> {
  return writeTx(db, ['checkpoints', 'blobs'], async (tx) => {
    const ckpts = tx.objectStore('checkpoints');
    const all = (await ckpts.index('by-run-seq').getAll(runSeqRange(runId))).reverse().map(infoOf);
    const keep = checkpointsToKeep(all, policy);
    const doomed = all.filter((c) => !keep.has(c.id));
    const blobs = tx.objectStore('blobs');
    await Promise.all(doomed.flatMap((c) => [blobs.delete(blobRange(c.id)), ckpts.delete(c.id)]));
    return doomed;
  });
}
