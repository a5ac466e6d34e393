import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type EngineInfo } from '../../src/engine/backend';
import { crossEntropy } from '../../src/kernels/crossEntropy/op';
import { TEST_CFG, maxAbsDiff, modelFrom, onBackend, randomTokens, randomWeights } from './helpers';

let engine: EngineInfo;
beforeAll(async () => {
  engine = await initBackend('webgpu');
});

const B = 3;
const T = 17; // not a power of two on purpose

async function forwardAndGrads() {
  const weights = randomWeights(TEST_CFG, 7);
  const tokens = randomTokens(B * T, TEST_CFG.vocabSize, 11);
  const targets = randomTokens(B * T, TEST_CFG.vocabSize, 12);
  const model = modelFrom(TEST_CFG, weights);
  const x = tf.tensor2d(tokens, [B, T], 'int32');
  const logits = model.logits(x);
  const vars = [...model.params.values()];
  const { value, grads } = tf.variableGrads(
    () => crossEntropy(model.logits(x).reshape([B * T, TEST_CFG.vocabSize]) as tf.Tensor2D, tf.tensor1d(targets, 'int32'), tf.ones([B * T])),
    vars,
  );
  const out = {
    logits: await logits.data(),
    loss: (await value.data())[0],
    grads: new Map<string, Float32Array>(),
  };
  for (const [name, v] of model.params) out.grads.set(name, (await grads[v.name].data()) as Float32Array);
  tf.dispose([x, logits, value, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe('GPT on webgpu matches the cpu backend', () => {
  test('the adapter is reported', () => {
    expect(engine.backend).toBe('webgpu');
    expect(engine.adapter).not.toBeNull();
    expect(engine.adapter!.limits.maxStorageBufferBindingSize).toBeGreaterThan(128 * 1024 * 1024);
  });

  test('forward logits and every parameter gradient', async () => {
    const gpu = await forwardAndGrads();
    const cpu = await onBackend('cpu', forwardAndGrads);
    expect(tf.getBackend()).toBe('webgpu');
    expect(maxAbsDiff(gpu.logits, cpu.logits)).toBeLessThan(1e-4);
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-4);
    expect(gpu.grads.size).toBe(cpu.grads.size);
    for (const [name, g] of gpu.grads) {
      const ref = cpu.grads.get(name)!;
      const scale = Math.max(1, ...Array.from(ref, Math.abs));
      expect(maxAbsDiff(g, ref) / scale, name).toBeLessThan(1e-4);
    }
    // the gradient is not trivially zero
    expect(Math.max(...Array.from(gpu.grads.get('h.0.attn.c_attn.weight')!, Math.abs))).toBeGreaterThan(1e-4);
  });
});
