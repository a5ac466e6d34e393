import type { PipelineConfig } from '../rlhf/config';
import type { CheckpointExtra, PipelineReport } from '../rlhf/pipelineTypes';
import { judgedPolicyCheckpoint, judgeShapeProblem } from '../rlhf/judgedStart';
import { PRESETS, type PresetName } from '../model/config';
import { chooseModelFiles, readUploadedModel, type PickedFile } from '../io/modelUpload';
import { MAX_RUN_NAME, type RunRecord } from '../store/runs';
import { createForkRun } from '../store/forkRun';
import { isQuotaError } from '../store/quotaError';
import { run } from './run.svelte';
import { runById, savedRuns, showNewRun } from './runs.svelte';
import { resumeRun } from './runRecorder.svelte';
import { database, storage } from './storage.svelte';
import { errorMessage } from '../util/errorMessage';

/**
 * "Judge an imported policy against this run": a policy from elsewhere (TRL, another run's export)
 * evaluated exactly as a saved run's own PPO policy was — the run's seed, evaluation prompts and
 * held-out labelers — as a new saved run forked from it at the evaluation, whose report shows the
 * two side by side. The policy is checked against the run's model before anything is saved;
 * problems are plain text, shown next to the file picker of that run.
 */
export const judge = $state({
  /** the saved run whose judge panel is open (null: none) */
  openFor: null as string | null,
  busy: false,
  /** the judge run started last (its progress and report are that run's) */
  started: null as string | null,
  message: '',
  error: '',
});

/** A saved run can judge a policy when it finished PPO (its end-of-PPO checkpoint) and is not a judge run itself. */
export function canJudge(r: RunRecord, finals: readonly string[] | undefined): boolean {
  return !!finals?.includes('ppo') && !r.forkedFrom?.policy;
}

const fail = (message: string): void => {
  judge.error = message;
  judge.message = '';
};

/** The judge run's name: the source's, and where the policy came from (cut to fit a run name). */
function judgeName(source: string, policy: string): string {
  const name = `${source} · judged: ${policy}`;
  const chars = Array.from(name);
  return chars.length > MAX_RUN_NAME ? chars.slice(0, MAX_RUN_NAME - 1).join('') + '…' : name;
}

/** The run's own evaluation, from its report (null when it has none). */
function ownEval(report: unknown): PipelineReport['eval'] | null {
  const r = report as Partial<PipelineReport> | undefined;
  return r?.eval && !r.judged ? r.eval : null;
}

export async function judgeImportedPolicy(sourceId: string, files: File[]): Promise<void> {
  if (judge.busy) return;
  judge.openFor = sourceId;
  judge.error = '';
  judge.message = '';
  if (run.state === 'training' || savedRuns.starting) return fail('A run is in progress: stop it first, or wait for it to finish.');
  const shown = runById(sourceId);
  if (!shown) return fail('The saved run is gone (deleted?).');
  if (!files.length) return fail('Choose the policy’s files first.');
  judge.busy = true;
  try {
    const source = $state.snapshot(shown) as RunRecord; // plain data: it goes into the new record
    const cfg = structuredClone(source.config) as PipelineConfig;
    const shape = PRESETS[cfg.preset as PresetName];
    if (!shape) return fail(`The saved run’s model size “${cfg.preset}” is unknown to this version of the app.`);
    let picked: PickedFile[];
    try {
      const chosen = Object.values(chooseModelFiles(files));
      picked = await Promise.all(chosen.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
    } catch (e) {
      return fail(errorMessage(e));
    }
    let model: ReturnType<typeof readUploadedModel>;
    try {
      model = readUploadedModel(picked, 'policy');
    } catch (e) {
      return fail(errorMessage(e));
    }
    const problem = judgeShapeProblem(model.cfg, shape, source.name);
    if (problem) return fail(problem);
    const db = await database();
    if (!db) return fail(`The judge run cannot be saved, and it starts from a saved checkpoint: ${storage.error || 'saving is unavailable in this browser'}.`);
    if (savedRuns.starting) return fail('A run is starting: try again in a moment.');
    savedRuns.starting = true;
    let id: string;
    const name = judgeName(source.name, model.source);
    try {
      const made = await createForkRun(
        db,
        source,
        'eval',
        { name, task: cfg.task, preset: cfg.preset, seed: cfg.seed, config: cfg },
        {
          policy: model.source,
          replace: (from) =>
            judgedPolicyCheckpoint(
              { stage: from.stage, step: from.step, final: from.final, models: from.models, extra: from.extra as CheckpointExtra },
              model,
              { id: source.id, name: source.name, model: shape, eval: ownEval(source.report) },
            ),
        },
      );
      id = made.run.id;
      showNewRun(made.run, made.checkpoint);
    } catch (e) {
      return fail(
        isQuotaError(e)
          ? 'The disk is full: judging needs a copy of the run’s end-of-PPO checkpoint. Delete old runs, then try again.'
          : `The policy could not be judged: ${errorMessage(e)}`,
      );
    } finally {
      savedRuns.starting = false;
    }
    const started = await resumeRun(id);
    if (started) return fail(started);
    judge.started = id;
    savedRuns.openId = id;
    judge.message = `Judging ${model.source} against “${source.name}”: the evaluation runs now, as the new run “${name}”; its report shows both.`;
  } catch (e) {
    fail(`The policy could not be judged (${errorMessage(e)}).`);
  } finally {
    judge.busy = false;
  }
}
