import type { Db, StageName } from './db';
import {
  CorruptCheckpointError,
  listCheckpoints,
  loadCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
  type CheckpointInfo,
  type CorruptReason,
} from './checkpoints';
import { resumable, type CheckpointPosition } from './checkpointPosition';

/**
 * Recovery after a crash or a damaged disk: the newest checkpoint of a run that still verifies,
 * and the newer ones skipped on the way (each with its reason, so the UI can say what was lost).
 * With `curvesAt` (the run record's) only checkpoints whose curves the record holds are candidates.
 */

interface SkippedCheckpoint {
  id: string;
  stage: StageName;
  step: number;
  blob: string;
  reason: CorruptReason;
  message: string;
}

export interface LatestGood<T> {
  /** The newest checkpoint that verifies, or null if none does (or the run has none). */
  checkpoint: T | null;
  /** Newer checkpoints that were skipped as corrupt, newest first. */
  skipped: SkippedCheckpoint[];
}

function skippedOf(info: CheckpointInfo, e: CorruptCheckpointError): SkippedCheckpoint {
  return { id: info.id, stage: info.stage, step: info.step, blob: e.blob, reason: e.reason, message: e.message };
}

/** Walks back from the newest checkpoint of a run to the newest one that verifies, and loads it. */
export async function latestGoodCheckpoint(db: Db, runId: string, curvesAt?: CheckpointPosition): Promise<LatestGood<Checkpoint>> {
  const skipped: SkippedCheckpoint[] = [];
  for (const info of resumable(await listCheckpoints(db, runId), curvesAt)) {
    try {
      const ckpt = await loadCheckpoint(db, info.id);
      if (ckpt) return { checkpoint: ckpt, skipped };
    } catch (e) {
      if (!(e instanceof CorruptCheckpointError)) throw e;
      skipped.push(skippedOf(info, e));
    }
  }
  return { checkpoint: null, skipped };
}

/** Like {@link latestGoodCheckpoint} but returns only the metadata (verifies blob by blob). */
export async function latestGoodCheckpointInfo(db: Db, runId: string, curvesAt?: CheckpointPosition): Promise<LatestGood<CheckpointInfo>> {
  const skipped: SkippedCheckpoint[] = [];
  for (const info of resumable(await listCheckpoints(db, runId), curvesAt)) {
    let bad: CorruptCheckpointError | null;
    try {
      bad = await verifyCheckpoint(db, info.id);
    } catch (e) {
      if ((await db.getKey('checkpoints', info.id)) === undefined) continue; // deleted meanwhile
      throw e;
    }
    if (!bad) return { checkpoint: info, skipped };
    skipped.push(skippedOf(info, bad));
  }
  return { checkpoint: null, skipped };
}
