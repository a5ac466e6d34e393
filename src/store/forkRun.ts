/**
 * A fork of a saved run: a new run that starts from the source's checkpoint at the end of the stage
 * before the one it re-runs. The checkpoint is copied, so the fork stands on its own — it resumes,
 * is inspected and exported like any run, and deleting the source leaves it whole — at the cost of
 * one more copy of that checkpoint's weights on disk.
 */

import { STAGES, type Db, type ForkStage, type RunRow, type StageName } from './db';
import { listCheckpoints, loadCheckpoint, saveCheckpoint, CorruptCheckpointError, type Checkpoint, type CheckpointInfo } from './checkpoints';
import { createRun, deleteRun, updateRun, type NewRun } from './runs';

/**
 * A fork whose checkpoint is changed before it is saved: the evaluation of a saved run with an
 * imported policy in place of its own (rlhf/judgedStart.ts). `replace` may throw (a policy that does
 * not fit): then nothing is created.
 */
export interface ForkWithPolicy {
  /** where the policy came from, kept in the fork's `forkedFrom` */
  policy: string;
  replace(from: Checkpoint): { models: Checkpoint['models']; extra: unknown };
}

/** The stage whose end-of-stage checkpoint a fork from `stage` starts from. */
export function stageBefore(stage: ForkStage): StageName {
  return stage === 'eval' ? 'ppo' : STAGES[STAGES.indexOf(stage) - 1];
}

/** The newest end-of-stage checkpoint of `stage` that verifies (null when there is none). */
async function newestFinal(db: Db, runId: string, stage: StageName): Promise<Checkpoint | null> {
  for (const info of await listCheckpoints(db, runId)) {
    if (info.stage !== stage || !info.final) continue;
    try {
      const c = await loadCheckpoint(db, info.id);
      if (c) return c;
    } catch (e) {
      if (!(e instanceof CorruptCheckpointError)) throw e;
    }
  }
  return null;
}

/**
 * Creates the fork's run record (`forkedFrom` says where it came from; the earlier stages are done,
 * with the source's curves; the user's labels are the source's, which its earlier stages trained
 * on) and copies the source's end-of-(stage − 1) checkpoint under it. All or nothing: when the copy
 * fails the record is deleted again. Resuming the new run then runs `stage` and the later ones.
 */
export async function createForkRun(
  db: Db,
  source: RunRow,
  stage: ForkStage,
  init: Omit<NewRun, 'forkedFrom' | 'userData' | 'imported'>,
  judge?: ForkWithPolicy,
): Promise<{ run: RunRow; checkpoint: CheckpointInfo }> {
  const before = stageBefore(stage);
  const from = await newestFinal(db, source.id, before);
  if (!from) throw new Error(`“${source.name}” has no intact checkpoint from the end of ${before} to start from.`);
  const replaced = judge ? judge.replace(from) : { models: from.models, extra: from.extra };
  const earlier = STAGES.slice(0, STAGES.indexOf(before) + 1);
  const created = await createRun(db, {
    ...init,
    ...(source.userData ? { userData: source.userData } : {}),
    forkedFrom: { runId: source.id, runName: source.name, stage, ...(judge ? { policy: judge.policy } : {}) },
  });
  try {
    const run = await updateRun(db, created.id, {
      stageStatus: Object.fromEntries(earlier.map((s) => [s, 'done'])),
      setMetrics: Object.fromEntries(earlier.map((s) => [s, source.metrics[s] ?? {}])),
    });
    const checkpoint = await saveCheckpoint(db, {
      runId: run.id,
      stage: from.stage,
      step: from.step,
      final: true,
      models: replaced.models,
      optimizer: from.optimizer,
      rng: from.rng,
      extra: replaced.extra,
    });
    return { run, checkpoint };
  } catch (e) {
    await deleteRun(db, created.id).catch(() => {});
    throw e;
  }
}
