import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { routeWasmMatMulsThroughXnnpack } from './wasmMatMul';
import { registerKernels } from '../kernels/register';

/**
 * Chooses where tensors run: WebGPU first, then wasm, then cpu. What actually runs is read back
 * from tf.getBackend() (tfjs silently falls back when a backend fails to start) and reported.
 */
export type BackendName = 'webgpu' | 'wasm' | 'cpu';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  isFallback: boolean;
  limits: Record<string, number>;
  features: string[];
}

export interface EngineInfo {
  backend: BackendName;
  adapter: AdapterSummary | null;
  /** why WebGPU is not in use, in words for the banner (null when it is) */
  fallbackReason: string | null;
  /** the page (and so the worker) is cross-origin isolated: SharedArrayBuffer exists, so wasm can run threads */
  crossOriginIsolated: boolean;
  /** threads of the wasm backend once it has started (null before): 1 without cross-origin isolation */
  wasmThreads: number | null;
  /**
   * workers a wasm training step is split across (data parallelism, src/train/dataParallel.ts): 2 on
   * a machine with 2 cores or more, each with its own tfjs-wasm of `wasmThreads` threads; else 1
   */
  wasmWorkers: number;
  /**
   * true when each run first times a few training steps on webgpu and on wasm and trains on the faster
   * (a software adapter such as SwiftShader, or `?backend=auto-measure`); src/worker/engineChoice.ts
   */
  autoMeasure: boolean;
  /** the latest such measurement (null until a run has measured) */
  measurement: EngineMeasurement | null;
}

/** What the engine choice timed (ms per LM training step, medians) and what it chose. */
export interface EngineMeasurement {
  /** the model preset and batch timed: the run's */
  preset: string;
  batch: number;
  context: number;
  warmupSteps: number;
  timedSteps: number;
  webgpuMs: number;
  wasmMs: number;
  wasmThreads: number;
  /** workers the timed wasm step was split across (1 or 2) */
  wasmWorkers: number;
  /** the WebGPU adapter's architecture or vendor ("swiftshader") */
  adapter: string;
  chosen: 'webgpu' | 'wasm';
  /** why the engine is measured at all: "software adapter" or "asked (?backend=auto-measure)" */
  why: string;
}

/** Limits shown in the UI and used to size kernels. */
const KEY_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

let adapterSummary: AdapterSummary | null = null;
let deviceLostHandler: (message: string) => void = () => {};
let gpuErrorHandler: (message: string) => void = (m) => console.error(m);

/**
 * WebGPU validation errors do not throw: a rejected pipeline silently yields zeros. Every such
 * error goes to this handler (default console.error; the worker posts it to the page, and
 * tests/gpu/setup.ts fails the test that caused it), so a broken kernel is loud, not wrong.
 */
export function onGpuError(handler: (message: string) => void): void {
  gpuErrorHandler = handler;
}

/** Called when the GPU device is lost (driver reset, tab in background too long, ...). */
export function onDeviceLost(handler: (message: string) => void): void {
  deviceLostHandler = handler;
}

/**
 * Our own WebGPU factory, replacing tfjs's: it asks for the adapter's MAXIMUM buffer limits (a
 * plain requestDevice() gets 128 MiB), records the adapter for the UI and listens for device loss.
 */
function registerWebGPU(): void {
  tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned no adapter');
      const requiredLimits: Record<string, number> = {};
      for (const key of KEY_LIMITS) requiredLimits[key] = (adapter.limits as unknown as Record<string, number>)[key];
      const requiredFeatures: GPUFeatureName[] = [];
      if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
      const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
      const info = adapter.info;
      adapterSummary = {
        vendor: info?.vendor ?? '',
        architecture: info?.architecture ?? '',
        description: info?.description ?? '',
        isFallback: Boolean(
          (info as unknown as { isFallbackAdapter?: boolean })?.isFallbackAdapter ?? (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter,
        ),
        limits: Object.fromEntries(KEY_LIMITS.map((k) => [k, (device.limits as unknown as Record<string, number>)[k]])),
        features: [...adapter.features].map(String).sort(),
      };
      device.addEventListener('uncapturederror', (event) => {
        const message = `WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message}`;
        gpuErrorHandler(message);
      });
      void device.lost.then((lost) => {
        if (lost.reason !== 'destroyed') deviceLostHandler(`The GPU device was lost (${lost.reason || 'unknown'}): ${lost.message}`);
      });
      return new WebGPUBackend(device, info);
    },
    3,
  );
}

/**
 * At most this many wasm threads. tfjs-wasm runs only XNNPACK's matmuls on its pool (the element-wise
 * kernels are single-threaded), and the presets' products are small (a 1024 × 64 × 256 matmul is 34
 * MFLOP): past a few threads each op's fork/join costs more than its share of the work saves. Its
 * threaded build starts 8 workers up front and uses no more; 4 also leaves cores to the page and the
 * browser. On this project's 2 cores it is 2, which measured no faster than 1 (BENCHMARKS.md, 2026-12-05).
 */
const WASM_MAX_THREADS = 4;

function isolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** The wasm thread count the next wasm start asks for (1 without cross-origin isolation). */
let wasmThreadsWanted = 1;
/** Workers a wasm training step is split across (set with the thread count). */
let wasmWorkersWanted = 1;
let wasmFactoryWrapped = false;

/**
 * tfjs-wasm 4.22's binary caps its thread pool at navigator.hardwareConcurrency / 2 (it assumes two
 * hardware threads per core), so on this project's 2-core machines it ran 1 thread whatever
 * setThreadsCount asked. While its module starts (the only moment it reads the value), the worker's
 * navigator reports twice the threads we want; the property is restored right after.
 */
function wrapWasmFactory(): void {
  const factory = wasmFactoryWrapped ? null : tf.findBackendFactory('wasm');
  if (!factory) return;
  wasmFactoryWrapped = true;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const threads = wasmThreadsWanted;
      if (threads > 1) Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
      try {
        return await factory();
      } finally {
        if (threads > 1) delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
      }
    },
    2,
  );
}

/**
 * The three .wasm files by the names tfjs asks for (Vite serves them under hashed names), and the
 * wasm thread count: tfjs loads the threaded-SIMD binary only where SharedArrayBuffer exists, i.e.
 * in a cross-origin isolated page; `threads` overrides the count (the bench's 1-thread runs).
 * Takes effect when wasm starts (the first tf.setBackend('wasm')); matmuls take XNNPACK's path (wasmMatMul.ts).
 */
function configureWasm(threads?: number, workers?: number): void {
  routeWasmMatMulsThroughXnnpack();
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  const cores = (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1;
  // Two workers with a one-thread wasm each beat one worker with two threads by ×1.4–1.6 on 2 cores
  // (BENCHMARKS.md, wasm_workers): tfjs-wasm threads only its matmuls, a split batch runs every op side by side.
  // (a worker that cannot start another — no nested workers — keeps every step on one)
  wasmWorkersWanted = typeof Worker === 'undefined' ? 1 : (workers ?? (cores >= 2 ? 2 : 1));
  if (!isolated()) return;
  wasmThreadsWanted = threads ?? Math.max(1, Math.floor(Math.min(cores, WASM_MAX_THREADS) / wasmWorkersWanted));
  setThreadsCount(wasmThreadsWanted);
  wrapWasmFactory();
}

/** Workers a wasm training step is split across: 1, or 2 (data parallelism; src/train/dataParallel.ts). */
export function wasmWorkers(): number {
  return wasmWorkersWanted;
}

/** Threads of the wasm backend's pool, or null when wasm has not started. */
export function wasmThreads(): number | null {
  try {
    return getThreadsCount();
  } catch {
    return null;
  }
}

/**
 * Starts the best available backend, or exactly `prefer` when given (tests, the runner's --backend).
 * `wasmWorkers` fixes the workers a wasm training step is split across (default 2 with 2 cores or
 * more), `wasmThreads` the wasm thread count of each (default: the cores, at most WASM_MAX_THREADS, shared by the workers).
 */
export async function initBackend(prefer?: BackendName, opts: { wasmThreads?: number; wasmWorkers?: number } = {}): Promise<EngineInfo> {
  registerKernels(); // our fused kernels and their gradients (kernels/register.ts)
  configureWasm(opts.wasmThreads, opts.wasmWorkers);
  let fallbackReason: string | null = null;
  const order: BackendName[] = prefer ? [prefer] : ['webgpu', 'wasm', 'cpu'];
  if (order.includes('webgpu')) {
    if (typeof navigator === 'undefined' || !('gpu' in navigator)) {
      fallbackReason = 'This browser does not offer WebGPU (navigator.gpu is missing).';
    } else {
      registerWebGPU();
    }
  }
  for (const name of order) {
    if (name === 'webgpu' && fallbackReason) continue;
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        if (tf.getBackend() === name) break;
      } else if (name === 'webgpu') {
        fallbackReason = 'WebGPU is present but no GPU adapter could be opened.';
      }
    } catch (e) {
      if (name === 'webgpu') fallbackReason = `WebGPU failed to start: ${(e as Error).message}`;
    }
  }
  const backend = tf.getBackend() as BackendName;
  if (!['webgpu', 'wasm', 'cpu'].includes(backend)) throw new Error(`no usable tfjs backend (got ${backend})`);
  if (prefer && backend !== prefer) throw new Error(`the ${prefer} backend could not start${fallbackReason ? `: ${fallbackReason}` : ''}`);
  return {
    backend,
    adapter: backend === 'webgpu' ? adapterSummary : null,
    fallbackReason: backend === 'webgpu' ? null : fallbackReason,
    crossOriginIsolated: isolated(),
    wasmThreads: wasmThreads(),
    wasmWorkers: wasmWorkersWanted,
    autoMeasure: false,
    measurement: null,
  };
}

/** The adapter WebGPU opened (null before it started or when it could not). */
export function webgpuAdapter(): AdapterSummary | null {
  return adapterSummary;
}
