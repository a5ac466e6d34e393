/**
 * The bench page for our code (scripts/bench.mjs opens scripts/bench/ours.html and calls
 * window.__bench.*). Every section runs on the adapter of this page; results are plain JSON.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, wasmThreads, wasmWorkers, webgpuAdapter, type EngineInfo } from '../../src/engine/backend';
import { splitLmTrainStep, stepHelper } from '../../src/train/dataParallel';
import { measureEngines } from '../../src/worker/engineChoice';
import { GPT } from '../../src/model/gpt';
import { AdamW } from '../../src/model/optim';
import { PRESETS, type GPTConfig } from '../../src/model/config';
import { lmTrainStep } from '../../src/train/trainStep';
import type { TokenBatch } from '../../src/train/batches';
import { setTuning } from '../../src/kernels/tuning';
import { matmulKernel } from '../../src/kernels/linear/programs';
import { ppoPtxLossFused, ppoPtxLossReference, type PpoPtxLossInputs } from '../../src/kernels/ppoPtxLoss/op';
import { generate } from '../../src/model/generate';
import { Rng } from '../../src/util/rng';
import { benchAttention } from './attention';
import { decodeEntry } from './generate';
import { rmStepTimes } from './rmStep';
import { stepDispatches } from './dispatches';
import { median } from './median';
import type { Timed } from './wasmWorkerProbe';

/** Counts compute dispatches and queue submits (patched once on the prototypes). */
const counters = { dispatches: 0, submits: 0 };
function installCounters(): void {
  if (!('GPUComputePassEncoder' in globalThis)) return;
  const d = GPUComputePassEncoder.prototype.dispatchWorkgroups;
  GPUComputePassEncoder.prototype.dispatchWorkgroups = function (...a: Parameters<typeof d>) {
    counters.dispatches++;
    return d.apply(this, a);
  };
  const s = GPUQueue.prototype.submit;
  GPUQueue.prototype.submit = function (...a: Parameters<typeof s>) {
    counters.submits++;
    return s.apply(this, a);
  };
}

let engine: EngineInfo | null = null;

/** `?wasmThreads=N` / `?wasmWorkers=N` fix this page's wasm threads and workers (the wasm_threads section's configs). */
async function init(): Promise<EngineInfo> {
  if (!engine) {
    installCounters();
    const q = new URLSearchParams(location.search);
    const threads = q.get('wasmThreads');
    const workers = q.get('wasmWorkers');
    engine = await initBackend('webgpu', { ...(threads ? { wasmThreads: Number(threads) } : {}), ...(workers ? { wasmWorkers: Number(workers) } : {}) });
  }
  return engine;
}

/** The peer comparison's config: vocab 128, context 64, d_model 128, 2 layers, 4 heads, MLP ×4. */
export const PEER_CFG: GPTConfig = { vocabSize: 128, contextLength: 64, dModel: 128, nLayer: 2, nHead: 4, mlpRatio: 4, dropout: 0 };

function syntheticBatch(cfg: GPTConfig, B: number, T: number, seed: number): TokenBatch {
  const rng = new Rng(seed);
  const stream = Int32Array.from({ length: B * (T + 1) }, () => rng.int(cfg.vocabSize));
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      inputs[b * T + t] = stream[b * (T + 1) + t];
      targets[b * T + t] = stream[b * (T + 1) + t + 1];
    }
  return { B, T, inputs, targets, mask: new Float32Array(B * T).fill(1) };
}

export interface StepResult {
  backend: string;
  fused: boolean;
  ms: number;
  steps_ms: number[];
  warmup: number;
  dispatches_per_step: number;
  submits_per_step: number;
  losses: number[];
}

/**
 * Medians of `reps` training steps (after `warmup`) of our model. A step ends when its loss is
 * read back (one small read per step, like the app's log).
 */
async function trainStep(opts: {
  backend: 'webgpu' | 'wasm' | 'cpu';
  fused: boolean;
  cfg?: GPTConfig;
  B?: number;
  T?: number;
  warmup?: number;
  reps?: number;
}): Promise<StepResult> {
  await init();
  const cfg = opts.cfg ?? PEER_CFG;
  const B = opts.B ?? 16;
  const T = opts.T ?? cfg.contextLength;
  const warmup = opts.warmup ?? 2;
  const reps = opts.reps ?? 10;
  await tf.setBackend(opts.backend);
  setTuning({ fusedKernels: opts.fused });
  const model = GPT.create(cfg, 1);
  const opt = new AdamW(model.params);
  const times: number[] = [];
  const losses: number[] = [];
  let dispatches = 0;
  let submits = 0;
  try {
    for (let i = 0; i < warmup + reps; i++) {
      const batch = syntheticBatch(cfg, B, T, 100 + i);
      const d0 = counters.dispatches;
      const s0 = counters.submits;
      const t0 = performance.now();
      const helper = opts.backend === 'wasm' ? stepHelper() : null; // as the app trains: split on wasm with 2 workers
      const { loss, gradNorm } = helper ? await splitLmTrainStep(helper, model, opt, batch, 1e-3, i) : lmTrainStep(model, opt, batch, 1e-3, i);
      const value = (await loss.data())[0];
      const ms = performance.now() - t0;
      tf.dispose([loss, gradNorm]);
      losses.push(value);
      if (i >= warmup) {
        times.push(ms);
        dispatches += counters.dispatches - d0;
        submits += counters.submits - s0;
      }
    }
  } finally {
    opt.dispose();
    model.dispose();
    setTuning({ fusedKernels: true });
    await tf.setBackend('webgpu');
  }
  return {
    backend: opts.backend,
    fused: opts.fused,
    ms: median(times),
    steps_ms: times.map((t) => Math.round(t)),
    warmup,
    dispatches_per_step: dispatches / reps,
    submits_per_step: submits / reps,
    losses,
  };
}

/** Best matmul throughput on this adapter (our kernels and tf.matMul, a few shapes). */
async function matmulPeak(): Promise<{ gflops: number; shape: number[]; kernel: string }> {
  await init();
  let best = { gflops: 0, shape: [0, 0, 0], kernel: '' };
  for (const [M, K, N] of [
    [1024, 128, 512],
    [1024, 512, 128],
    [1024, 256, 256],
  ]) {
    const a = tf.randomNormal([M, K]);
    const b = tf.randomNormal([K, N]);
    for (const [kernel, fn] of [
      ['ours', () => matmulKernel(a, b, false, false)],
      ['tf.matMul', () => tf.matMul(a, b)],
    ] as const) {
      const warm = fn();
      await warm.data();
      warm.dispose();
      const reps = 4;
      const t0 = performance.now();
      const outs: tf.Tensor[] = [];
      for (let i = 0; i < reps; i++) outs.push(fn());
      await outs[reps - 1].data();
      const ms = (performance.now() - t0) / reps;
      tf.dispose(outs);
      const gflops = (2 * M * K * N) / ms / 1e6;
      if (gflops > best.gflops) best = { gflops, shape: [M, K, N], kernel };
    }
    tf.dispose([a, b]);
  }
  return best;
}

/** Model FLOPs of one training step (forward + backward = 3 × forward; nanoGPT's estimate). */
function stepFlops(cfg: GPTConfig, B: number, T: number): number {
  const C = cfg.dModel;
  const H = cfg.mlpRatio * C;
  const perTokenMatmul = cfg.nLayer * (C * 3 * C + C * C + 2 * C * H) + C * cfg.vocabSize; // MACs
  const attention = cfg.nLayer * 2 * T * C; // QKᵀ and PV per token (full T; causal halves it)
  return 3 * 2 * B * T * (perTokenMatmul + attention);
}

async function trainStepEntry(preset: keyof typeof PRESETS = 'tiny', B = 16): Promise<Record<string, unknown>> {
  const cfg = { ...PRESETS[preset], dropout: 0 };
  const T = cfg.contextLength;
  const step = await trainStep({ backend: 'webgpu', fused: true, cfg, B, T, warmup: 2, reps: 10 });
  const peak = await matmulPeak();
  const flops = stepFlops(cfg, B, T);
  const achieved = flops / step.ms / 1e6; // GFLOP/s
  return {
    preset,
    batch: B,
    context: T,
    ms: step.ms,
    tokens_per_s: (B * T) / (step.ms / 1000),
    model_gflop_per_step: flops / 1e9,
    achieved_gflops: achieved,
    mfu: achieved / peak.gflops,
    matmul_peak_gflops: peak.gflops,
    matmul_peak: peak,
    dispatches_per_step: step.dispatches_per_step,
    submits_per_step: step.submits_per_step,
  };
}

/** Fused PPO-ptx loss vs its reference, forward + backward (issue 4's shape). */
async function ppoEntry(B = 16, T = 64, V = 256, warmup = 2, reps = 7): Promise<Record<string, unknown>> {
  await init();
  const rng = new Rng(5);
  const rows = B * T;
  const make = (): PpoPtxLossInputs => ({
    logits: tf.randomNormal([B, T, V], 0, 2, 'float32', 1),
    actions: tf.tensor2d(
      Int32Array.from({ length: rows }, () => rng.int(V)),
      [B, T],
      'int32',
    ),
    oldLogp: tf.randomNormal([B, T], -5, 1, 'float32', 2),
    advantages: tf.randomNormal([B, T], 0, 1, 'float32', 3),
    mask: tf.tensor2d(
      Float32Array.from({ length: rows }, (_, i) => (i % T < T / 4 ? 0 : 1)),
      [B, T],
    ),
    ptxLogits: tf.randomNormal([B, T, V], 0, 2, 'float32', 4),
    ptxTargets: tf.tensor2d(
      Int32Array.from({ length: rows }, () => rng.int(V)),
      [B, T],
      'int32',
    ),
    ptxMask: tf.ones([B, T]),
  });
  const inputs = make();
  const options = { clip: 0.2, ptxCoef: 27.8, temperature: 1 };
  const run = async (fn: typeof ppoPtxLossFused) => {
    const { value, grads } = tf.valueAndGrads((logits: tf.Tensor, ptxLogits: tf.Tensor) => fn({ ...inputs, logits, ptxLogits }, options).loss)([
      inputs.logits,
      inputs.ptxLogits,
    ]);
    await Promise.all(grads.map((g) => g.data()));
    tf.dispose([value, ...grads]);
  };
  const peak = async (fn: typeof ppoPtxLossFused) => {
    const before = tf.memory().numBytes;
    const p = await tf.profile(() => run(fn));
    return { bytes: p.peakBytes - before, kernels: p.kernels.length };
  };
  for (let i = 0; i < warmup; i++) for (const fn of [ppoPtxLossFused, ppoPtxLossReference]) await run(fn);
  const times = { custom: [] as number[], reference: [] as number[] };
  for (let i = 0; i < reps; i++)
    for (const [name, fn] of [
      ['custom', ppoPtxLossFused],
      ['reference', ppoPtxLossReference],
    ] as const) {
      const t0 = performance.now();
      await run(fn);
      times[name].push(performance.now() - t0);
    }
  // the GPU layout (one workgroup reduction per row), for comparison on this adapter
  setTuning({ ppoPtxLayouts: { fwd: { tpr: 32, rpw: 2 }, bwd: { tpr: 32, rpw: 2 }, reduce: 128 } });
  const gpuLayout: number[] = [];
  await run(ppoPtxLossFused);
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run(ppoPtxLossFused);
    gpuLayout.push(performance.now() - t0);
  }
  setTuning({ ppoPtxLayouts: null });
  const customPeak = await peak(ppoPtxLossFused);
  const referencePeak = await peak(ppoPtxLossReference);
  const result = {
    shape: { B, T, vocab: V, ptxB: B, ptxT: T },
    custom_ms: median(times.custom),
    reference_ms: median(times.reference),
    speedup: median(times.reference) / median(times.custom),
    custom_ms_gpu_layout: median(gpuLayout),
    custom_bytes: customPeak.bytes,
    reference_bytes: referencePeak.bytes,
    custom_kernels: customPeak.kernels,
    reference_kernels: referencePeak.kernels,
  };
  tf.dispose(Object.values(inputs));
  return result;
}

/** Generating `tokens` tokens for `B` prompts, KV cache vs full recomputation (model preset tiny). */
async function generateEntry(B = 16, tokens = 64): Promise<Record<string, unknown>> {
  await init();
  const cfg = { ...PRESETS.tiny, contextLength: 128 };
  const model = GPT.create(cfg, 3);
  const rng = new Rng(9);
  const prompts = Array.from({ length: B }, () => Array.from({ length: 8 }, () => 4 + rng.int(cfg.vocabSize - 4)));
  // temperature sampling with EOS banned would need an option; greedy on random weights rarely hits EOS
  const opts = { temperature: 1, topK: 0, topP: 1, maxNewTokens: tokens, seed: 1 };
  const time = async (useCache: boolean) => {
    const t0 = performance.now();
    const g = await generate(model, prompts, { ...opts, useCache });
    return { ms: performance.now() - t0, generated: g.tokens.reduce((a, r) => a + r.length, 0) };
  };
  await time(true); // compile
  await time(false);
  const cached = await time(true);
  const full = await time(false);
  model.dispose();
  return {
    batch: B,
    tokens,
    generated_tokens: { kv_cache: cached.generated, recompute: full.generated },
    kv_cache_ms: cached.ms,
    recompute_ms: full.ms,
    speedup: full.ms / cached.ms,
  };
}

/**
 * The wasm engine on this page (its isolation and threads): medians of an LM step (`preset`, pretraining's batch
 * 16 × its context) and of the RM step as the app runs it (tiny, 48 × 33, positions + key mask), `reps` each after `warmup`.
 */
async function wasmSteps(warmup = 1, reps = 4, preset: keyof typeof PRESETS = 'tiny'): Promise<Record<string, unknown>> {
  await init();
  const cfg = { ...PRESETS[preset], dropout: 0 };
  const lm = await trainStep({ backend: 'wasm', fused: true, cfg, B: 16, T: cfg.contextLength, warmup, reps });
  await tf.setBackend('wasm');
  try {
    const rm = await rmStepTimes(() => 0, warmup, reps, ['positions+mask']);
    return {
      isolated: crossOriginIsolated,
      threads: wasmThreads(),
      workers: wasmWorkers(),
      lm_preset: preset,
      lm_shape: [16, cfg.contextLength],
      lm_ms: lm.ms,
      lm_steps_ms: lm.steps_ms,
      rm_ms: rm.step_ms['positions+mask'],
      rm_shape: [rm.rows, rm.columns],
    };
  } finally {
    await tf.setBackend('webgpu');
  }
}

async function adapter(): Promise<Record<string, unknown>> {
  const e = await init();
  return {
    crossOriginIsolated,
    backend: e.backend,
    vendor: e.adapter?.vendor ?? null,
    architecture: e.adapter?.architecture ?? null,
    description: e.adapter?.description ?? null,
    isFallback: e.adapter?.isFallback ?? null,
    userAgent: navigator.userAgent,
    cores: navigator.hardwareConcurrency,
  };
}

declare global {
  interface Window {
    __bench: Record<string, (...args: never[]) => Promise<unknown>>;
  }
}

window.__bench = {
  adapter,
  trainStep: trainStep as never,
  trainStepEntry: trainStepEntry as never,
  attention: (async (shape: { B: number; nh: number; T: number; hs: number }) => {
    await init();
    return benchAttention(shape);
  }) as never,
  ppo: ppoEntry as never,
  /** the RM step at the app's shapes beside LM steps of the same shape and of pretraining's */
  rmStep: (async () => {
    await init();
    const tiny = { ...PRESETS.tiny, dropout: 0 };
    const rm = await rmStepTimes(() => counters.dispatches);
    const same = await trainStep({ backend: 'webgpu', fused: true, cfg: tiny, B: rm.rows, T: rm.columns });
    const pretrain = await trainStep({ backend: 'webgpu', fused: true, cfg: tiny, B: 16, T: 64 });
    return { ...rm, lm_same_shape_ms: same.ms, lm_same_shape_dispatches: same.dispatches_per_step, lm_pretrain_ms: pretrain.ms };
  }) as never,
  generate: generateEntry as never,
  /** dispatches per LM, RM and PPO step at the tiny preset, by program (scripts/bench/dispatches.ts) */
  dispatches: stepDispatches as never, // after adapter() (bench.mjs calls it first), which starts the backend
  wasmSteps: wasmSteps as never,
  /** `workers` bench workers at once (scripts/bench/wasmWorkerProbe.ts), each timing `kind` (LM steps of batch B × 64): median ms and losses per worker */
  wasmWorkers: (async (kind: 'lm' | 'spin', workers: number, B: number, warmup = 4, reps = 10) => {
    const runs = Array.from({ length: workers }, () => {
      const w = new Worker(new URL('./wasmWorkerProbe.ts', import.meta.url), { type: 'module' });
      return new Promise<Timed>((done, fail) => {
        w.onmessage = (e: MessageEvent<Timed>) => {
          done(e.data);
          w.terminate();
        };
        w.onerror = (e) => fail(new Error(e.message));
        w.postMessage({ kind, B, T: 64, warmup, reps });
      });
    });
    return (await Promise.all(runs)).map((r) => ({ ms: median(r.times), losses: r.losses }));
  }) as never,
  /** data parallelism on two one-thread wasm workers (wasmWorkerProbe 'dp' + 'dpHelper'): median ms per LM step of B × 64 */
  wasmDataParallel: (async (B: number, warmup = 4, reps = 10) => {
    const channel = new MessageChannel();
    const start = (kind: string, port: MessagePort) => {
      const w = new Worker(new URL('./wasmWorkerProbe.ts', import.meta.url), { type: 'module' });
      w.postMessage({ kind, B, T: 64, warmup, reps, port }, [port]);
      return w;
    };
    const helper = start('dpHelper', channel.port2);
    const coordinator = start('dp', channel.port1);
    const result = await new Promise<Timed>((done, fail) => {
      coordinator.onmessage = (e: MessageEvent<Timed>) => done(e.data);
      coordinator.onerror = (e) => fail(new Error(e.message));
    });
    coordinator.terminate();
    helper.terminate();
    return { ms: median(result.times), losses: result.losses };
  }) as never,
  /** the app's engine choice (src/worker/engineChoice.ts) at a preset and batch: webgpu vs wasm ms per LM step */
  engineChoice: (async (preset: keyof typeof PRESETS, B: number, T: number) => {
    await init();
    const m = await measureEngines(preset, B, T, webgpuAdapter()!, 'bench');
    await tf.setBackend('webgpu');
    return m;
  }) as never,
  /** ms per decode step at the app's shapes: the KV decoder vs the tf.concat cache it replaced, alternating */
  decode: (async (B: number, reps: number) => {
    await init();
    return decodeEntry(B, reps, 16, [
      { name: 'kv_decoder', setup: () => setTuning({ kvDecoder: null }) },
      { name: 'concat_cache', setup: () => setTuning({ kvDecoder: false }) },
    ]);
  }) as never,
};
document.title = 'bench ready';
