import type { Db, RunRow } from './db';
import { saveCheckpoint, type CheckpointData, type CheckpointInfo } from './checkpoints';
import { createRun, deleteRun, updateRun, type NewRun } from './runs';

/**
 * A run that starts at the end of SFT from models it did not train — an imported model
 * (state/modelImport), the shipped example (state/example): its record (`imported` says from where
 * and that pretraining and SFT were skipped), then its end-of-SFT checkpoint, then those two stages
 * marked done. All or nothing: when the checkpoint or the marking fails, the record (and any checkpoint)
 * is deleted again and the error is thrown. Resuming the run then trains the reward model, PPO-ptx and the evaluation.
 */
export async function createImportedRun(
  db: Db,
  init: NewRun & { imported: NonNullable<NewRun['imported']> },
  checkpoint: Omit<CheckpointData, 'runId'>,
): Promise<{ run: RunRow; checkpoint: CheckpointInfo }> {
  const created = await createRun(db, init);
  try {
    const saved = await saveCheckpoint(db, { ...checkpoint, runId: created.id });
    const run = await updateRun(db, created.id, { stageStatus: { pretrain: 'done', sft: 'done' } });
    return { run, checkpoint: saved };
  } catch (e) {
    // no record without its starting point and its skipped stages marked (deleteRun takes the checkpoint too)
    await deleteRun(db, created.id).catch(() => {});
    throw e;
  }
}
