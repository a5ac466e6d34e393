/// <reference lib="webworker" />
import { initBackend, onDeviceLost, onGpuError, webgpuAdapter } from '../engine/backend';
import type { Command, WorkerEvent } from './protocol';
import { PRESETS, type PresetName } from '../model/config';
import { engineForRun, isSoftwareAdapter } from './engineChoice';
import { loadResume, pipelineRun, variantsRun } from './pipelineRun';
import type { EngineInfo } from '../engine/backend';
import { setTuning } from '../kernels/tuning';
import { inspect } from './inspectModels';
import { errorMessage } from '../util/errorMessage';

/**
 * The training worker: owns the backend, the models and the loop. It answers commands from the
 * page with events; a failure becomes an `error` event, never a silent death.
 */
const post = (event: WorkerEvent, transfer: Transferable[] = []) => (self as DedicatedWorkerGlobalScope).postMessage(event, transfer);
let stopRequested = false;
let busy = false;
let engine: EngineInfo | null = null;

onDeviceLost((message) => post({ type: 'error', message: `${message}. Reload the page to start a new device; saved work is kept.`, fatal: true }));
onGpuError((message) => post({ type: 'error', message, fatal: false }));

async function handle(cmd: Command): Promise<void> {
  switch (cmd.type) {
    case 'init':
      engine = await initBackend(cmd.backend, cmd.wasmWorkers ? { wasmWorkers: cmd.wasmWorkers } : {});
      // a software adapter (SwiftShader) or ?backend=auto-measure: each run first times webgpu against wasm
      engine.autoMeasure = engine.backend === 'webgpu' && (cmd.measure === true || (!cmd.backend && isSoftwareAdapter(engine.adapter)));
      post({ type: 'ready', engine });
      return;
    case 'stop':
      stopRequested = true;
      return;
    case 'settings':
      setTuning({ fusedKernels: cmd.fusedKernels });
      return;
    case 'loadModels':
    case 'sampleForLabeling':
    case 'scoreTokens':
    case 'attention':
      if (!engine) {
        post({ type: 'requestError', requestId: cmd.requestId, message: 'The compute backend has not started yet.' });
        return;
      }
      await inspect(cmd, post);
      return;
    case 'pipeline':
    case 'variants':
    case 'resume':
      if (busy) {
        post({ type: 'error', message: 'A run is already in progress: stop it first.', fatal: false });
        return;
      }
      if (!engine) {
        post({ type: 'error', message: 'The compute backend has not started yet.', fatal: false });
        return;
      }
      busy = true;
      stopRequested = false;
      try {
        const stop = () => stopRequested;
        if (cmd.type === 'pipeline') {
          const persist = cmd.runId ? { runId: cmd.runId, checkpointEvery: cmd.checkpointEvery, lmCheckpointEvery: cmd.lmCheckpointEvery } : undefined;
          const c = cmd.config;
          await pipelineRun(c, await chooseEngine(c.preset, c.pretrain.batchSize, c.pretrain.seqLen), post, stop, persist, cmd.userData, cmd.last);
        } else if (cmd.type === 'variants') {
          const c = cmd.configs[0];
          await variantsRun(cmd.configs, await chooseEngine(c.preset, c.pretrain.batchSize, c.pretrain.seqLen), post, stop, cmd.userData);
        } else {
          const { config, checkpoint, userData } = await loadResume(cmd.runId, post, undefined, cmd.from);
          const chosen = await chooseEngine(config.preset, config.pretrain.batchSize, config.pretrain.seqLen);
          await pipelineRun(
            config,
            chosen,
            post,
            stop,
            { runId: cmd.runId, checkpointEvery: cmd.checkpointEvery, lmCheckpointEvery: cmd.lmCheckpointEvery, resume: checkpoint },
            userData,
          );
        }
      } finally {
        busy = false;
      }
      return;
  }
}

/**
 * Before a run, on an engine that measures (software adapter, ?backend=auto-measure): the faster of
 * webgpu and wasm at the run's model and pretraining batch (src/worker/engineChoice.ts), told to the page.
 */
async function chooseEngine(preset: PresetName, batch: number, seqLen: number): Promise<EngineInfo> {
  const before = engine!;
  if (!before.autoMeasure) return before;
  const T = Math.min(seqLen, PRESETS[preset].contextLength);
  engine = await engineForRun(before, preset, batch, T, (message) => post({ type: 'status', state: 'training', message }), webgpuAdapter());
  post({ type: 'engine', engine });
  return engine;
}

self.onmessage = (e: MessageEvent<Command>) => {
  handle(e.data).catch((err: unknown) => {
    const message = errorMessage(err);
    post({ type: 'status', state: 'failed', message });
    post({ type: 'error', message, fatal: false });
  });
};
