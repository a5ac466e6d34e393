import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { initBackend } from '../../src/engine/backend';
import { readUploadedModel, presetProblem } from '../../src/io/modelUpload';
import { modelFromWeights } from '../../src/rlhf/snapshot';
import { generate } from '../../src/model/generate';
import { BOS, EOS, decode, encode } from '../../src/model/tokenizer';
import { OUT, fromBase64 } from './files';

/**
 * The round trip's second half: the policy TRL trained (python/train_policy.py, saved by
 * transformers) read by the app's import code as the user's picked files, and sampled in the browser.
 */
test('the TRL-trained policy imports into the app and samples in the browser', async () => {
  await initBackend('wasm');
  const dir = `${OUT}/policy-trl`;
  const files = await Promise.all(
    ['config.json', 'model.safetensors', 'tokenizer_config.json', 'generation_config.json'].map(async (name) => ({
      name,
      bytes: fromBase64(await commands.readFile(`${dir}/${name}`, 'base64')),
    })),
  );
  const model = readUploadedModel(files);
  expect(presetProblem(model.cfg, 'micro')).toBe('');
  const policy = modelFromWeights(model.cfg, model.weights);
  const prompts = (await commands.readFile(`${OUT}/bundle/data/prompts_test.jsonl`))
    .trim()
    .split('\n')
    .slice(0, 8)
    .map((l) => (JSON.parse(l) as { prompt: string }).prompt);
  const out = await generate(
    policy,
    prompts.map((p) => [BOS, ...encode(p)]),
    { maxNewTokens: 16, seed: 1, useCache: true, temperature: 1, topK: 0, topP: 1 },
  );
  policy.dispose();
  const samples = prompts.map((prompt, i) => ({ prompt, sample: decode(out.tokens[i]), stopped: out.tokens[i].at(-1) === EOS }));
  for (const s of samples) expect(typeof s.sample).toBe('string');
  expect(samples.some((s) => s.sample.length > 0)).toBe(true);
  await commands.writeFile(`${OUT}/browser-samples.json`, JSON.stringify(samples, null, 2));
});
