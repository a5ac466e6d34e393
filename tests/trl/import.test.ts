import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { initBackend } from '../../src/engine/backend';
import { readUploadedModel, presetProblem } from '../../src/io/modelUpload';
import { modelFromWeights } from '../../src/rlhf/snapshot';
import { runPipeline, type PipelineCheckpoint, type PipelineReport } from '../../src/rlhf/pipeline';
import type { PipelineConfig } from '../../src/rlhf/config';
import { judgedPolicyCheckpoint } from '../../src/rlhf/judgedStart';
import { PRESETS } from '../../src/model/config';
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

/**
 * Back into the browser, judged: the TRL policy evaluated in place of the browser run's PPO policy (its end-of-PPO
 * checkpoint, kept by export.test.ts), with the run's seed, test prompts and held-out labelers — the app's judge path
 * (rlhf/judgedStart.ts, then the pipeline from that checkpoint: only the evaluation runs).
 */
test('the TRL policy judged against the browser run: same SFT answers and scores, its own win rate in range', async () => {
  const engine = await initBackend('wasm');
  const dir = `${OUT}/policy-trl`;
  const files = await Promise.all(
    ['config.json', 'model.safetensors'].map(async (name) => ({ name, bytes: fromBase64(await commands.readFile(`${dir}/${name}`, 'base64')) })),
  );
  const policy = readUploadedModel(files, 'policy');
  const saved = JSON.parse(await commands.readFile(`${OUT}/browser-run.json`)) as {
    id: string;
    name: string;
    config: PipelineConfig;
    eval: PipelineReport['eval'];
    checkpoint: Omit<PipelineCheckpoint, 'models'> & { models: Record<string, Record<string, number[]>> };
  };
  const models = Object.fromEntries(
    Object.entries(saved.checkpoint.models).map(([m, w]) => [m, new Map(Object.entries(w).map(([n, a]) => [n, Float32Array.from(a)]))]),
  );
  const endOfPpo: PipelineCheckpoint = { ...saved.checkpoint, models };
  const checkpoint = judgedPolicyCheckpoint(endOfPpo, policy, { id: saved.id, name: saved.name, model: PRESETS.micro, eval: saved.eval });
  const ran: string[] = [];
  const noop = () => {};
  const report = (await runPipeline(
    saved.config,
    engine,
    {
      stage: (s, st) => void (st === 'running' && ran.push(s)),
      hooksFor: () => ({ metrics: noop, samples: noop, shouldStop: () => false }),
      shouldStop: () => false,
    },
    checkpoint,
  ))!;
  expect(ran).toEqual(['eval']);
  const ev = report.eval;
  expect(report.judged).toEqual({ policy: 'model.safetensors', run_id: saved.id, run_name: saved.name, run_eval: saved.eval });
  // the run's base and SFT answers (same seed, same backend): their scores are the run's to the bit
  expect(ev.labeler_score.sft).toBe(saved.eval.labeler_score.sft);
  expect(ev.labeler_score.base).toBe(saved.eval.labeler_score.base);
  expect(ev.prompts).toBe(saved.eval.prompts);
  expect(Number.isFinite(ev.labeler_score.ppo)).toBe(true);
  expect(ev.winrate_ppo_vs_sft).toBeGreaterThanOrEqual(0);
  expect(ev.winrate_ppo_vs_sft).toBeLessThanOrEqual(1);
  const [lo, hi] = ev.winrate_ci95!;
  expect(0 <= lo && lo <= ev.winrate_ppo_vs_sft && ev.winrate_ppo_vs_sft <= hi && hi <= 1).toBe(true);
  expect(ev.pretrain_loss.ppo).toBeGreaterThan(0);
  expect(Number.isFinite(ev.pretrain_loss.ppo)).toBe(true);
  const side = (e: PipelineReport['eval']) => ({
    labeler_score: e.labeler_score.ppo,
    winrate_vs_sft: e.winrate_ppo_vs_sft,
    winrate_ci95: e.winrate_ci95,
    alignment_tax: e.pretrain_loss.ppo - e.pretrain_loss.sft,
  });
  await commands.writeFile(
    `${OUT}/browser-judge.json`,
    JSON.stringify({ prompts: ev.prompts, sft_labeler_score: ev.labeler_score.sft, browser_ppo: side(saved.eval), trl_policy: side(ev) }, null, 2),
  );
});
