import type { EngineInfo } from '../engine/backend';
import { TrainerClient } from '../worker/client';
import type { Command, RunState, StageName, WorkerEvent } from '../worker/protocol';
import type { PipelineConfig } from '../rlhf/config';
import type { PipelineReport } from '../rlhf/pipeline';
import type { UserData } from '../rlhf/pipeline';
import type { CheckpointPosition } from '../store/checkpointPosition';
import { userDataForRun, userDataSummary } from './userLabels.svelte';
import { autosave } from './autosave.svelte';

/**
 * What the page shows about the current run, fed only by worker events. The worker owns the
 * training state; this module owns nothing but its reflection.
 */
export const run = $state({
  engine: null as EngineInfo | null,
  connecting: true,
  state: 'idle' as RunState,
  /** what the current (or last) run is: a language model only (pretraining alone), or the pipeline */
  kind: null as 'lm' | 'pipeline' | null,
  stage: null as StageName | null,
  message: '',
  step: 0,
  total: 0,
  losses: [] as number[],
  stepsPerSec: 0,
  tokensPerSec: 0,
  etaSeconds: 0,
  numTensors: 0,
  numBytes: 0,
  /** newest first; `id` keys the list (a stage/step pair can repeat: two stages, a resumed run) */
  samples: [] as { id: number; stage: string; step: number; samples: { prompt: string; completion: string }[] }[],
  errors: [] as { message: string; fatal: boolean }[],
  /** pipeline runs: stage transitions in order, per-stage metric series, the final report */
  stages: [] as { stage: StageName | 'eval'; state: 'running' | 'done'; message?: string; at: number }[],
  series: {} as Record<string, Record<string, number[]>>,
  report: null as PipelineReport | null,
  /** every report of a `variants` run, in the order of its setups */
  reports: [] as PipelineReport[],
  /** PPO: seconds of the last iteration's rollout / score / update phases */
  phases: null as { rollout: number; score: number; update: number } | null,
  /** pretraining/SFT: ms of one timed training step's forward / backward / optimizer (timed every 200 steps) */
  stepPhases: null as { forward: number; backward: number; optimizer: number; stage: StageName } | null,
  /** the stage that the throughput numbers belong to */
  metricsStage: null as StageName | null,
  /** the saved run (IndexedDB record) the current pipeline run writes its checkpoints under */
  runId: null as string | null,
  /** how many of the user's own labels went into the current run ('' when none) */
  userLabels: '',
});

type Listener = (e: WorkerEvent) => void;
const listeners = new Set<Listener>();

/** Every worker event, after the page state took it in (e.g. for saving the run). */
export function onWorkerEvent(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const lastOf = (xs: number[] | undefined): number | undefined => (xs && xs.length ? xs[xs.length - 1] : undefined);

let client: TrainerClient | null = null;
/** Ids for run.samples groups (keys of the samples list). */
let sampleGroups = 0;
/**
 * A resume lists the checkpoint's finished stages at once (the worker takes a while to load it),
 * then the worker reports each of them done again as it restores it: that report takes the place of
 * the listed entry instead of adding a second one.
 */
const listedFromCheckpoint = new Set<StageName>();

function onEvent(e: WorkerEvent): void {
  switch (e.type) {
    case 'ready':
      run.engine = e.engine;
      run.connecting = false;
      break;
    case 'engine':
      run.engine = e.engine;
      break;
    case 'status':
      run.state = e.state;
      run.stage = e.stage ?? run.stage;
      run.message = e.message ?? '';
      break;
    case 'metrics':
      run.step = e.step;
      run.total = e.total;
      run.losses.push(...(e.values.loss ?? []));
      for (const [name, values] of Object.entries(e.values)) {
        // `a ??= b` evaluates to the raw `b`, not the state proxy it became: read the entries back
        // through the proxy, or the first push lands on an untracked copy and is lost
        run.series[e.stage] ??= {};
        const stage = run.series[e.stage];
        stage[name] ??= [];
        stage[name].push(...values);
      }
      if (e.stepsPerSec > 0) run.stepsPerSec = e.stepsPerSec;
      if (e.tokensPerSec > 0) run.tokensPerSec = e.tokensPerSec;
      if (e.etaSeconds > 0 || e.step >= e.total) run.etaSeconds = e.etaSeconds;
      run.numTensors = e.numTensors;
      run.numBytes = e.numBytes;
      run.metricsStage = e.stage;
      {
        const r = lastOf(e.values.rolloutSeconds);
        const sc = lastOf(e.values.scoreSeconds);
        const u = lastOf(e.values.updateSeconds);
        if (r !== undefined && sc !== undefined && u !== undefined) run.phases = { rollout: r, score: sc, update: u };
        const fw = lastOf(e.values.forwardMs);
        const bw = lastOf(e.values.backwardMs);
        const op = lastOf(e.values.optimizerMs);
        if (fw !== undefined && bw !== undefined && op !== undefined) run.stepPhases = { forward: fw, backward: bw, optimizer: op, stage: e.stage };
      }
      break;
    case 'samples':
      run.samples.unshift({ id: ++sampleGroups, stage: e.stage, step: e.step, samples: e.samples });
      break;
    case 'stage': {
      const listed = e.stage !== 'eval' && e.state === 'done' && listedFromCheckpoint.delete(e.stage);
      const entry = listed ? run.stages.find((s) => s.stage === e.stage && s.state === 'done') : undefined;
      if (entry) entry.message = e.message ?? entry.message;
      else run.stages.push({ stage: e.stage, state: e.state, message: e.message, at: Date.now() });
      if (e.stage !== 'eval' && e.state === 'running') {
        run.stage = e.stage;
        run.losses = [];
        run.step = 0;
      }
      break;
    }
    case 'report':
      run.report = e.report;
      run.reports.push(e.report);
      break;
    case 'error':
      run.errors.push({ message: e.message, fatal: e.fatal });
      if (e.fatal) run.connecting = false;
      break;
  }
  for (const fn of listeners) fn(e);
}

/**
 * Starts the worker and its backend. `?backend=webgpu|wasm|cpu` in the URL forces a backend (for testing the
 * fallback); `?backend=auto-measure` times webgpu against wasm before each run even on a hardware GPU;
 * `?wasmWorkers=1` trains on one wasm worker (each step unsplit, as runs before 2026-12-06 did), `=2` splits steps.
 */
export function connect(): void {
  client = new TrainerClient(onEvent);
  const query = new URLSearchParams(location.search);
  const forced = query.get('backend');
  const backend = forced === 'webgpu' || forced === 'wasm' || forced === 'cpu' ? forced : undefined;
  const workers = query.get('wasmWorkers');
  client.send({
    type: 'init',
    backend,
    ...(forced === 'auto-measure' ? { measure: true } : {}),
    ...(workers === '1' || workers === '2' ? { wasmWorkers: Number(workers) } : {}),
  });
}

/** Sends any command to the worker (the inspect requests go through state/requests.ts). */
export function send(command: Command): boolean {
  if (!client) return false;
  client.send(command);
  return true;
}

function resetRun(): void {
  run.losses = [];
  run.samples = [];
  run.step = 0;
  run.total = 0;
  run.message = '';
  run.stages = [];
  listedFromCheckpoint.clear();
  run.series = {};
  run.report = null;
  run.reports = [];
  run.phases = null;
  run.stepPhases = null;
  run.metricsStage = null;
  run.runId = null;
  run.userLabels = '';
  run.state = 'training';
}

/**
 * Shows a new run and sends the pipeline command (with `last`, only its stages up to that one: the
 * "Language model only" view runs 'pretrain'). With `runId` (a run record created in IndexedDB),
 * the worker autosaves checkpoints under it. `userData` is the user's labels the run trains on
 * (null: none); by default, what the labels settings give now. Only startRun
 * (state/runRecorder.svelte.ts), the one way a run starts, calls it.
 */
export function sendPipeline(config: PipelineConfig, runId?: string, userData?: UserData | null, last?: StageName): void {
  resetRun();
  run.kind = last === 'pretrain' ? 'lm' : 'pipeline';
  const snapshot = $state.snapshot(config) as PipelineConfig;
  const data = userData === undefined ? userDataForRun(snapshot)?.data : (userData ?? undefined);
  run.runId = runId ?? null;
  run.userLabels = data ? userDataSummary(data) : '';
  client?.send({
    type: 'pipeline',
    config: snapshot,
    lmCheckpointEvery: autosave.lmEvery,
    ...(last ? { last } : {}),
    ...(runId ? { runId } : {}),
    ...(data ? { userData: data } : {}),
  });
}

/**
 * Runs several setups in the worker, sharing the stages before the first one they change (a sweep;
 * the headless runner's --sweep). Nothing is saved; `run.reports` collects a report per setup.
 */
export function startVariants(configs: PipelineConfig[]): void {
  resetRun();
  run.kind = 'pipeline';
  const snapshot = configs.map((c) => $state.snapshot(c) as PipelineConfig);
  client?.send({ type: 'variants', configs: snapshot });
}

/**
 * Continues a saved run from its latest good checkpoint; `series` are its curves up to there.
 * The worker reads the user's labels from the run record; `userData` only tells the page.
 */
export function resumePipeline(
  runId: string,
  series: Record<string, Record<string, number[]>>,
  doneStages: StageName[],
  from: CheckpointPosition,
  userData?: UserData,
): void {
  resetRun();
  run.kind = 'pipeline';
  run.series = structuredClone(series);
  run.stages = doneStages.map((stage) => ({ stage, state: 'done' as const, message: '(from the checkpoint)', at: Date.now() }));
  for (const stage of doneStages) listedFromCheckpoint.add(stage);
  run.runId = runId;
  run.userLabels = userData ? userDataSummary(userData) : '';
  client?.send({ type: 'resume', runId, from, lmCheckpointEvery: autosave.lmEvery });
}

export function stopTraining(): void {
  client?.send({ type: 'stop' });
}

export function dismissError(i: number): void {
  run.errors.splice(i, 1);
}
