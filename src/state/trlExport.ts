import { openDb } from '../store/db';
import { getRun } from '../store/runs';
import { latestGoodCheckpoint } from '../store/latestGoodCheckpoint';
import { listCheckpoints, loadCheckpoint } from '../store/checkpoints';
import { PRESETS, type PresetName } from '../model/config';
import type { PipelineConfig } from '../rlhf/config';
import type { CheckpointExtra, RunData } from '../rlhf/pipelineTypes';
import { getTask } from '../tasks';
import { trlBundle } from '../io/trlBundle';
import { errorMessage } from '../util/errorMessage';

/**
 * "Continue in TRL": downloads a saved run as a bundle for Hugging Face TRL (io/trlBundle.ts): the
 * models of its latest good checkpoint, the data kept in its reward model's final checkpoint, its
 * settings in TRL's names. Returns '' on success or a plain-text problem for the UI.
 */
export async function downloadTrlBundle(runId: string): Promise<string> {
  const db = await openDb();
  try {
    const run = await getRun(db, runId);
    if (!run) return 'This run no longer exists.';
    const { checkpoint } = await latestGoodCheckpoint(db, runId);
    if (!checkpoint?.models.sft) return 'This run has no SFT model yet: continue it in TRL once SFT has finished.';
    const cfg = PRESETS[run.preset as PresetName];
    if (!cfg) return `Unknown model size "${run.preset}".`;
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
    const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${run.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'run'}-trl.zip`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return data ? '' : 'Exported the models and settings; this run was saved before the app kept its datasets, so the bundle has none.';
  } catch (e) {
    return `Export failed: ${errorMessage(e)}`;
  } finally {
    db.close();
  }
}
