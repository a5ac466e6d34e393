import type { GPT } from '../model/gpt';
import { runPpo, type PpoState } from './ppo';
import { ScalarModel } from './scalarModel';
import { modelWeights } from './snapshot';
import { first10, last10, type RunContext } from './runContext';

/**
 * Stage 3: PPO-ptx against the RM. The policy starts from SFT, the value model from the RM, the
 * SFT model is the frozen reference. Returns the model to evaluate: the EMA of the policy when
 * enabled (as in the paper), else the policy.
 */
export async function ppoStage(ctx: RunContext, base: GPT, sft: GPT, reward: ScalarModel): Promise<GPT> {
  const { cfg, plan, hooks, data } = ctx;
  // Finished before the checkpoint (a run re-evaluated from the end of PPO, or stopped during the
  // evaluation): the model to evaluate is restored, PPO does not run again.
  if (plan.done('ppo')) {
    const log = ctx.summaries.ppo;
    hooks.stage('ppo', 'done', log ? `${log.iterations} iterations (from the checkpoint)` : undefined);
    return ctx.restored(cfg.ppo.emaDecay > 0 && plan.checkpoint?.models.ema ? 'ema' : 'policy');
  }
  const inside = plan.inside('ppo');
  const policy = inside ? ctx.restored('policy') : ctx.own(sft.clone());
  const value = inside ? ctx.own(new ScalarModel(ctx.restored('value'))) : ctx.own(reward.clone());
  const ema = cfg.ppo.emaDecay > 0 ? (inside && plan.checkpoint?.models.ema ? ctx.restored('ema') : ctx.own(policy.clone())) : undefined;
  const resume: PpoState | undefined = inside ? plan.ppo() : undefined;
  hooks.stage('ppo', 'running', resume ? `resuming at iteration ${resume.iteration}` : undefined);
  const models = async () => ({
    base: await modelWeights(base),
    sft: await modelWeights(sft),
    reward: await modelWeights(reward.backbone),
    policy: await modelWeights(policy),
    value: await modelWeights(value.backbone),
    ...(ema ? { ema: await modelWeights(ema) } : {}),
  });
  const run = await runPpo(
    { policy, ref: sft, rm: reward, value, ema },
    {
      task: ctx.task,
      layout: ctx.layout,
      trainPrompts: data.ppoPrompts,
      probePrompts: data.probePrompts,
      probeLabelers: ctx.pool!.heldOut,
      pretrainStream: data.stream,
      ptxSeqLen: ctx.seqLen,
      seed: cfg.seed + 3,
    },
    cfg.ppo,
    hooks.hooksFor('ppo'),
    hooks.checkpoint
      ? {
          every: hooks.ppoCheckpointEvery ?? 10,
          save: async ({ policyOpt, valueOpt, rng: ppoRng, ...state }) =>
            ctx.save({
              stage: 'ppo',
              step: state.iteration,
              final: false,
              models: await models(),
              optimizer: { policy: policyOpt, value: valueOpt },
              rng: { ppo: ppoRng },
              extra: { ppo: state },
            }),
        }
      : undefined,
    resume,
  );
  if (run.failed) throw new Error(run.failed);
  ctx.check();
  const rewards = run.log.map((l) => l.reward);
  const last = run.log[run.log.length - 1];
  // a resumed stage adds the time it ran before the checkpoint
  const before = resume ? (plan.checkpoint?.extra.summaries.ppo?.seconds ?? 0) : 0;
  ctx.summaries.ppo = {
    iterations: run.iterations,
    reward_first: first10(rewards),
    reward_last: last10(rewards),
    kl_last: last?.kl ?? NaN,
    seconds: run.seconds + before,
    skipped_updates: run.skipped,
    ema_updates: run.emaUpdates,
    log: run.log,
  };
  await ctx.save({ stage: 'ppo', step: run.iterations, final: true, models: await models() });
  hooks.stage('ppo', 'done', `${run.iterations} iterations, reward ${first10(rewards).toFixed(2)} → ${last10(rewards).toFixed(2)}`);
  return ema ?? policy;
}
