import { openDb, type Db } from '../store/db';
import { getRun } from '../store/runs';
import { latestGoodCheckpoint } from '../store/latestGoodCheckpoint';
import { listCheckpoints, loadCheckpoint } from '../store/checkpoints';
import { PRESETS, type PresetName } from '../model/config';
import type { PipelineConfig } from '../rlhf/config';
import type { CheckpointExtra, RunData } from '../rlhf/pipelineTypes';
import { getTask } from '../tasks';
import { trlBundle } from '../io/trlBundle';
import { errorMessage } from '../util/errorMessage';

/** Why a run cannot be continued in TRL (yet); the message is plain text for the UI. */
class NotExportable extends Error {}

/**
 * A saved run's "Continue in TRL" zip (io/trlBundle.ts): the models of its latest good checkpoint,
 * the data kept in its reward model's final checkpoint, its settings in TRL's names. `note` says
 * what is missing ('' when nothing is).
 * @internal test seam: the round trip (tests/trl/) builds the bundle of a run it saved, without a download
 */
export async function trlBundleOfRun(db: Db, runId: string): Promise<{ zip: Uint8Array; fileName: string; note: string }> {
  const run = await getRun(db, runId);
  if (!run) throw new NotExportable('This run no longer exists.');
  const { checkpoint } = await latestGoodCheckpoint(db, runId);
  if (!checkpoint?.models.sft) throw new NotExportable('This run has no SFT model yet: continue it in TRL once SFT has finished.');
  const cfg = PRESETS[run.preset as PresetName];
  if (!cfg) throw new NotExportable(`Unknown model size "${run.preset}".`);
  const config = run.config as PipelineConfig;
  const rmFinal = (await listCheckpoints(db, runId)).filter((c) => c.stage === 'rm' && c.final).pop();
  const data: RunData | undefined = rmFinal ? ((await loadCheckpoint(db, rmFinal.id))?.extra as CheckpointExtra | undefined)?.runData : undefined;
  const zip = trlBundle({
    runName: run.name,
    cfg,
    config,
    maxResponseTokens: getTask(config.task).maxResponseLength,
    models: checkpoint.models,
    data,
    provenance: { run: run.name, stage: checkpoint.stage, step: String(checkpoint.step) },
  });
  return {
    zip,
    fileName: `${run.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'run'}-trl.zip`,
    note: data
      ? ''
      : rmFinal
        ? 'Exported the models and settings; this run was saved before the app kept its datasets, so the bundle has none.'
        : 'Exported the models and settings; the datasets are kept when the reward model finishes, and this run has not got that far.',
  };
}

/** Downloads a saved run's "Continue in TRL" zip. Returns '' on success or a plain-text problem for the UI. */
export async function downloadTrlBundle(runId: string): Promise<string> {
  const db = await openDb();
  try {
    const { zip, fileName, note } = await trlBundleOfRun(db, runId);
    const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return note;
  } catch (e) {
    return e instanceof NotExportable ? e.message : `Export failed: ${errorMessage(e)}`;
  } finally {
    db.close();
  }
}
