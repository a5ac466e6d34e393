import { GPT } from '../model/gpt';
import { sampleWindows, type TokenBatch } from '../train/batches';
import type { Rng } from '../util/rng';
import { LM_CHECKPOINT_EVERY } from '../train/autosave';
import { runLMLoop, type LMLoopAutosave, type LMLoopOptions } from '../train/lmLoop';
import { sftBatch } from './sft';
import { modelWeights, optimizerState, type Weights } from './snapshot';
import { first10, last10, type RunContext } from './runContext';

/** Stage 0: pretraining on the task's corpus (next-token loss on every position). Returns the base model. */
export async function pretrainStage(ctx: RunContext): Promise<GPT> {
  const { cfg, plan } = ctx;
  let base: GPT;
  let skipped = 0;
  if (plan.done('pretrain')) base = ctx.restored('base');
  else {
    base = plan.inside('pretrain') ? ctx.restored('base') : ctx.own(GPT.create(ctx.modelCfg, cfg.seed));
    skipped = await lmStage(ctx, 'pretrain', base, (r) => sampleWindows(ctx.data.stream, cfg.pretrain.batchSize, ctx.seqLen, r), {
      ...cfg.pretrain,
      seed: cfg.seed,
      sampleEvery: Math.max(10, Math.round(cfg.pretrain.steps / 4)),
      models: async () => ({ base: await modelWeights(base) }),
    });
  }
  ctx.hooks.stage('pretrain', 'done', doneNote(ctx, 'pretrain', skipped));
  return base;
}

/** Stage 1: supervised fine-tuning on demonstrations (loss on response tokens only). Returns the SFT model. */
export async function sftStage(ctx: RunContext, base: GPT): Promise<GPT> {
  const { cfg, plan } = ctx;
  let sft: GPT;
  let skipped = 0;
  if (plan.done('sft')) sft = ctx.restored('sft');
  else {
    sft = plan.inside('sft') ? ctx.restored('sft') : ctx.own(base.clone());
    skipped = await lmStage(ctx, 'sft', sft, (r) => sftBatch(ctx.layout, ctx.demos, cfg.sft.batchSize, r), {
      ...cfg.sft,
      seed: cfg.seed + 1,
      sampleEvery: Math.max(10, Math.round(cfg.sft.steps / 3)),
      models: async () => ({ base: await modelWeights(base), sft: await modelWeights(sft) }),
    });
  }
  ctx.hooks.stage('sft', 'done', doneNote(ctx, 'sft', skipped));
  return sft;
}

interface LmStageSetup extends Pick<LMLoopOptions, 'steps' | 'lr' | 'warmup' | 'seed' | 'sampleEvery'> {
  /** every model the stage's checkpoints hold */
  models: () => Promise<Record<string, Weights>>;
}

/**
 * One language-model stage: the training loop (resumed mid-stage when the checkpoint is inside it),
 * autosaved every LM_CHECKPOINT_EVERY steps, then its summary and its end-of-stage checkpoint.
 * Returns how many steps AdamW skipped for a non-finite gradient.
 */
async function lmStage(ctx: RunContext, stage: 'pretrain' | 'sft', trained: GPT, batch: (r: Rng) => TokenBatch, setup: LmStageSetup): Promise<number> {
  const { hooks, plan } = ctx;
  const inside = plan.inside(stage);
  hooks.stage(stage, 'running', inside ? `resuming at step ${plan.step}` : undefined);
  const autosave: LMLoopAutosave | undefined = hooks.checkpoint
    ? {
        every: hooks.lmCheckpointEvery ?? LM_CHECKPOINT_EVERY,
        save: async ({ rng: lmRng, ...cursor }, optimizer) =>
          ctx.save({
            stage,
            step: cursor.step,
            final: false,
            models: await setup.models(),
            optimizer: { lm: await optimizerState(optimizer, trained.params) },
            rng: { lm: lmRng },
            extra: { lm: cursor },
          }),
      }
    : undefined;
  const run = await runLMLoop(
    trained,
    batch,
    {
      steps: setup.steps,
      lr: setup.lr,
      warmup: setup.warmup,
      minLrRatio: 0.1,
      seed: setup.seed,
      logEvery: 10,
      sampleEvery: setup.sampleEvery,
      samplePrompts: ctx.data.samplePrompts,
      sampleMaxTokens: ctx.layout.R,
    },
    hooks.hooksFor(stage),
    autosave,
    inside ? plan.lm(trained) : undefined,
  );
  ctx.check();
  ctx.summaries[stage] = { steps: run.steps, loss_first: first10(run.losses), loss_last: last10(run.losses), seconds: run.seconds };
  await ctx.save({ stage, step: run.steps, final: true, models: await setup.models() });
  return run.skipped;
}

/**
 * What a finished LM stage says: its steps and last loss, and any steps skipped for a non-finite
 * gradient; a run started from an imported SFT model skipped pretraining and SFT, and says so.
 */
function doneNote(ctx: RunContext, stage: 'pretrain' | 'sft', skipped: number): string {
  const imported = ctx.plan.checkpoint?.extra.imported;
  if (imported) return `skipped: started from the imported model ${imported}`;
  const s = ctx.summaries[stage]!;
  return `${s.steps} steps, loss ${s.loss_last.toFixed(3)}${skipped > 0 ? `; ${skipped} step(s) with a non-finite gradient were skipped` : ''}`;
}
