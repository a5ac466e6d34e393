import * as tf from '@tensorflow/tfjs';
import { wasmThreads, wasmWorkers, type AdapterSummary, type EngineInfo, type EngineMeasurement } from '../engine/backend';
import { GPT } from '../model/gpt';
import { PRESETS, type PresetName } from '../model/config';
import { AdamW } from '../model/optim';
import { sampleWindows } from '../train/batches';
import { lmTrainStep } from '../train/trainStep';
import { splitLmTrainStep, stepHelper } from '../train/dataParallel';
import { Rng } from '../util/rng';

/**
 * Which engine trains faster here, measured: on a software WebGPU adapter (SwiftShader: WebGPU run by
 * the CPU) the CPU's own wasm engine can beat it, so before a run the worker times a few LM training
 * steps of the run's model and batch on both and trains on the faster. One measurement per shape
 * per session (a few seconds); `?backend=…` forces an engine and measures nothing.
 */

/** A software WebGPU adapter (SwiftShader, or any the browser flags as a fallback). */
export function isSoftwareAdapter(adapter: AdapterSummary | null): boolean {
  return !!adapter && (adapter.isFallback || /swiftshader/i.test(`${adapter.architecture} ${adapter.description}`));
}

/** Steps timed per engine: warm-up (shader compilation, allocation) then timed. */
const STEPS = { warmup: 2, timed: 3 };

/**
 * Median ms of `timed` LM training steps (after `warmup`) of a fresh model of `preset` on `backend`,
 * batch B × T of random tokens; the same step the pretraining loop runs (lmTrainStep). Leaves
 * `backend` active. Null when the backend does not start.
 */
async function timeTrainSteps(backend: 'webgpu' | 'wasm', preset: PresetName, B: number, T: number, steps = STEPS): Promise<number | null> {
  if (!(await tf.setBackend(backend)) || tf.getBackend() !== backend) return null;
  const cfg = PRESETS[preset];
  const rng = new Rng(1);
  const stream = Int32Array.from({ length: 4 * B * (T + 1) }, () => rng.int(cfg.vocabSize));
  const model = GPT.create(cfg, 1);
  const opt = new AdamW(model.params);
  const times: number[] = [];
  try {
    for (let i = 0; i < steps.warmup + steps.timed; i++) {
      const batch = sampleWindows(stream, B, T, rng);
      const t0 = performance.now();
      const helper = backend === 'wasm' ? stepHelper() : null; // the step the run takes: split on wasm with 2 workers
      const { loss, gradNorm } = helper ? await splitLmTrainStep(helper, model, opt, batch, 1e-3, i) : lmTrainStep(model, opt, batch, 1e-3, i);
      await loss.data();
      if (i >= steps.warmup) times.push(performance.now() - t0);
      tf.dispose([loss, gradNorm]);
    }
  } finally {
    opt.dispose();
    model.dispose();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Times webgpu and wasm at the run's shape and leaves the faster active. Null when wasm does not
 * start (webgpu stays).
 */
export async function measureEngines(preset: PresetName, B: number, T: number, adapter: AdapterSummary, why: string): Promise<EngineMeasurement | null> {
  const webgpuMs = await timeTrainSteps('webgpu', preset, B, T);
  const wasmMs = await timeTrainSteps('wasm', preset, B, T);
  if (webgpuMs === null || wasmMs === null) {
    await tf.setBackend('webgpu');
    return null;
  }
  const chosen = wasmMs < webgpuMs ? 'wasm' : 'webgpu';
  if (chosen === 'webgpu') await tf.setBackend('webgpu');
  return {
    preset,
    batch: B,
    context: T,
    warmupSteps: STEPS.warmup,
    timedSteps: STEPS.timed,
    webgpuMs,
    wasmMs,
    wasmThreads: wasmThreads() ?? 1,
    wasmWorkers: wasmWorkers(),
    adapter: adapter.architecture || adapter.vendor || 'unknown adapter',
    chosen,
    why,
  };
}

const measured = new Map<string, EngineMeasurement>();

/**
 * Before a run: when the engine measures (`autoMeasure`), time this preset and batch once per
 * session, switch to the faster engine and say so (`status` while measuring, then `engine`). Returns
 * the engine the run trains on.
 */
export async function engineForRun(
  engine: EngineInfo,
  preset: PresetName,
  B: number,
  T: number,
  post: (message: string) => void,
  adapter: AdapterSummary | null,
): Promise<EngineInfo> {
  if (!engine.autoMeasure || !adapter) return engine;
  const key = `${preset}:${B}x${T}`;
  let m = measured.get(key) ?? null;
  if (m) {
    if (tf.getBackend() !== m.chosen) await tf.setBackend(m.chosen);
  } else {
    post(`Timing ${STEPS.warmup} + ${STEPS.timed} training steps on webgpu and on wasm to train on the faster…`);
    m = await measureEngines(preset, B, T, adapter, isSoftwareAdapter(adapter) ? 'software adapter' : 'asked (?backend=auto-measure)');
    if (!m) return { ...engine, autoMeasure: false };
    measured.set(key, m);
  }
  const backend = tf.getBackend() as 'webgpu' | 'wasm';
  return { ...engine, backend, adapter: backend === 'webgpu' ? adapter : null, wasmThreads: wasmThreads(), wasmWorkers: wasmWorkers(), measurement: m };
}
