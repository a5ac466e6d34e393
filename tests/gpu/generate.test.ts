import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { generate } from '../../src/model/generate';
import { GREEDY } from '../../src/model/sampling';
import { encode, EOS } from '../../src/model/tokenizer';
import { TEST_CFG, modelFrom, randomWeights } from './helpers';

beforeAll(async () => {
  await initBackend('webgpu');
});

describe('generation', () => {
  const prompts = ['reverse: abc\n', 'hi', 'sort: 3 1 2\n'].map((p) => [1, ...encode(p)]);

  test('KV-cache greedy decoding gives exactly the tokens of full recomputation', async () => {
    const model = modelFrom(TEST_CFG, randomWeights(TEST_CFG, 5));
    const opts = { ...GREEDY, maxNewTokens: 8, seed: 1 };
    const before = tf.memory().numTensors;
    const cached = await generate(model, prompts, { ...opts, useCache: true });
    const full = await generate(model, prompts, { ...opts, useCache: false });
    expect(tf.memory().numTensors).toBe(before); // the cache is freed
    expect(cached.tokens).toEqual(full.tokens);
    expect(cached.tokens.every((row) => row.length > 0)).toBe(true);
    model.dispose();
  });

  test('a row generates the same tokens alone as inside a left-padded batch', async () => {
    const model = modelFrom(TEST_CFG, randomWeights(TEST_CFG, 6));
    const opts = { ...GREEDY, maxNewTokens: 6, seed: 1, useCache: true };
    const batch = await generate(model, prompts, opts);
    const alone = await generate(model, [prompts[1]], opts);
    expect(batch.tokens[1]).toEqual(alone.tokens[0]);
    model.dispose();
  });

  test('sampling is seeded, respects top-k = 1 as greedy, and stops rows at EOS', async () => {
    const model = modelFrom(TEST_CFG, randomWeights(TEST_CFG, 8));
    const sample = { temperature: 1, topK: 0, topP: 0.9, maxNewTokens: 10, useCache: true };
    const a = await generate(model, prompts, { ...sample, seed: 42 });
    const b = await generate(model, prompts, { ...sample, seed: 42 });
    expect(a.tokens).toEqual(b.tokens);
    const k1 = await generate(model, prompts, { ...sample, topK: 1, topP: 1, seed: 3 });
    const greedy = await generate(model, prompts, { ...GREEDY, maxNewTokens: 10, seed: 9, useCache: true });
    expect(k1.tokens).toEqual(greedy.tokens);
    for (const row of a.tokens) {
      const eos = row.indexOf(EOS);
      if (eos >= 0) expect(eos).toBe(row.length - 1);
    }
    model.dispose();
  });
});
