import type { PipelineConfig } from '../rlhf/config';
import { chooseModelFiles, readUploadedModel, presetProblem, type PickedFile } from '../io/modelUpload';
import { importedSftCheckpoint } from '../rlhf/importedStart';
import { MAX_RUN_NAME } from '../store/runs';
import { createImportedRun } from '../store/importedRun';
import { configBlockers, pipelineConfig } from './pipelineConfig.svelte';
import { run } from './run.svelte';
import { savedRuns, showNewRun } from './runs.svelte';
import { resumeRun } from './runRecorder.svelte';
import { database, storage } from './storage.svelte';
import { userDataForRun } from './userLabels.svelte';
import { errorMessage } from '../util/errorMessage';

/**
 * Starting a pipeline run from an imported SFT model: the files are checked against the current
 * settings, a run record saying so and an end-of-SFT checkpoint (base = SFT = the imported
 * weights) are written, then the run resumes from there — reward model, PPO-ptx, evaluation.
 * Problems are plain text, shown next to the file picker.
 */
export const modelImport = $state({ busy: false, message: '', error: '' });

const fail = (message: string): void => {
  modelImport.error = message;
  modelImport.message = '';
};

export async function startFromImportedModel(files: File[]): Promise<void> {
  if (modelImport.busy) return;
  modelImport.error = '';
  modelImport.message = '';
  if (run.state === 'training' || savedRuns.starting) return fail('A run is in progress: stop it first.');
  const blockers = configBlockers();
  if (blockers.length) return fail(`Fix these settings first: ${blockers.join('; ')}.`);
  if (!files.length) return fail('Choose the model’s files first.');
  modelImport.busy = true;
  try {
    // Only the files that make the model are read, and only after their sizes are checked.
    let chosen: File[];
    try {
      chosen = Object.values(chooseModelFiles(files));
    } catch (e) {
      return fail(errorMessage(e));
    }
    let picked: PickedFile[];
    try {
      picked = await Promise.all(chosen.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
    } catch (e) {
      return fail(`The files could not be read (${errorMessage(e)}).`);
    }
    const cfg = structuredClone($state.snapshot(pipelineConfig)) as PipelineConfig;
    let model: ReturnType<typeof readUploadedModel>;
    try {
      model = readUploadedModel(picked);
    } catch (e) {
      return fail(errorMessage(e));
    }
    const shape = presetProblem(model.cfg, cfg.preset);
    if (shape) return fail(shape);
    const db = await database();
    if (!db)
      return fail(`The run cannot be saved, and an imported run starts from a saved checkpoint: ${storage.error || 'saving is unavailable in this browser'}.`);

    const name = Array.from(`${cfg.task} · ${cfg.preset} · seed ${cfg.seed} · from ${model.source}`).slice(0, MAX_RUN_NAME).join('');
    const userData = userDataForRun(cfg)?.data;
    const c = importedSftCheckpoint(model.weights, model.source);
    let id: string;
    try {
      const made = await createImportedRun(
        db,
        {
          name,
          task: cfg.task,
          preset: cfg.preset,
          seed: cfg.seed,
          config: cfg,
          ...(userData ? { userData } : {}),
          imported: { source: model.source, skipped: ['pretrain', 'sft'] },
        },
        c,
      );
      showNewRun(made.run, made.checkpoint);
      id = made.run.id;
    } catch (e) {
      return fail(`The imported model could not be saved (${errorMessage(e)}); nothing was started.`);
    }
    const problem = await resumeRun(id);
    if (problem) return fail(problem);
    modelImport.message = `Started “${name}” from the imported model: pretraining and SFT are skipped; the reward model, PPO-ptx and the evaluation run now.`;
  } catch (e) {
    fail(`The run could not be started (${errorMessage(e)}).`);
  } finally {
    modelImport.busy = false;
  }
}
