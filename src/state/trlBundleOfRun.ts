/**
 * A saved run as a "Continue in TRL" bundle, read from the store: no DOM, so the page's download
 * (trlExport.ts) and the TRL round trip (tests/trl/) build the same zip.
 */
import type { Db } from '../store/db';
import { getRun } from '../store/runs';
import { latestGoodCheckpoint } from '../store/latestGoodCheckpoint';
import { listCheckpoints, loadCheckpoint } from '../store/checkpoints';
import { PRESETS, type PresetName } from '../model/config';
import type { PipelineConfig } from '../rlhf/config';
import type { CheckpointExtra, RunData } from '../rlhf/pipelineTypes';
import { getTask } from '../tasks';
import { trlBundle } from '../io/trlBundle';

/** Why a run cannot be continued in TRL (yet); the message is plain text for the UI. */
export class NotExportable extends Error {}

/**
 * A saved run's "Continue in TRL" zip (io/trlBundle.ts): the models of its latest good checkpoint,
 * the data kept in its reward model's final checkpoint, its settings in TRL's names. `note` says
 * what is missing ('' when nothing is).
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
