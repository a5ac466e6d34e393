import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { GPT } from '../../src/model/gpt';
import { AdamW } from '../../src/model/optim';
import { Rng } from '../../src/util/rng';
import { packCorpus, sampleWindows, type TokenBatch } from '../../src/train/batches';
import { lmTrainStep } from '../../src/train/trainStep';
import { generateEach, splitLmTrainStep, splitRankingStep, stepHelper } from '../../src/train/dataParallel';
import { generate, type Generation } from '../../src/model/generate';
import { BOS } from '../../src/model/tokenizer';
import { rankingLossAndAccuracy } from '../../src/kernels/rankingLoss/op';
import { ScalarModel } from '../../src/rlhf/scalarModel';
import { buildSequences, layoutFor } from '../../src/rlhf/sequences';
import { maxAbsDiff, scaledErr, TEST_CFG } from './helpers';

/**
 * Data parallelism on wasm (src/train/dataParallel.ts): a step split across this page and the helper
 * worker (src/worker/gradient.worker.ts) is the unsplit step up to float summation order — same
 * losses, same weights after several AdamW steps for the LM step (an odd batch too), the same losses,
 * accuracies and gradient for the RM's ranking step; and it leaks no tensor. Generation jobs split
 * between the workers give exactly the tokens they give one after another.
 */
beforeAll(async () => {
  const engine = await initBackend('wasm', { wasmWorkers: 2 });
  expect(engine.wasmWorkers).toBe(2);
});

const corpus = Array.from({ length: 200 }, (_, i) => `count ${i % 10} ${(i % 10) + 1} ${(i % 10) + 2}`);

async function weightsOf(model: GPT): Promise<Float32Array> {
  const parts = await Promise.all([...model.params.values()].map((v) => v.data() as Promise<Float32Array>));
  return Float32Array.from(parts.flatMap((p) => [...p]));
}

describe('a training step split across two wasm workers', () => {
  test('LM steps: the same losses and weights as the unsplit step, and a flat tensor count', async () => {
    const helper = stepHelper()!;
    expect(helper).not.toBeNull();
    const stream = packCorpus(corpus);
    const batches: TokenBatch[] = [];
    const rng = new Rng(5);
    for (let i = 0; i < 8; i++) batches.push(sampleWindows(stream, i === 3 ? 5 : 4, 16, rng)); // one odd batch: 3 + 2 rows
    batches[1].mask.fill(0, 0, 40); // a mask with zeros, as in SFT
    const run = async (split: boolean) => {
      const model = GPT.create(TEST_CFG, 7);
      const opt = new AdamW(model.params);
      const losses: number[] = [];
      const counts: number[] = [];
      for (const [i, b] of batches.entries()) {
        // step 3 is timed phase by phase, as the LM loop's profiled steps are: the same update
        const r = split ? await splitLmTrainStep(helper, model, opt, b, 3e-3, i, i === 3) : lmTrainStep(model, opt, b, 3e-3, i);
        const { loss, gradNorm } = r;
        if (split && i === 3) phases.push(...Object.values((r as { phases?: Record<string, number> }).phases ?? {}));
        losses.push((await loss.data())[0]);
        tf.dispose([loss, gradNorm]);
        counts.push(tf.memory().numTensors);
      }
      const w = await weightsOf(model);
      opt.dispose();
      model.dispose();
      return { losses, w, counts };
    };
    const phases: number[] = [];
    const whole = await run(false);
    const split = await run(true);
    expect(phases).toHaveLength(3); // forward, backward, optimizer ms
    expect(phases.every((ms) => ms >= 0) && phases[0] > 0).toBe(true);
    expect(maxAbsDiff(split.losses, whole.losses)).toBeLessThan(1e-4);
    expect(maxAbsDiff(split.w, whole.w)).toBeLessThan(1e-4);
    expect(split.w.some((x, i) => x !== whole.w[i])).toBe(true); // it did run elsewhere: summation order shows
    expect(split.counts.at(-1)).toBe(split.counts[1]);
  });

  test('RM steps split by ranked sets: the same loss, accuracy and gradient as the unsplit step', async () => {
    const helper = stepHelper()!;
    const layout = layoutFor(8, 8);
    const rng = new Rng(9);
    const word = (n: number) => Array.from({ length: 1 + rng.int(n) }, () => String.fromCharCode(97 + rng.int(26))).join('');
    const K = 3;
    const steps = Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => ({ prompt: word(7), responses: [word(6), word(6), word(6)] })));
    const batchOf = (sets: { prompt: string; responses: string[] }[]) =>
      buildSequences(
        layout,
        sets.flatMap((s) => s.responses.map(() => s.prompt)),
        sets.flatMap((s) => s.responses),
      );
    const run = async (split: boolean) => {
      const rm = new ScalarModel(GPT.create(TEST_CFG, 3));
      const vars = [...rm.backbone.params.values()];
      const opt = new AdamW(rm.backbone.params);
      const out: number[] = [];
      for (const [i, sets] of steps.entries()) {
        let loss: tf.Scalar;
        let accuracy: tf.Scalar;
        if (split) {
          const part = (xs: typeof sets) => ({ batch: batchOf(xs), sets: xs.length });
          const r = await splitRankingStep(helper, rm, opt, part(sets.slice(0, 3)), part(sets.slice(3)), 1e-2, i);
          [loss, accuracy] = [r.loss, r.accuracy];
          r.gradNorm.dispose();
        } else {
          const b = batchOf(sets);
          [loss, accuracy] = tf.tidy(() => {
            let acc: tf.Scalar | null = null;
            const { value, grads } = tf.variableGrads(() => {
              const o = rankingLossAndAccuracy(rm.scores(b, true, i).reshape([sets.length, K]));
              acc = o.accuracy;
              return o.loss;
            }, vars);
            opt.apply(grads, 1e-2);
            return [value, acc!];
          });
        }
        out.push((await loss.data())[0], (await accuracy.data())[0]);
        tf.dispose([loss, accuracy]);
      }
      opt.dispose();
      rm.dispose();
      return { out };
    };
    const whole = await run(false);
    const split = await run(true);
    expect(maxAbsDiff(split.out, whole.out)).toBeLessThan(1e-4);

    // the gradient the optimizer is handed (AdamW's first steps magnify float noise in tiny gradients to ±lr)
    const rm = new ScalarModel(GPT.create(TEST_CFG, 4));
    const vars = [...rm.backbone.params.values()];
    const sets = steps[0];
    const b = batchOf(sets);
    const ref = tf.variableGrads(() => rankingLossAndAccuracy(rm.scores(b, true, 0).reshape([sets.length, K])).loss, vars);
    let got: Record<string, tf.Tensor> = {};
    const recorder = {
      apply: (g: Record<string, tf.Tensor>) => ((got = Object.fromEntries(Object.entries(g).map(([k, t]) => [k, tf.keep(t.clone())]))), tf.scalar(0)),
    };
    const part = (xs: typeof sets) => ({ batch: batchOf(xs), sets: xs.length });
    const r = await splitRankingStep(helper, rm, recorder as unknown as AdamW, part(sets.slice(0, 3)), part(sets.slice(3)), 1e-2, 0);
    expect(Object.keys(got).sort()).toEqual(vars.map((v) => v.name).sort());
    for (const v of vars) expect(scaledErr(await got[v.name].data(), await ref.grads[v.name].data()), v.name).toBeLessThan(1e-4);
    tf.dispose([ref.value, ...Object.values(ref.grads), ...Object.values(got), r.loss, r.accuracy, r.gradNorm]);
    rm.dispose();
  });

  test('generation jobs alternate between the workers and give the same tokens as one after another here', async () => {
    const model = GPT.create(TEST_CFG, 11);
    const rng = new Rng(2);
    const jobs = Array.from({ length: 5 }, (_, j) => ({
      prompts: Array.from({ length: 3 + j }, () => [BOS, ...Array.from({ length: 1 + rng.int(6) }, () => 3 + rng.int(20))]),
      opts: { temperature: 1, topK: 0, topP: 1, maxNewTokens: 8, seed: 100 + j, useCache: true },
    }));
    const before = tf.memory().numTensors;
    const split = await generateEach(model, jobs);
    const alone: Generation[] = [];
    for (const j of jobs) alone.push(await generate(model, j.prompts, j.opts));
    expect(split).toEqual(alone);
    expect(split.flatMap((g) => g.tokens).some((t) => t.length > 1)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
