import type { ModelName, StageName } from '../worker/protocol';
import type { TaskName } from '../tasks';
import { onWorkerEvent, run } from './run.svelte';
import { request } from './requests';
import { errorMessage } from '../util/errorMessage';

/**
 * Which trained models the worker holds for inspection (samples, token scores, attention,
 * labeling from the model): a saved run's latest good checkpoint. Loaded automatically when a
 * pipeline run finishes, or on request for any saved run.
 */
export const inspection = $state({
  runId: null as string | null,
  models: [] as ModelName[],
  stage: null as StageName | null,
  step: 0,
  task: null as TaskName | null,
  loading: false,
  message: '',
  /** bumped on every load: cached scores of an older load are stale */
  generation: 0,
});

export const MODEL_TITLES: Record<ModelName, string> = { base: 'base LM', sft: 'SFT', reward: 'reward model', policy: 'PPO policy', value: 'value model' };

export async function loadRunModels(runId: string): Promise<void> {
  inspection.loading = true;
  inspection.message = 'Loading the run’s models…';
  try {
    const r = await request({ type: 'loadModels', runId });
    inspection.runId = r.runId;
    inspection.models = r.models;
    inspection.stage = r.stage;
    inspection.step = r.step;
    inspection.task = r.task;
    inspection.generation++;
    inspection.message = '';
  } catch (e) {
    inspection.message = `The models could not be loaded: ${errorMessage(e)}`;
  } finally {
    inspection.loading = false;
  }
}

/** After a saved pipeline run finishes, its final models are loaded for inspection. */
export function loadModelsAfterRuns(): () => void {
  return onWorkerEvent((e) => {
    if (e.type === 'status' && e.state === 'done' && run.kind === 'pipeline' && run.runId) void loadRunModels(run.runId);
  });
}
