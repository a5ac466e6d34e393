import type { GPT } from '../model/gpt';
import { poolAgreement } from '../tasks/labeler';
import { rankingAccuracy, rankSets, rubricAccuracy, trainRewardModel, type RankedSet } from './rewardModel';
import type { RunData } from './pipelineTypes';
import { responseSets } from './responseSets';
import { ScalarModel } from './scalarModel';
import { modelWeights } from './snapshot';
import { curve, first10, labelers, last10, type RunContext } from './runContext';

/** Training ranking sets the labelers' agreement is measured on. */
const AGREEMENT_SETS = 128;

/**
 * Stage 2: the reward model, trained on K-way rankings of SFT samples by the training labelers
 * (the held-out labelers rank the held-out sets it is judged on). Returns the RM.
 */
export async function rewardStage(ctx: RunContext, base: GPT, sft: GPT): Promise<ScalarModel> {
  const { cfg, task, layout, data, rng, hooks } = ctx;
  if (ctx.plan.done('rm')) {
    hooks.stage('rm', 'done', doneNote(ctx));
    return ctx.own(new ScalarModel(ctx.restored('reward')));
  }
  hooks.stage('rm', 'running', 'sampling responses to rank…');
  const setRng = rng.fork('rm-sets');
  const samplingStart = performance.now();
  const trainSets = await responseSets(sft, task, data.rmPrompts, cfg.rm.k, cfg.rm.responses, layout, setRng);
  const heldoutSets = await responseSets(sft, task, data.rmHeldoutPrompts, cfg.rm.k, cfg.rm.responses, layout, setRng);
  ctx.heldoutSets = heldoutSets;
  const samplingSeconds = (performance.now() - samplingStart) / 1000;
  const pool = (ctx.pool = labelers(ctx, heldoutSets));
  const labelRng = rng.fork('labels');
  const train =
    ctx.userRankings.length && ctx.userMode === 'replace' ? ctx.userRankings : [...rankSets(task, pool.train, trainSets, labelRng), ...ctx.userRankings];
  const heldout = rankSets(task, pool.heldOut, heldoutSets, labelRng);
  const rmRun = await trainRewardModel(sft, layout, { train, heldout, demos: ctx.demos.slice(0, 128) }, cfg.rm, cfg.seed + 2, hooks.hooksFor('rm'));
  const reward = ctx.own(rmRun.rm);
  ctx.check();
  // The paper's two held-out numbers: the RM against the training labelers and against held-out
  // labelers, on the same held-out prompts (72.4% vs 69.6% there).
  const heldoutByTrainLabelers = rankSets(task, pool.train, heldoutSets, rng.fork('heldout-train-labels'));
  const sets = [...trainSets, ...heldoutSets];
  ctx.summaries.rm = {
    steps: rmRun.steps,
    passes: (rmRun.steps * cfg.rm.promptsPerBatch) / train.length,
    sampled_share: sets.reduce((a, s) => a + s.sampled, 0) / sets.reduce((a, s) => a + s.responses.length, 0),
    train_accuracy: rmRun.trainAccuracy,
    heldout_accuracy: rmRun.heldoutAccuracy,
    heldout_accuracy_ci95: rmRun.heldoutCi95,
    heldout_accuracy_train_labelers: await rankingAccuracy(reward, layout, heldoutByTrainLabelers),
    rubric_heldout_accuracy: rubricAccuracy(task, heldout),
    // measured on training ranking sets: the held-out sets calibrated the labelers' noise
    labeler_agreement: poolAgreement(task, pool, trainSets.slice(0, AGREEMENT_SETS), rng.fork('agreement')),
    seconds: rmRun.seconds,
    sampling_seconds: samplingSeconds,
    loss_first: first10(rmRun.losses),
    loss_last: last10(rmRun.losses),
    loss_curve: curve(rmRun.losses),
  };
  await ctx.save({
    stage: 'rm',
    step: rmRun.steps,
    final: true,
    models: { base: await modelWeights(base), sft: await modelWeights(sft), reward: await modelWeights(reward.backbone) },
    extra: { runData: runDataOf(ctx, train, heldout) },
  });
  hooks.stage('rm', 'done', doneNote(ctx));
  return reward;
}

/** The run's data as "Continue in TRL" exports it (pipelineTypes.ts RunData). */
function runDataOf(ctx: RunContext, train: RankedSet[], heldout: RankedSet[]): RunData {
  const { data } = ctx;
  const asRanking = (s: RankedSet) => ({ prompt: s.prompt, ranking: s.responses });
  return {
    demonstrations: ctx.demos.map((d) => ({ prompt: d.prompt, completion: d.response })),
    rankings: { train: train.map(asRanking), heldout: heldout.map(asRanking) },
    prompts: {
      train: data.ppoPrompts,
      val: [...new Set([...(ctx.cfg.eval.split === 'val' ? data.evalPrompts : []), ...data.probePrompts, ...data.rmHeldoutPrompts])],
      test: data.testPrompts,
    },
  };
}

const doneNote = (ctx: RunContext) => `held-out accuracy ${(100 * ctx.summaries.rm!.heldout_accuracy).toFixed(1)}%`;
