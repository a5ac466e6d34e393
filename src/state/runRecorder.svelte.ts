import type { PipelineConfig } from '../rlhf/config';
import { createRun, updateRun, type RunRecord, type StageName } from '../store/runs';
import { latestGoodCheckpointInfo } from '../store/latestGoodCheckpoint';
import type { CheckpointPosition } from '../store/checkpointPosition';
import type { WorkerEvent } from '../worker/protocol';
import type { UserData } from '../rlhf/pipeline';
import { onWorkerEvent, resumePipeline, run, sendPipeline } from './run.svelte';
import { configBlockers } from './pipelineConfig.svelte';
import { userDataForRun } from './userLabels.svelte';
import { metricsAtCheckpoint, statusAtCheckpoint } from './resumeMath';
import { runById, savedRuns } from './runs.svelte';
import { database, refreshStorage, reportWriteError, storage } from './storage.svelte';
import { errorMessage } from '../util/errorMessage';
import { createFork, type ForkRequest } from './forkCreate.svelte';

/**
 * Records the pipeline run in IndexedDB as it trains: the record is created before the worker
 * starts (so its checkpoints go under the same id), metrics are buffered and written every
 * {@link FLUSH_MS}, at checkpoints and at stage ends, never per event.
 */
const FLUSH_MS = 2000;

let pending: Partial<Record<StageName, Record<string, number[]>>> = {};
let pendingStatus: Partial<Record<StageName, 'waiting' | 'running' | 'done' | 'failed'>> = {};
let pendingReport: unknown = undefined;
/** the newest checkpoint announced: the next write holds its curves (they were sent before it) */
let pendingCurvesAt: CheckpointPosition | undefined = undefined;
let timer: ReturnType<typeof setTimeout> | null = null;
let writing: Promise<void> = Promise.resolve();
/** a pipeline run is being recorded (events are buffered even before its record exists) */
let active = false;
let live: Partial<Record<StageName, 'waiting' | 'running' | 'done' | 'failed'>> = {};

function defaultName(cfg: PipelineConfig): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${cfg.task} · ${cfg.preset} · seed ${cfg.seed} · ${date} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function beginRecording(id: string | null): void {
  savedRuns.recordingId = id;
  active = true;
  live = {};
  pending = {};
  pendingStatus = {};
  pendingReport = undefined;
  pendingCurvesAt = undefined;
}

async function createRecord(cfg: PipelineConfig, userData?: UserData): Promise<RunRecord | null> {
  const db = await database();
  if (!db) return null;
  try {
    const rec = await createRun(db, {
      name: defaultName(cfg),
      task: cfg.task,
      preset: cfg.preset,
      seed: cfg.seed,
      config: cfg,
      ...(userData ? { userData } : {}),
    });
    savedRuns.list = [rec, ...savedRuns.list];
    return rec;
  } catch (e) {
    reportWriteError('the new run', e);
    return null;
  }
}

/** Why a run cannot start now, in words ('' when it can): the backend, a run in progress, the settings. */
export function startBlocker(): string {
  if (!run.engine) return run.connecting ? 'Waiting for the compute backend to start.' : 'The compute backend did not start.';
  if (run.state === 'training' || savedRuns.starting) return 'A run is in progress.';
  const blockers = configBlockers();
  return blockers.length ? `Fix these settings first: ${blockers.join('; ')}.` : '';
}

/**
 * The one way a run starts — the Start and Train buttons, "Re-run from", the headless runner and the
 * console (window.__rlhf.startRun) — as a saved run: the run record (with the user's labels the run
 * uses) is written first, so the worker can autosave checkpoints under its id and a resume trains on
 * the same labels. Without storage the pipeline still runs, unsaved.
 * With `last` only the stages up to it run (the "Language model only" view: 'pretrain'). Such a
 * run is not saved: a record has no "last stage", so resuming it would run the stages it leaves
 * out. It uses no labels of the user's (they feed SFT and the RM, not pretraining).
 * With `fork` it re-runs a saved run from a stage with the settings `cfg` (forkCreate.svelte.ts):
 * the fork's record and checkpoint are made, then the fork is resumed. Returns why it could not
 * start ('' when it started, or when another start is being prepared).
 */
export async function startRun(cfg: PipelineConfig, last?: StageName, fork?: ForkRequest): Promise<string> {
  if (savedRuns.starting) return '';
  savedRuns.starting = true;
  let forkId = '';
  try {
    const snapshot = structuredClone($state.snapshot(cfg)) as PipelineConfig;
    if (fork) {
      const made = await createFork(snapshot, fork);
      if ('problem' in made) return made.problem;
      forkId = made.id;
    } else if (last) sendPipeline(snapshot, undefined, null, last);
    else {
      const userData = userDataForRun(snapshot)?.data;
      const rec = await createRecord(snapshot, userData);
      beginRecording(rec?.id ?? null);
      sendPipeline(snapshot, rec?.id, userData ?? null);
    }
  } finally {
    savedRuns.starting = false;
  }
  return forkId ? resumeRun(forkId) : '';
}

/**
 * Continues a stopped or interrupted run from its latest checkpoint that verifies: the curves
 * are cut back to that point, then the worker trains on from there.
 */
export async function resumeRun(id: string): Promise<string> {
  const rec = runById(id);
  const db = await database();
  if (!rec || !db) return storage.error || 'Saving is unavailable.';
  if (savedRuns.starting) return '';
  savedRuns.starting = true;
  try {
    await flush();
    // Only a checkpoint whose curves the record holds (a tab closed between the two writes).
    const { checkpoint, skipped } = await latestGoodCheckpointInfo(db, id, rec.curvesAt);
    if (!checkpoint) {
      return skipped.length ? 'Every checkpoint of this run is damaged; start it again.' : 'This run has no checkpoint to resume from; start it again.';
    }
    const probeEvery = (rec.config as PipelineConfig | undefined)?.ppo?.probeEvery ?? 0;
    const metrics = metricsAtCheckpoint($state.snapshot(rec.metrics) as RunRecord['metrics'], checkpoint, probeEvery);
    const stageStatus = statusAtCheckpoint(checkpoint);
    const curvesAt = { stage: checkpoint.stage, step: checkpoint.step, final: checkpoint.final };
    const updated = await updateRun(db, id, { setMetrics: metrics, stageStatus, curvesAt });
    const i = savedRuns.list.findIndex((r) => r.id === id);
    if (i >= 0) savedRuns.list[i] = updated;
    beginRecording(id);
    const done = (Object.keys(stageStatus) as StageName[]).filter((s) => stageStatus[s] === 'done');
    resumePipeline(id, metrics, done, curvesAt, rec.userData);
    return '';
  } catch (e) {
    return `The run could not be resumed (${errorMessage(e)}).`;
  } finally {
    savedRuns.starting = false;
  }
}

function schedule(now = false): void {
  if (now) {
    if (timer) clearTimeout(timer);
    timer = null;
    void flush();
    return;
  }
  timer ??= setTimeout(() => {
    timer = null;
    void flush();
  }, FLUSH_MS);
}

/** Writes what is buffered (one transaction). Serialised: writes never overlap. */
export function flush(): Promise<void> {
  writing = writing.then(async () => {
    const id = savedRuns.recordingId;
    if (!id) return;
    const appendMetrics = pending;
    const stageStatus = pendingStatus;
    const report = pendingReport;
    const curvesAt = pendingCurvesAt;
    if (!Object.keys(appendMetrics).length && !Object.keys(stageStatus).length && report === undefined && !curvesAt) return;
    pending = {};
    pendingStatus = {};
    pendingReport = undefined;
    pendingCurvesAt = undefined;
    const db = await database();
    if (!db) return;
    try {
      const rec = await updateRun(db, id, { appendMetrics, stageStatus, report, curvesAt });
      const i = savedRuns.list.findIndex((r) => r.id === id);
      if (i >= 0) savedRuns.list[i] = rec;
    } catch (e) {
      reportWriteError('the run’s latest metrics', e);
    }
  });
  return writing;
}

function onEvent(e: WorkerEvent): void {
  if (!active) return;
  switch (e.type) {
    case 'metrics': {
      const byName = (pending[e.stage] ??= {});
      for (const [name, values] of Object.entries(e.values)) (byName[name] ??= []).push(...values);
      schedule();
      break;
    }
    case 'stage':
      if (e.stage === 'eval') break;
      pendingStatus[e.stage] = e.state;
      live[e.stage] = e.state;
      schedule(e.state === 'done');
      break;
    case 'report':
      pendingReport = e.report;
      schedule(true);
      break;
    case 'status':
      if (e.state === 'failed' || e.state === 'stopped') {
        if (e.state === 'failed') {
          for (const s of Object.keys(live) as StageName[]) if (live[s] === 'running') pendingStatus[s] = 'failed';
        }
        schedule(true);
      } else if (e.state === 'done') schedule(true);
      if (e.state !== 'training') {
        active = false;
        void flush().then(() => void refreshStorage());
      }
      break;
    case 'error':
      if (e.fatal) schedule(true);
      break;
    case 'checkpoint': {
      savedRuns.checkpoints[e.runId] = { stage: e.stage, step: e.step, final: e.final };
      const finals = savedRuns.finals[e.runId] ?? [];
      if (e.final && !finals.includes(e.stage)) savedRuns.finals[e.runId] = [...finals, e.stage];
      // The curves up to a checkpoint are what a resume keeps: write them now, and that they are there.
      pendingCurvesAt = { stage: e.stage, step: e.step, final: e.final };
      schedule(true);
      void refreshStorage();
      break;
    }
  }
}

/** Starts recording pipeline runs (once, at app start). */
export function startRecording(): () => void {
  const stopEvents = onWorkerEvent(onEvent);
  const flushOnHide = (): void => {
    if (document.visibilityState === 'hidden') void flush();
  };
  document.addEventListener('visibilitychange', flushOnHide);
  return () => {
    stopEvents();
    document.removeEventListener('visibilitychange', flushOnHide);
  };
}

/** Stops writing to the current record (it is being deleted). */
export function stopRecordingRun(): void {
  savedRuns.recordingId = null;
  active = false;
}
