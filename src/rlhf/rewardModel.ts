import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import { AdamW, ADAMW_DEFAULTS } from '../model/optim';
import { learningRate } from '../model/schedule';
import { ScalarLog } from '../train/metrics';
import type { StageHooks } from '../train/lmLoop';
import type { Task } from '../tasks/types';
import { interval95, type SimulatedLabeler } from '../tasks/labeler';
import { Rng } from '../util/rng';
import { pairwiseAccuracy, pairwiseAccuracyPerSet } from './math';
import { rankingLossAndAccuracy } from '../kernels/rankingLoss/op';
import { buildSequences, type SequenceLayout } from './sequences';
import { ScalarModel } from './scalarModel';
import type { RewardConfig } from './config';
import { splitRankingStep, stepHelper, type GradientHelper } from '../train/dataParallel';

/** One prompt's K responses, ordered BEST FIRST by the labeler who ranked them. */
export interface RankedSet {
  prompt: string;
  responses: string[];
  labelerId: string;
}

/** Orders each set with a labeler (taken in turn) — the labeling session of the paper. */
export function rankSets(task: Task, labelers: readonly SimulatedLabeler[], sets: { prompt: string; responses: string[] }[], rng: Rng): RankedSet[] {
  return sets.map((s, i) => {
    const l = labelers[i % labelers.length];
    const order = l.rank(task, s.prompt, s.responses, rng);
    return { prompt: s.prompt, responses: order.map((j) => s.responses[j]), labelerId: l.id };
  });
}

/**
 * Pairwise accuracy of the task's noise-free rubric on ranked sets (ties count half): the ceiling
 * a reward model can reach against these (noisy, biased) labelers.
 */
export function rubricAccuracy(task: Task, sets: RankedSet[]): number {
  let sum = 0;
  let n = 0;
  for (const s of sets) {
    const scores = s.responses.map((r) => task.score(s.prompt, r).total);
    for (let i = 0; i < scores.length; i++)
      for (let j = i + 1; j < scores.length; j++, n++) sum += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
  }
  return n ? sum / n : NaN;
}

/** P ranked sets → one SequenceBatch of P·K rows, prompt-major, best first within a prompt. */
function rankedBatch(layout: SequenceLayout, sets: RankedSet[]) {
  return buildSequences(
    layout,
    sets.flatMap((s) => s.responses.map(() => s.prompt)),
    sets.flatMap((s) => s.responses),
  );
}

/** Mean pairwise accuracy of the RM on ranked sets (eval mode, batched). */
export async function rankingAccuracy(rm: ScalarModel, layout: SequenceLayout, sets: RankedSet[], chunk = 16): Promise<number> {
  return (await rankingAccuracies(rm, layout, sets, chunk)).mean;
}

/**
 * rankingAccuracy and each set's own accuracy (for an interval over the sets' prompts: the pairs of one
 * set are not independent, its prompts are). One forward pass; the mean is rankingAccuracy's, bit for bit.
 */
async function rankingAccuracies(rm: ScalarModel, layout: SequenceLayout, sets: RankedSet[], chunk = 16): Promise<{ mean: number; perSet: number[] }> {
  let sum = 0;
  const perSet: number[] = [];
  for (let i = 0; i < sets.length; i += chunk) {
    const part = sets.slice(i, i + chunk);
    const K = part[0].responses.length;
    const [acc, each] = tf.tidy(() => {
      const scores = rm.scores(rankedBatch(layout, part)).reshape([part.length, K]);
      return [pairwiseAccuracy(scores), pairwiseAccuracyPerSet(scores)];
    });
    sum += (await acc.data())[0] * part.length;
    perSet.push(...(await each.data()));
    tf.dispose([acc, each]);
  }
  return { mean: sum / sets.length, perSet };
}

/** Mean RM score of (prompt, response) pairs. */
async function meanScoreOf(rm: ScalarModel, layout: SequenceLayout, prompts: string[], responses: string[], chunk = 32): Promise<number> {
  let sum = 0;
  for (let i = 0; i < prompts.length; i += chunk) {
    const s = tf.tidy(() => tf.sum(rm.scores(buildSequences(layout, prompts.slice(i, i + chunk), responses.slice(i, i + chunk)))));
    sum += (await s.data())[0];
    s.dispose();
  }
  return sum / prompts.length;
}

/** One RM step on P ranked sets: the ranking loss and the batch's pairwise accuracy, one fused pass on webgpu (kernels/rankingLoss). */
function rankingTrainStep(rm: ScalarModel, opt: AdamW, layout: SequenceLayout, sets: RankedSet[], vars: tf.Variable[], lr: number, dropoutSeed: number) {
  const batch = rankedBatch(layout, sets);
  return tf.tidy(() => {
    let acc: tf.Scalar | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const out = rankingLossAndAccuracy(rm.scores(batch, true, dropoutSeed).reshape([sets.length, sets[0].responses.length]));
      acc = out.accuracy;
      return out.loss;
    }, vars);
    opt.apply(grads, lr);
    return { loss: value, acc: acc! };
  });
}

/** The same step split by sets across this worker and the helper (wasm, 2 workers; train/dataParallel.ts). */
async function splitRankingTrainStep(
  h: GradientHelper,
  rm: ScalarModel,
  opt: AdamW,
  layout: SequenceLayout,
  sets: RankedSet[],
  lr: number,
  dropoutSeed: number,
) {
  const half = Math.ceil(sets.length / 2);
  const part = (xs: RankedSet[]) => ({ batch: rankedBatch(layout, xs), sets: xs.length });
  const { loss, accuracy, gradNorm } = await splitRankingStep(h, rm, opt, part(sets.slice(0, half)), part(sets.slice(half)), lr, dropoutSeed);
  gradNorm.dispose();
  return { loss, acc: accuracy };
}

export interface RewardResult {
  rm: ScalarModel;
  steps: number;
  losses: number[];
  trainAccuracy: number;
  heldoutAccuracy: number;
  /** 95% interval of heldoutAccuracy over the held-out prompts (interval95 of the per-set accuracies) */
  heldoutCi95: [number, number];
  demoMeanBefore: number;
  seconds: number;
  stopped: boolean;
}

/**
 * Indices 0..n−1 in passes: each pass a fresh shuffle, so every ranking set is seen once per pass
 * (the paper trains ONE pass: the RM overfits after that). steps × promptsPerBatch / n passes.
 */
class Passes {
  private order: number[] = [];
  constructor(
    private readonly n: number,
    private readonly rng: Rng,
  ) {}
  next(): number {
    if (this.order.length === 0) this.order = this.rng.shuffle(Array.from({ length: this.n }, (_, i) => i));
    return this.order.pop()!;
  }
}

/**
 * Trains the reward model from the SFT model (a copy: the SFT model stays as the PPO reference).
 * Loss: for each prompt, −(1/C(K,2)) Σ_{i<j} log σ(s_i − s_j), averaged over the prompts of the
 * batch — all pairs of a prompt are ONE batch element (InstructGPT §3.5), which does not overfit
 * the way shuffled independent pairs do. Afterwards the head's bias is shifted so demonstrations
 * score mean 0.
 */
export async function trainRewardModel(
  sft: GPT,
  layout: SequenceLayout,
  data: { train: RankedSet[]; heldout: RankedSet[]; demos: { prompt: string; response: string }[] },
  cfg: RewardConfig,
  seed: number,
  hooks: StageHooks,
): Promise<RewardResult> {
  const start = performance.now();
  const rm = new ScalarModel(sft.clone());
  const opt = new AdamW(rm.backbone.params, { ...ADAMW_DEFAULTS, weightDecay: 0 });
  const order = new Passes(data.train.length, new Rng(seed));
  const log = new ScalarLog();
  const losses: number[] = [];
  const vars = [...rm.backbone.params.values()];
  const logEvery = 10;
  let last = performance.now();
  let step = 0;
  let stopped = false;
  const helper = stepHelper();
  try {
    for (; step < cfg.steps; step++) {
      if (hooks.shouldStop()) {
        stopped = true;
        break;
      }
      const sets = Array.from({ length: cfg.promptsPerBatch }, () => data.train[order.next()]);
      const lr = learningRate(step, { peak: cfg.lr, warmup: Math.min(10, cfg.steps / 10), total: cfg.steps, minRatio: 0.1 });
      const { loss, acc } =
        helper && sets.length > 1
          ? await splitRankingTrainStep(helper, rm, opt, layout, sets, lr, seed * 7919 + step)
          : rankingTrainStep(rm, opt, layout, sets, vars, lr, seed * 7919 + step);
      log.push('loss', loss);
      log.push('accuracy', acc);
      const done = step + 1;
      if (done % logEvery === 0 || done === cfg.steps) {
        const values = await log.flush();
        losses.push(...values.loss);
        const now = performance.now();
        const sps = (logEvery * 1000) / Math.max(1, now - last);
        last = now;
        hooks.metrics({
          step: done,
          total: cfg.steps,
          values,
          stepsPerSec: sps,
          tokensPerSec: sps * sets.length * sets[0].responses.length * (layout.P + layout.R),
          etaSeconds: (cfg.steps - done) / sps,
        });
      }
    }
    // Normalise: demonstrations score mean 0 (InstructGPT: "so that the labeler demonstrations achieve a mean score of 0").
    const demoMeanBefore = await meanScoreOf(
      rm,
      layout,
      data.demos.map((d) => d.prompt),
      data.demos.map((d) => d.response),
    );
    rm.addBias(-demoMeanBefore);
    const trainAccuracy = await rankingAccuracy(rm, layout, data.train.slice(0, Math.max(data.heldout.length, 32)));
    const heldout = await rankingAccuracies(rm, layout, data.heldout);
    const heldoutAccuracy = heldout.mean;
    hooks.metrics({
      step,
      total: cfg.steps,
      values: { trainAccuracy: [trainAccuracy], heldoutAccuracy: [heldoutAccuracy] },
      stepsPerSec: 0,
      tokensPerSec: 0,
      etaSeconds: 0,
    });
    const seconds = (performance.now() - start) / 1000;
    return { rm, steps: step, losses, trainAccuracy, heldoutAccuracy, heldoutCi95: interval95(heldout.perSet), demoMeanBefore, seconds, stopped };
  } finally {
    log.dispose();
    opt.dispose();
  }
}
