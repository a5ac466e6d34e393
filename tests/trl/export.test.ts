import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import { initBackend } from '../../src/engine/backend';
import { runPipeline, type PipelineCheckpoint } from '../../src/rlhf/pipeline';
import { DEFAULT_PIPELINE, type PipelineConfig } from '../../src/rlhf/config';
import { buildSequences, layoutFor, policyLogits } from '../../src/rlhf/sequences';
import { ScalarModel } from '../../src/rlhf/scalarModel';
import { modelFromWeights } from '../../src/rlhf/snapshot';
import { getTask } from '../../src/tasks';
import { PRESETS } from '../../src/model/config';
import { importModel } from '../../src/io/modelFiles';
import { deleteDB } from 'idb';
import { openDb } from '../../src/store/db';
import { createRun } from '../../src/store/runs';
import { saveCheckpoint } from '../../src/store/checkpoints';
import { trlBundleOfRun } from '../../src/state/trlBundleOfRun';
import { OUT, toBase64 } from './files';

/**
 * The round trip's first half (npm run test:trl, scripts/trl/roundTrip.mjs): a micro run saved to
 * IndexedDB as the app saves one, its "Continue in TRL" bundle built from the saved run by the app's
 * own code, and the numbers the browser computes with the bundle's models on held-out texts (RM
 * scores, the policy's log-probs) for transformers to match. wasm: the math of every backend is the
 * same (the webgpu parity tests), and SwiftShader is too slow for a whole run.
 */
const MICRO: PipelineConfig = {
  ...DEFAULT_PIPELINE,
  preset: 'micro',
  seed: 5,
  pretrain: { ...DEFAULT_PIPELINE.pretrain, steps: 200, seqLen: 32 },
  sft: { ...DEFAULT_PIPELINE.sft, steps: 120, demonstrations: 256 },
  rm: { ...DEFAULT_PIPELINE.rm, steps: 40, trainPrompts: 128, heldoutPrompts: 48 },
  ppo: { ...DEFAULT_PIPELINE.ppo, iterations: 4, rolloutBatch: 16, probeEvery: 4 },
  eval: { testPrompts: 16, pretrainWindows: 16, split: 'test' },
};
const DB = 'rlhf-trl-roundtrip';

test('a saved micro run becomes a TRL bundle, with the browser numbers transformers must match', async () => {
  const engine = await initBackend('wasm');
  await deleteDB(DB);
  const db = await openDb(DB);
  const run = await createRun(db, { name: 'trl round trip', task: MICRO.task, preset: MICRO.preset, seed: MICRO.seed, config: MICRO });
  const noop = () => {};
  let endOfPpo: PipelineCheckpoint | undefined;
  const report = await runPipeline(MICRO, engine, {
    stage: noop,
    hooksFor: () => ({ metrics: noop, samples: noop, shouldStop: () => false }),
    shouldStop: () => false,
    checkpoint: async (c) => {
      if (c.stage === 'ppo' && c.final) endOfPpo = c;
      await saveCheckpoint(db, { runId: run.id, ...c });
    },
  });
  const { zip, note } = await trlBundleOfRun(db, run.id);
  db.close();
  expect(note).toBe('');
  await commands.writeFile(`${OUT}/bundle.zip`, toBase64(zip), 'base64');
  await commands.writeFile(`${OUT}/browser-report.json`, JSON.stringify({ rm: report!.stages.rm }, null, 2));
  // What judging the TRL policy against this run needs once it is back (import.test.ts): the run's setup, its own
  // evaluation and its end-of-PPO checkpoint (weights as numbers: a float32 survives JSON exactly).
  const models = Object.fromEntries(Object.entries(endOfPpo!.models).map(([m, w]) => [m, Object.fromEntries([...w].map(([n, a]) => [n, Array.from(a)]))]));
  const { stage, step, final, extra } = endOfPpo!;
  await commands.writeFile(
    `${OUT}/browser-run.json`,
    JSON.stringify({ id: run.id, name: run.name, config: MICRO, eval: report!.eval, checkpoint: { stage, step, final, extra, models } }),
  );

  // The browser's numbers, computed with the models as the bundle holds them (read back by the app's importer).
  const files = unzipSync(zip);
  const load = (name: string) =>
    importModel({ safetensors: files[`models/${name}/model.safetensors`], config: strFromU8(files[`models/${name}/config.json`]) });
  const task = getTask(MICRO.task);
  const layout = layoutFor(task.maxPromptLength, task.maxResponseLength);
  const heldout = strFromU8(files['data/rankings_heldout.jsonl'])
    .trim()
    .split('\n')
    .slice(0, 8)
    .map((l) => JSON.parse(l) as { prompt: string; ranking: string[] });
  const prompts = heldout.flatMap((r) => r.ranking.map(() => r.prompt));
  const responses = heldout.flatMap((r) => r.ranking);
  const batch = buildSequences(layout, prompts, responses);
  const rm = new ScalarModel(modelFromWeights(PRESETS.micro, load('reward').weights));
  const policy = modelFromWeights(PRESETS.micro, load('policy').weights);
  const T = MICRO.ppo.temperature;
  const [scores, logp] = tf.tidy(() => {
    const lp = tf.logSoftmax(tf.div(policyLogits(policy, batch), T));
    const picked = tf.sum(tf.mul(lp, tf.oneHot(tf.tensor2d(batch.actions, [batch.N, layout.R], 'int32'), PRESETS.micro.vocabSize)), 2);
    return [rm.scores(batch), picked];
  });
  const s = await scores.data();
  const l = await logp.data();
  tf.dispose([scores, logp]);
  rm.dispose();
  policy.dispose();
  const numbers = {
    model: 'policy',
    temperature: T,
    reward: prompts.map((prompt, n) => ({ prompt, response: responses[n], score: s[n] })),
    policy: prompts.map((prompt, n) => ({
      prompt,
      response: responses[n],
      logprobs: Array.from(l.subarray(n * layout.R, n * layout.R + batch.responseLength[n])),
    })),
  };
  expect(numbers.reward.length).toBeGreaterThan(8);
  await commands.writeFile(`${OUT}/browser-numbers.json`, JSON.stringify(numbers));
});
