import type { EngineInfo } from '../engine/backend';
import type { PipelineConfig } from '../rlhf/config';
import { runPipeline, StoppedError, type PipelineCheckpoint, type UserData } from '../rlhf/pipeline';
import { runVariants } from '../rlhf/variants';
import { memorySnapshot } from '../train/lmLoop';
import { openDb, type Db } from '../store/db';
import { getRun, updateRun } from '../store/runs';
import { latestGoodCheckpoint } from '../store/latestGoodCheckpoint';
import type { CheckpointPosition } from '../store/checkpointPosition';
import { pruneCheckpoints } from '../store/prune';
import { saveCheckpointSafely } from '../store/storage';
import type { StageName, WorkerEvent } from './protocol';

/**
 * Runs the pipeline and turns its progress into protocol events. With a run id, every stage's end,
 * every `checkpointEvery` PPO iterations and every `lmCheckpointEvery` pretraining/SFT steps are
 * saved to IndexedDB (all-or-nothing writes, checksummed), and `resume` continues from the latest
 * checkpoint that verifies. `last` stops after that stage (runPipeline): no report, and the final
 * status says what the last stage did.
 */
export async function pipelineRun(
  config: PipelineConfig,
  engine: EngineInfo,
  post: (e: WorkerEvent) => void,
  shouldStop: () => boolean,
  persist?: { runId: string; checkpointEvery?: number; lmCheckpointEvery?: number; resume?: PipelineCheckpoint },
  userData?: UserData,
  last: StageName | 'eval' = 'eval',
): Promise<void> {
  const db: Db | null = persist ? await openDb() : null;
  let lastNote = '';
  post({ type: 'status', state: 'training', stage: persist?.resume?.stage ?? 'pretrain' });
  const start = performance.now();
  try {
    const report = await runPipeline(
      config,
      engine,
      {
        stage: (stage, state, message) => {
          post({ type: 'stage', stage, state, message });
          if (stage === last && state === 'done') lastNote = message ?? '';
          if (db && persist && stage !== 'eval')
            void updateRun(db, persist.runId, { stageStatus: { [stage]: state === 'done' ? 'done' : 'running' } }).catch(() => {});
        },
        hooksFor: (stage: StageName) => ({
          metrics: (m) => post({ type: 'metrics', stage, ...m, ...memorySnapshot() }),
          samples: (step, samples) => post({ type: 'samples', stage, step, samples }),
          shouldStop,
        }),
        shouldStop,
        ppoCheckpointEvery: persist?.checkpointEvery,
        lmCheckpointEvery: persist?.lmCheckpointEvery,
        checkpoint: db && persist ? (c) => saveTo(db, persist.runId, c, post) : undefined,
      },
      persist?.resume,
      userData,
      last,
    );
    if (!report) {
      post({ type: 'status', state: 'done', message: `${last} finished in ${Math.round((performance.now() - start) / 1000)} s: ${lastNote}.` });
      return;
    }
    if (db && persist) await updateRun(db, persist.runId, { report, stageStatus: { pretrain: 'done', sft: 'done', rm: 'done', ppo: 'done' } });
    post({ type: 'report', report });
    post({ type: 'status', state: 'done', message: `Pipeline finished in ${Math.round(report.seconds)} s.` });
  } catch (e) {
    if (e instanceof StoppedError) post({ type: 'status', state: 'stopped', message: e.message });
    else throw e;
  } finally {
    db?.close();
  }
}

/** Runs several setups sharing their common stages (nothing saved); a `report` event per setup. */
export async function variantsRun(
  configs: PipelineConfig[],
  engine: EngineInfo,
  post: (e: WorkerEvent) => void,
  shouldStop: () => boolean,
  userData?: UserData,
): Promise<void> {
  post({ type: 'status', state: 'training', stage: 'pretrain' });
  const start = performance.now();
  try {
    const result = await runVariants(
      configs,
      engine,
      (i) => ({
        stage: (stage, state, message) =>
          post({ type: 'stage', stage, state, variant: i, message: `setup ${i + 1}/${configs.length}${message ? `: ${message}` : ''}` }),
        hooksFor: (stage: StageName) => ({
          metrics: (m) => post({ type: 'metrics', stage, ...m, ...memorySnapshot() }),
          samples: (step, samples) => post({ type: 'samples', stage, step, samples }),
          shouldStop,
        }),
        shouldStop,
      }),
      userData,
      (i, report) => post({ type: 'report', report, variant: i }),
    );
    const seconds = Math.round((performance.now() - start) / 1000);
    post({
      type: 'status',
      state: 'done',
      message:
        `${configs.length} setups in ${seconds} s: ${result.stageRuns} stage runs instead of ${4 * configs.length} ` +
        `(they differ from ${result.fork ?? 'nowhere'} on).`,
    });
  } catch (e) {
    if (e instanceof StoppedError) post({ type: 'status', state: 'stopped', message: e.message });
    else throw e;
  }
}

async function saveTo(db: Db, runId: string, c: PipelineCheckpoint, post: (e: WorkerEvent) => void): Promise<void> {
  const result = await saveCheckpointSafely(db, {
    runId,
    stage: c.stage,
    step: c.step,
    final: c.final,
    models: c.models,
    optimizer: c.optimizer,
    rng: c.rng,
    extra: c.extra,
  });
  if (!result.ok) {
    // Training goes on; the latest good checkpoint stays on disk.
    post({ type: 'error', message: result.message, fatal: false });
    return;
  }
  await pruneCheckpoints(db, runId);
  post({ type: 'checkpoint', runId, stage: c.stage, step: c.step, final: c.final, bytes: result.checkpoint.bytes });
}

/**
 * Loads a saved run's config, the user's labels it was started with and its latest good
 * checkpoint, saying which newer checkpoints were corrupt. `dbName` is for tests.
 */
export async function loadResume(
  runId: string,
  post: (e: WorkerEvent) => void,
  dbName?: string,
  from?: CheckpointPosition,
): Promise<{ config: PipelineConfig; checkpoint: PipelineCheckpoint; userData?: UserData }> {
  const db = await openDb(dbName);
  try {
    const run = await getRun(db, runId);
    if (!run) throw new Error(`There is no saved run with id ${runId}.`);
    // `from`: the checkpoint the page cut the curves back to (never newer than the record's curvesAt).
    const { checkpoint, skipped } = await latestGoodCheckpoint(db, runId, from ?? run.curvesAt);
    for (const s of skipped)
      post({
        type: 'error',
        message: `A checkpoint of this run (${s.stage} step ${s.step}) is damaged: ${s.message}. Resuming from an earlier one.`,
        fatal: false,
      });
    if (!checkpoint) throw new Error('This run has no usable checkpoint to resume from; start it again.');
    return {
      config: run.config as PipelineConfig,
      // The labels stored with the run, not today's datasets: a resume trains on the same data.
      ...(run.userData ? { userData: run.userData } : {}),
      checkpoint: {
        stage: checkpoint.stage,
        step: checkpoint.step,
        final: checkpoint.final,
        models: checkpoint.models,
        optimizer: checkpoint.optimizer,
        rng: checkpoint.rng,
        extra: checkpoint.extra as PipelineCheckpoint['extra'],
      },
    };
  } finally {
    db.close();
  }
}
