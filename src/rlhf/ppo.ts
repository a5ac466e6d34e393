import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import { AdamW, ADAMW_DEFAULTS } from '../model/optim';
import { generate } from '../model/generate';
import { BOS, decode, encode } from '../model/tokenizer';
import { ScalarLog } from '../train/metrics';
import { sampleWindows } from '../train/batches';
import type { StageHooks } from '../train/lmLoop';
import type { Task } from '../tasks/types';
import type { SimulatedLabeler } from '../tasks/labeler';
import { Rng } from '../util/rng';
import { adaptiveKl, entropyFromLogits, gae, maskedMean, sequenceLogProbs, tokenRewards, valueLoss, whiten } from './math';
// The PPO-ptx objective (policy loss + γ·pretraining loss): the fused WGSL kernel on webgpu, the composed reference elsewhere.
import { ppoPtxLoss } from '../kernels/ppoPtxLoss/op';
import { buildSequences, policyLogits, sliceSequences, type SequenceBatch, type SequenceLayout } from './sequences';
import type { ScalarModel } from './scalarModel';
import type { PpoConfig } from './config';
import { optimizerState, restoreOptimizer, type Weights } from './snapshot';

/** The four models PPO works with. */
export interface PpoModels {
  policy: GPT;
  ref: GPT; // frozen SFT
  rm: ScalarModel; // frozen
  value: ScalarModel; // initialised from the RM
  /**
   * Exponential moving average of the policy's weights, updated after every policy optimizer step
   * (InstructGPT's EMA, decay 0.992), used for evaluation. After n steps the SFT weights still weigh
   * decayⁿ (0.992: ~73% after 40 steps, ~28% after 160): with few steps it mostly evaluates SFT.
   */
  ema?: GPT;
}

/** ema ← d·ema + (1 − d)·policy, parameter by parameter. */
function updateEma(ema: GPT, policy: GPT, decay: number): void {
  tf.tidy(() => {
    for (const [name, p] of policy.params) {
      const e = ema.params.get(name);
      if (e) e.assign(tf.add(tf.mul(e, decay), tf.mul(p, 1 - decay)));
    }
  });
}

export interface PpoContext {
  task: Task;
  layout: SequenceLayout;
  trainPrompts: string[];
  probePrompts: string[];
  probeLabelers: readonly SimulatedLabeler[];
  pretrainStream: Int32Array;
  ptxSeqLen: number;
  seed: number;
}

export interface PpoIterationLog {
  iteration: number;
  reward: number;
  labelerScore: number;
  kl: number;
  entropy: number;
  clipfrac: number;
  approxKl: number;
  policyLoss: number;
  valueLoss: number;
  ptxLoss: number;
  responseLength: number;
  beta: number;
  rolloutSeconds: number;
  scoreSeconds: number;
  updateSeconds: number;
  probeScore?: number;
}

export interface PpoResult {
  iterations: number;
  log: PpoIterationLog[];
  skipped: number;
  /** EMA updates made (one per policy optimizer step; 0 without an EMA) */
  emaUpdates: number;
  stopped: boolean;
  failed: string | null;
  seconds: number;
}

/**
 * Dropout is OFF in PPO, for the policy, the value model and the ptx term (like TRL's
 * disable_dropout): old log-probs and values are computed without it, so with dropout in the
 * update the ratio π/π_old would not be 1 before the first step (clipfrac ≈ 0.03 on the first
 * minibatch with the Small preset's dropout 0.1) and the clip would bite on noise, not on change.
 */
const PPO_DROPOUT = false;

/** How many iterations in a row may have non-finite updates before the stage stops. */
const MAX_BAD_ITERATIONS = 3;

/** Everything besides the model weights that a resumed PPO stage needs to continue bit-for-bit. */
export interface PpoState {
  iteration: number; // iterations completed
  rng: number; // PRNG state
  beta: number;
  history: PpoIterationLog[];
  skipped: number;
  badIterations: number;
  /** EMA updates so far (one per policy optimizer step) */
  emaUpdates?: number;
  /** PRNG state of the ptx windows (its own stream: γ_ptx changes nothing else) */
  ptxRng?: number;
  policyOpt: Weights;
  valueOpt: Weights;
}

/** Autosave: `save` is called every `every` iterations (and the stage's caller saves the final state). */
export interface PpoPersistence {
  every: number;
  save(state: PpoState): Promise<void>;
}

/**
 * PPO-ptx (InstructGPT §3.5). Each iteration:
 *  1. rollout: sample a response per prompt from the policy (KV cache, temperature τ, no top-k/p);
 *  2. score:   old log-probs (at τ), SFT reference log-probs, values, RM score at the last real token;
 *              r_t = −β·KL_t, plus the score at the last response token; GAE (γ, λ); whitened advantages;
 *  3. update:  for each minibatch, clipped surrogate + γ_ptx · LM loss on a pretraining batch
 *              (one backward: the two gradients are summed in one step — the paper computes them on
 *              consecutive steps and accumulates, which is the same update), then the value model's
 *              clipped value loss (its own optimizer).
 * Shapes are fixed per run (rolloutBatch × (P+R)), so GPU buffers are reused every iteration.
 */
export async function runPpo(
  models: PpoModels,
  ctx: PpoContext,
  cfg: PpoConfig,
  hooks: StageHooks,
  persist?: PpoPersistence,
  resume?: PpoState,
): Promise<PpoResult> {
  const { policy, ref, rm, value } = models;
  const { layout, task } = ctx;
  const policyVars = [...policy.params.values()].filter((v) => v.trainable);
  const valueVars = [...value.backbone.params.values()].filter((v) => v.trainable);
  const policyOpt = new AdamW(policy.params, { ...ADAMW_DEFAULTS, weightDecay: 0 });
  const valueOpt = new AdamW(value.backbone.params, { ...ADAMW_DEFAULTS, weightDecay: 0 });
  const rng = new Rng(resume ? resume.rng : ctx.seed);
  // The ptx windows have their own stream, so runs that differ only in γ_ptx roll out the same
  // prompts in the same minibatches (the alignment-tax comparison differs in nothing else).
  const ptxRng = new Rng(resume?.ptxRng ?? new Rng(ctx.seed).fork('ptx').state);
  let emaUpdates = resume?.emaUpdates ?? 0;
  const log = new ScalarLog();
  const history: PpoIterationLog[] = resume ? [...resume.history] : [];
  const start = performance.now();
  let beta = resume?.beta ?? cfg.beta;
  let skippedBefore = resume?.skipped ?? 0;
  let badIterations = resume?.badIterations ?? 0;
  let stopped = false;
  let failed: string | null = null;
  let it = resume?.iteration ?? 0;
  if (resume) {
    restoreOptimizer(policyOpt, policy.params, resume.policyOpt);
    restoreOptimizer(valueOpt, value.backbone.params, resume.valueOpt);
  }
  try {
    for (; it < cfg.iterations; it++) {
      if (hooks.shouldStop()) {
        stopped = true;
        break;
      }
      // 1. rollout
      const t0 = performance.now();
      const prompts = Array.from({ length: cfg.rolloutBatch }, () => ctx.trainPrompts[rng.int(ctx.trainPrompts.length)]);
      const gen = await generate(
        policy,
        prompts.map((p) => [BOS, ...encode(p)]),
        { temperature: cfg.temperature, topK: 0, topP: 1, maxNewTokens: layout.R, seed: rng.int(2 ** 31), useCache: true },
      );
      const batch = buildSequences(layout, prompts, gen.tokens);
      const texts = gen.tokens.map((t) => decode(t));
      const rubric = texts.map((r, i) => task.score(prompts[i], r).total);
      const labelerScore = rubric.reduce((a, b) => a + b, 0) / texts.length;

      // 2. score (no gradients)
      const t1 = performance.now();
      const scored = tf.tidy(() => {
        const mask = tf.tensor2d(batch.actionMask, [batch.N, layout.R]);
        const actions = tf.tensor2d(batch.actions, [batch.N, layout.R], 'int32');
        const logits = policyLogits(policy, batch);
        const oldLogp = sequenceLogProbs(logits, actions, cfg.temperature);
        const refLogp = sequenceLogProbs(policyLogits(ref, batch), actions, cfg.temperature);
        const oldValues = tf.mul(value.values(batch), mask) as tf.Tensor2D;
        const scores = cfg.reward === 'rubric' ? tf.tensor1d(rubric) : rm.scores(batch);
        const { rewards, kl } = tokenRewards(scores, oldLogp, refLogp, mask, beta, cfg.klEstimator);
        const { advantages, returns } = gae(rewards, oldValues, mask, cfg.gamma, cfg.lambda);
        const adv = whiten(advantages, mask);
        const entropy = maskedMean(entropyFromLogits(logits, cfg.temperature), mask) as tf.Scalar;
        const stats = tf.stack([tf.mean(scores), tf.div(tf.sum(kl), batch.N), entropy]);
        return { mask, actions, oldLogp, oldValues, adv, returns, stats };
      });
      const [reward, kl, entropy] = Array.from(await scored.stats.data());

      // 3. update
      const t2 = performance.now();
      for (let epoch = 0; epoch < cfg.epochs; epoch++) {
        const order = rng.shuffle(Array.from({ length: batch.N }, (_, i) => i));
        const size = Math.ceil(batch.N / cfg.minibatches);
        for (let m = 0; m < cfg.minibatches; m++) {
          const rows = order.slice(m * size, (m + 1) * size);
          if (rows.length === 0) continue;
          const mb = sliceSequences(batch, rows);
          const ptx = cfg.ptxCoef > 0 ? sampleWindows(ctx.pretrainStream, cfg.ptxBatch, ctx.ptxSeqLen, ptxRng) : null;
          const seed = ctx.seed * 1_000_003 + it * 1000 + epoch * 100 + m;
          const step = (it * cfg.epochs + epoch) * cfg.minibatches + m; // optimizer steps so far
          const warm = cfg.warmup > 0 ? Math.min(1, (step + 1) / cfg.warmup) : 1;
          const minibatch: Minibatch = { mb, rows, s: scored, cfg, seed, log };
          policyStep(policy, { opt: policyOpt, vars: policyVars }, minibatch, ptx, cfg.lr * warm);
          if (models.ema && cfg.emaDecay > 0) {
            updateEma(models.ema, policy, cfg.emaDecay);
            emaUpdates++;
          }
          valueStep(value, { opt: valueOpt, vars: valueVars }, minibatch, cfg.valueLr * warm);
        }
      }
      tf.dispose(scored);
      const values = await log.flush();
      const skippedNow = (await policyOpt.skipped.data())[0] + (await valueOpt.skipped.data())[0];
      const t3 = performance.now();

      const mean = (xs: number[] | undefined) => (xs && xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
      const entry: PpoIterationLog = {
        iteration: it + 1,
        reward,
        labelerScore,
        kl,
        entropy,
        clipfrac: mean(values.clipfrac),
        approxKl: mean(values.approxKl),
        policyLoss: mean(values.policyLoss),
        valueLoss: mean(values.valueLoss),
        ptxLoss: mean(values.ptxLoss),
        responseLength: batch.responseLength.reduce((a, b) => a + b, 0) / batch.N,
        beta,
        rolloutSeconds: (t1 - t0) / 1000,
        scoreSeconds: (t2 - t1) / 1000,
        updateSeconds: (t3 - t2) / 1000,
      };
      if (cfg.probeEvery > 0 && ((it + 1) % cfg.probeEvery === 0 || it + 1 === cfg.iterations)) {
        entry.probeScore = await probeScore(policy, ctx);
      }
      history.push(entry);
      if (cfg.adaptiveKl) beta = adaptiveKl(beta, kl, cfg.klTarget, cfg.rolloutBatch, cfg.klHorizon);

      const secs = (performance.now() - t0) / 1000;
      const metricValues: Record<string, number[]> = {};
      for (const [k, v] of Object.entries(entry)) if (typeof v === 'number') metricValues[k] = [v];
      hooks.metrics({
        step: it + 1,
        total: cfg.iterations,
        values: metricValues,
        stepsPerSec: 1 / secs,
        tokensPerSec: (batch.N * (layout.P + layout.R)) / secs,
        etaSeconds: (cfg.iterations - it - 1) * secs,
      });
      if (it === 0 || (it + 1) % Math.max(1, cfg.probeEvery) === 0)
        hooks.samples(
          it + 1,
          prompts.slice(0, 4).map((prompt, i) => ({ prompt, completion: texts[i] })),
        );

      // A non-finite update never reaches the weights (AdamW skips it); repeated failures stop the stage.
      badIterations = skippedNow > skippedBefore ? badIterations + 1 : 0;
      skippedBefore = skippedNow;
      if (badIterations >= MAX_BAD_ITERATIONS) {
        failed =
          `PPO stopped: ${MAX_BAD_ITERATIONS} iterations in a row produced non-finite losses or gradients (${skippedNow} updates skipped). ` +
          'The policy keeps its last good weights. Try a lower PPO learning rate, a larger β, or a larger ptx coefficient γ.';
        break;
      }
      if (persist && (it + 1) % persist.every === 0 && it + 1 < cfg.iterations) {
        await persist.save({
          iteration: it + 1,
          rng: rng.state,
          beta,
          history: [...history],
          skipped: skippedBefore,
          badIterations,
          emaUpdates,
          ptxRng: ptxRng.state,
          policyOpt: await optimizerState(policyOpt, policy.params),
          valueOpt: await optimizerState(valueOpt, value.backbone.params),
        });
      }
    }
    return { iterations: it, log: history, skipped: skippedBefore, emaUpdates, stopped, failed, seconds: (performance.now() - start) / 1000 };
  } finally {
    log.dispose();
    policyOpt.dispose();
    valueOpt.dispose();
  }
}

type Scored = { mask: tf.Tensor2D; actions: tf.Tensor2D; oldLogp: tf.Tensor2D; oldValues: tf.Tensor2D; adv: tf.Tensor; returns: tf.Tensor2D };

/**
 * One minibatch of an update, as both steps read it: its sequences, their rows of the rollout batch
 * and scored tensors, the dropout seed, and the log the losses go to.
 */
interface Minibatch {
  mb: SequenceBatch;
  rows: number[];
  s: Scored;
  cfg: PpoConfig;
  seed: number;
  log: ScalarLog;
}

/** A model's optimizer and the variables it updates. */
interface Optimizing {
  opt: AdamW;
  vars: tf.Variable[];
}

function rowsOf(t: tf.Tensor, rows: number[]): tf.Tensor {
  return tf.gather(t, tf.tensor1d(rows, 'int32'));
}

/**
 * Clipped surrogate + γ·ptx in one backward pass, one AdamW step. The loss is `ppoPtxLoss`
 * (the fused WGSL kernel on webgpu, the composed reference elsewhere). Plain PPO (γ = 0) passes a
 * one-token, fully masked ptx batch instead of running the model on pretraining text.
 */
function policyStep(
  policy: GPT,
  { opt, vars }: Optimizing,
  { mb, rows, s, cfg, seed, log }: Minibatch,
  ptx: ReturnType<typeof sampleWindows> | null,
  lr: number,
): void {
  tf.tidy(() => {
    const V = policy.cfg.vocabSize;
    const mask = rowsOf(s.mask, rows);
    const actions = rowsOf(s.actions, rows);
    const oldLogp = rowsOf(s.oldLogp, rows);
    const advantages = rowsOf(s.adv, rows);
    const ptxTargets = ptx ? tf.tensor2d(ptx.targets, [ptx.B, ptx.T], 'int32') : tf.zeros([1, 1], 'int32');
    const ptxMask = ptx ? tf.tensor2d(ptx.mask, [ptx.B, ptx.T]) : tf.zeros([1, 1]);
    let stats: tf.Scalar[] = [];
    const { grads } = tf.variableGrads(() => {
      const logits = policyLogits(policy, mb, PPO_DROPOUT, seed);
      const ptxLogits = ptx
        ? policy.logits(tf.tensor2d(ptx.inputs, [ptx.B, ptx.T], 'int32'), { training: PPO_DROPOUT, dropoutSeed: seed + 1 })
        : tf.zeros([1, 1, V]);
      const out = ppoPtxLoss(
        { logits, actions, oldLogp, advantages, mask, ptxLogits, ptxTargets, ptxMask },
        { clip: cfg.clip, ptxCoef: cfg.ptxCoef, temperature: cfg.temperature },
      );
      stats = [out.policyLoss, out.clipfrac, out.approxKl, out.ptxLoss].map((t) => tf.keep(t));
      return out.loss;
    }, vars);
    opt.apply(grads, lr).dispose();
    const [policyLoss, clipfrac, approxKl, ptxLoss] = stats;
    log.push('policyLoss', policyLoss);
    log.push('clipfrac', clipfrac);
    log.push('approxKl', approxKl);
    if (ptx) log.push('ptxLoss', ptxLoss);
    else ptxLoss.dispose();
  });
}

/** The value model's clipped value loss, one AdamW step. */
function valueStep(value: ScalarModel, { opt, vars }: Optimizing, { mb, rows, s, cfg, seed, log }: Minibatch, lr: number): void {
  tf.tidy(() => {
    const mask = rowsOf(s.mask, rows);
    const oldValues = rowsOf(s.oldValues, rows);
    const returns = rowsOf(s.returns, rows);
    const { value: loss, grads } = tf.variableGrads(
      () => valueLoss(value.values(mb, PPO_DROPOUT, seed + 2), oldValues, returns, mask, cfg.valueClip).loss,
      vars,
    );
    opt.apply(grads, lr).dispose();
    log.push('valueLoss', tf.keep(loss));
  });
}

/** Held-out labelers' mean (noise-free) judgement of greedy answers to the probe prompts. */
async function probeScore(policy: GPT, ctx: PpoContext): Promise<number> {
  const out = await generate(
    policy,
    ctx.probePrompts.map((p) => [BOS, ...encode(p)]),
    { temperature: 0, topK: 0, topP: 1, maxNewTokens: ctx.layout.R, seed: 0, useCache: true },
  );
  let sum = 0;
  ctx.probePrompts.forEach((p, i) => {
    const r = decode(out.tokens[i]);
    for (const l of ctx.probeLabelers) sum += l.utility(ctx.task, p, r);
  });
  return sum / (ctx.probePrompts.length * ctx.probeLabelers.length);
}
