import * as tf from '@tensorflow/tfjs';
import { GPT } from '../../src/model/gpt';
import { PRESETS, type GPTConfig } from '../../src/model/config';
import { makeVariables, paramSpecs } from '../../src/model/params';
import { Rng } from '../../src/util/rng';

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

/** Runs fn with `backend` active, then switches back to webgpu. */
export async function onBackend<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  try {
    return await fn();
  } finally {
    await tf.setBackend('webgpu');
  }
}
