import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import { crossEntropy } from '../kernels/crossEntropy/op';
import { BOS, decode, encode } from '../model/tokenizer';
import type { TokenBatch } from '../train/batches';
import { generateEach } from '../train/dataParallel';
import type { Task } from '../tasks/types';
import { interval95, preferences, type LabelerPool } from '../tasks/labeler';
import { Rng } from '../util/rng';
import type { SequenceLayout } from './sequences';

/**
 * The evaluation of the paper, with simulated held-out labelers:
 * - labeler score: held-out labelers' mean (noise-free) judgement of each model's answers to the
 *   evaluation prompts (the test split; a dev set of validation prompts when tuning);
 * - win rate: how often held-out labelers prefer the PPO answer to the SFT answer (ties ½);
 * - pretraining loss on held-out pretraining text: the "alignment tax" is ppo − sft.
 * Answers are SAMPLED at the rollout temperature (the policy as PPO trains and uses it; greedy
 * decoding would hide what RLHF does to the distribution), one seeded sample per model and prompt.
 */
export interface EvalResult {
  prompts: number;
  labelerScore: { base: number; sft: number; ppo: number };
  winratePpoVsSft: number;
  /** 95% interval of the win rate over the prompts */
  winrateInterval: [number, number];
  pretrainLoss: { base: number; sft: number; ppo: number };
  samples: { prompt: string; base: string; sft: string; ppo: string }[];
}

/**
 * One seeded sample per prompt, in chunks of `chunk` prompts with seeds `seed + i`: independent jobs,
 * so on wasm with two workers every second chunk is sampled by the helper (train/dataParallel.ts
 * generateEach) with the same tokens as here.
 */
async function answers(model: GPT, prompts: string[], maxTokens: number, temperature: number, seed: number, chunk = 32): Promise<string[]> {
  const jobs = [];
  for (let i = 0; i < prompts.length; i += chunk)
    jobs.push({
      prompts: prompts.slice(i, i + chunk).map((p) => [BOS, ...encode(p)]),
      opts: { temperature, topK: 0, topP: 1, maxNewTokens: maxTokens, seed: seed + i, useCache: true },
    });
  return (await generateEach(model, jobs)).flatMap((g) => g.tokens.map((t) => decode(t)));
}

/** Mean next-token loss over fixed held-out windows. */
async function heldoutLoss(model: GPT, windows: TokenBatch[]): Promise<number> {
  let sum = 0;
  for (const w of windows) {
    const l = tf.tidy(() =>
      crossEntropy(
        model.logits(tf.tensor2d(w.inputs, [w.B, w.T], 'int32')).reshape([w.B * w.T, model.cfg.vocabSize]) as tf.Tensor2D,
        tf.tensor1d(w.targets, 'int32'),
        tf.tensor1d(w.mask),
      ),
    );
    sum += (await l.data())[0];
    l.dispose();
  }
  return sum / windows.length;
}

export async function evaluate(
  models: { base: GPT; sft: GPT; ppo: GPT },
  ctx: { task: Task; layout: SequenceLayout; prompts: string[]; pool: LabelerPool; heldoutWindows: TokenBatch[]; seed: number; temperature: number },
): Promise<EvalResult> {
  const { task, prompts, pool } = ctx;
  const R = ctx.layout.R;
  const say = (m: GPT, salt: number) => answers(m, prompts, R, ctx.temperature, ctx.seed * 31 + salt);
  const [base, sft, ppo] = [await say(models.base, 1), await say(models.sft, 2), await say(models.ppo, 3)];
  const judge = (responses: string[]) => {
    let s = 0;
    prompts.forEach((p, i) => pool.heldOut.forEach((l) => (s += l.utility(task, p, responses[i]))));
    return s / (prompts.length * pool.heldOut.length);
  };
  const rng = new Rng(ctx.seed);
  const prefs = preferences(task, pool.heldOut, prompts, ppo, sft, rng.fork('winrate'));
  return {
    prompts: prompts.length,
    labelerScore: { base: judge(base), sft: judge(sft), ppo: judge(ppo) },
    winratePpoVsSft: prefs.reduce((a, b) => a + b, 0) / prefs.length,
    winrateInterval: interval95(prefs),
    pretrainLoss: {
      base: await heldoutLoss(models.base, ctx.heldoutWindows),
      sft: await heldoutLoss(models.sft, ctx.heldoutWindows),
      ppo: await heldoutLoss(models.ppo, ctx.heldoutWindows),
    },
    samples: prompts.slice(0, 12).map((prompt, i) => ({ prompt, base: base[i], sft: sft[i], ppo: ppo[i] })),
  };
}
