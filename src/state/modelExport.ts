import { openDb } from '../store/db';
import { getRun } from '../store/runs';
import { latestGoodCheckpoint } from '../store/latestGoodCheckpoint';
import { PRESETS, type PresetName } from '../model/config';
import { exportBundle } from '../io/exportBundle';
import { errorMessage } from '../util/errorMessage';

/**
 * Downloads a saved run's models (its latest good checkpoint) as a zip of Hugging Face GPT-2
 * folders. Returns '' on success or a plain-text problem for the UI.
 */
export async function downloadRunModels(runId: string): Promise<string> {
  const db = await openDb();
  try {
    const run = await getRun(db, runId);
    if (!run) return 'This run no longer exists.';
    const { checkpoint } = await latestGoodCheckpoint(db, runId);
    if (!checkpoint) return 'This run has no checkpoint to export yet.';
    const cfg = PRESETS[run.preset as PresetName];
    if (!cfg) return `Unknown model size "${run.preset}".`;
    const zip = exportBundle(cfg, checkpoint.models, { run: run.name, stage: checkpoint.stage, step: String(checkpoint.step) });
    const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${run.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'run'}-${checkpoint.stage}-${checkpoint.step}.zip`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return '';
  } catch (e) {
    return `Export failed: ${errorMessage(e)}`;
  } finally {
    db.close();
  }
}
