import * as tf from '@tensorflow/tfjs';
import { GPT } from '../../src/model/gpt';
import { PRESETS, type GPTConfig } from '../../src/model/config';
import { makeVariables, paramSpecs } from '../../src/model/params';
import { Rng } from '../../src/util/rng';
import { DEFAULT_PIPELINE, type PipelineConfig } from '../../src/rlhf/config';

/** A very short micro pipeline (wasm): enough for every stage to run and every number to move. */
export const MICRO_PIPELINE: PipelineConfig = {
  ...DEFAULT_PIPELINE,
  preset: 'micro',
  pretrain: { ...DEFAULT_PIPELINE.pretrain, steps: 40, seqLen: 32, corpusDocs: 400 },
  sft: { ...DEFAULT_PIPELINE.sft, steps: 20, demonstrations: 64 },
  rm: { ...DEFAULT_PIPELINE.rm, steps: 10, trainPrompts: 32, heldoutPrompts: 16 },
  ppo: { ...DEFAULT_PIPELINE.ppo, iterations: 3, rolloutBatch: 8, probeEvery: 2 },
  eval: { testPrompts: 16, pretrainWindows: 16, split: 'test' },
};

/** Pipeline hooks that show nothing and never stop. */
export const QUIET_HOOKS = { stage: () => {}, hooksFor: () => ({ metrics: () => {}, samples: () => {}, shouldStop: () => false }), shouldStop: () => false };

/** A small config for tests: SwiftShader is slow, shapes stay small. */
export const TEST_CFG: GPTConfig = { ...PRESETS.micro, contextLength: 24, dModel: 32, nLayer: 2, nHead: 4 };

/** Weights with std 0.3 everywhere (LayerNorm gains around 1) so every path carries signal. */
export function randomWeights(cfg: GPTConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const spec of paramSpecs(cfg)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (spec.init === 'ones' ? 1 : 0) + 0.3 * rng.normal();
    out.set(spec.name, data);
  }
  return out;
}

export function modelFrom(cfg: GPTConfig, weights: Map<string, Float32Array>): GPT {
  return new GPT(cfg, makeVariables(paramSpecs(cfg), weights));
}

export function randomTokens(n: number, vocab: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => 4 + rng.int(vocab - 4));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Elementwise relative error: max over i of |a_i − b_i| / max(|b_i|, 1). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1));
  return m;
}

/** Error relative to the reference's scale: max |a_i − b_i| / max(1, max |b_i|). */
export function scaledErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  let s = 1;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return m / s;
}

/** Runs fn with `backend` active, then switches back to webgpu. */
export async function onBackend<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  try {
    return await fn();
  } finally {
    await tf.setBackend('webgpu');
  }
}

/** A value (a report, a stage report) without its wall-clock times: every key `seconds`, `*_seconds` or
 *  `*Seconds` is dropped. Everything else of a deterministic run is equal between two runs. */
export function withoutTimes(value: unknown): unknown {
  const isTime = (k: string) => k === 'seconds' || k.endsWith('_seconds') || k.endsWith('Seconds');
  return JSON.parse(JSON.stringify(value, (k, v) => (isTime(k) ? undefined : v)));
}
