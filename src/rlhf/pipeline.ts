import { wasmWorkers, type AdapterSummary, type BackendName } from '../engine/backend';
import type { PipelineConfig } from './config';
import { evaluate } from './evaluate';
import { runContext } from './runContext';
import { pretrainStage, sftStage } from './lmStages';
import { rewardStage } from './rewardStage';
import { ppoStage } from './ppoStage';
import type { PipelineCheckpoint, PipelineHooks, PipelineReport, UserData } from './pipelineTypes';
import type { StageName } from './stages';

export type { PipelineCheckpoint, PipelineHooks, PipelineReport, UserData } from './pipelineTypes';
export { StoppedError } from './runContext';

/**
 * The InstructGPT pipeline in stage order — the same code under the UI, the headless runner and
 * the tests:  0 pretrain → 1 SFT → 2 reward model → 3 PPO-ptx → evaluation.
 * Prompt splits: the task's train prompts are divided between SFT demonstrations, RM rankings and
 * PPO (disjoint, as in the paper); validation prompts give the RM's held-out rankings and the PPO
 * probe; test prompts are only used by the final evaluation.
 * Each stage is one function of the run's context (runContext.ts): lmStages.ts, rewardStage.ts,
 * ppoStage.ts. Given a checkpoint, each stage restores its models if it finished before it
 * (resumePlan.ts), resumes from it if it stopped inside it, and otherwise runs from the start.
 * `last` stops the run after that stage, with no evaluation and no report (null): the "Language
 * model only" view runs pretraining alone, on the same data plan, so its base model is the one the
 * whole pipeline would pretrain.
 */
export function runPipeline(
  cfg: PipelineConfig,
  engine: { backend: BackendName; adapter: AdapterSummary | null },
  hooks: PipelineHooks,
  resume?: PipelineCheckpoint,
  userData?: UserData,
): Promise<PipelineReport>;
export function runPipeline(
  cfg: PipelineConfig,
  engine: { backend: BackendName; adapter: AdapterSummary | null },
  hooks: PipelineHooks,
  resume: PipelineCheckpoint | undefined,
  userData: UserData | undefined,
  last: StageName | 'eval',
): Promise<PipelineReport | null>;
export async function runPipeline(
  cfg: PipelineConfig,
  engine: { backend: BackendName; adapter: AdapterSummary | null },
  hooks: PipelineHooks,
  resume?: PipelineCheckpoint,
  userData?: UserData,
  last: StageName | 'eval' = 'eval',
): Promise<PipelineReport | null> {
  const start = performance.now();
  const ctx = runContext(cfg, hooks, resume, userData);
  try {
    const base = await pretrainStage(ctx);
    if (last === 'pretrain') return null;
    const sft = await sftStage(ctx, base);
    if (last === 'sft') return null;
    const reward = await rewardStage(ctx, base, sft);
    if (last === 'rm') return null;
    const ppo = await ppoStage(ctx, base, sft, reward);
    if (last === 'ppo') return null;

    // Evaluation on the evaluation prompts with held-out labelers.
    hooks.stage('eval', 'running');
    const { task, layout, data, summaries } = ctx;
    const ev = await evaluate(
      { base, sft, ppo },
      { task, layout, prompts: data.evalPrompts, pool: ctx.pool!, heldoutWindows: data.heldoutWindows, seed: cfg.seed + 4, temperature: cfg.ppo.temperature },
    );
    hooks.stage('eval', 'done');

    return {
      task: cfg.task,
      preset: cfg.preset,
      seed: cfg.seed,
      backend: engine.backend,
      ...(engine.backend === 'wasm' ? { wasm_workers: wasmWorkers() } : {}),
      adapter: engine.adapter ? { vendor: engine.adapter.vendor, architecture: engine.adapter.architecture, isFallback: engine.adapter.isFallback } : null,
      config: cfg,
      stages: summaries as PipelineReport['stages'],
      eval: {
        prompts: ev.prompts,
        labeler_agreement: summaries.rm?.labeler_agreement ?? null,
        labeler_score: ev.labelerScore,
        winrate_ppo_vs_sft: ev.winratePpoVsSft,
        winrate_ci95: ev.winrateInterval,
        split: cfg.eval.split,
        pretrain_loss: ev.pretrainLoss,
        samples: ev.samples,
      },
      ...(ctx.plan.checkpoint?.extra.judged ? { judged: ctx.plan.checkpoint.extra.judged } : {}),
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    ctx.dispose();
  }
}
