import type { GPT } from '../model/gpt';
import { PRESETS, validateConfig, type GPTConfig } from '../model/config';
import { getTask } from '../tasks';
import type { Task } from '../tasks/types';
import { createLabelerPool, type LabelerPool } from '../tasks/labeler';
import { Rng } from '../util/rng';
import type { PipelineConfig } from './config';
import { setupProblems } from './promptNeeds';
import { pipelineData, type PipelineData } from './pipelineData';
import { layoutFor, type SequenceLayout } from './sequences';
import type { RankedSet } from './rewardModel';
import { modelFromWeights } from './snapshot';
import { resumePlan, type ResumePlan } from './resumePlan';
import type { CheckpointExtra, PipelineCheckpoint, PipelineHooks, PipelineReport, UserData } from './pipelineTypes';

export class StoppedError extends Error {
  constructor() {
    super('The run was stopped.');
  }
}

/**
 * Everything the stages of one run share: the setup, the data drawn from the seed, the labelers,
 * the resume plan, the finished stages' summaries, and the run's models (disposed at its end).
 * Built once by `runContext`, before any model exists; each stage function takes it.
 */
export interface RunContext {
  cfg: PipelineConfig;
  task: Task;
  modelCfg: GPTConfig;
  layout: SequenceLayout;
  /** pretraining window (≤ the model's context) */
  seqLen: number;
  /** the run's root stream: stages fork named streams from it */
  rng: Rng;
  data: PipelineData;
  /** simulated demonstrations with the user's own, as userData.mode says */
  demos: { prompt: string; response: string }[];
  /** the user's rankings with exactly rm.k responses */
  userRankings: RankedSet[];
  userMode: UserData['mode'] | undefined;
  hooks: PipelineHooks;
  plan: ResumePlan;
  summaries: Partial<PipelineReport['stages']>;
  /** the held-out ranking sets (the labelers' noise is calibrated on them), once the RM stage drew them */
  heldoutSets?: { prompt: string; responses: string[] }[];
  /** the labelers, calibrated on heldoutSets */
  pool?: LabelerPool;
  /** the run owns this model: it is disposed when the run ends */
  own<M extends { dispose(): void }>(m: M): M;
  /** a model restored from the checkpoint, owned by the run */
  restored(name: string): GPT;
  /** autosave (when the caller keeps checkpoints), with the summaries and held-out sets so far */
  save(c: Omit<PipelineCheckpoint, 'extra'> & { extra?: Partial<CheckpointExtra> }): Promise<void>;
  /** throws StoppedError when the user stopped the run */
  check(): void;
  dispose(): void;
}

export function runContext(cfg: PipelineConfig, hooks: PipelineHooks, resume?: PipelineCheckpoint, userData?: UserData): RunContext {
  const task = getTask(cfg.task);
  const modelCfg = PRESETS[cfg.preset];
  const layout = layoutFor(task.maxPromptLength, task.maxResponseLength);
  const problems = [...setupProblems(cfg), ...validateConfig(modelCfg)];
  if (layout.P + layout.R > modelCfg.contextLength)
    problems.push(`the ${cfg.preset} preset's context (${modelCfg.contextLength}) is shorter than the task's prompt + response (${layout.P + layout.R})`);
  if (problems.length) throw new Error(`Invalid setup: ${problems.join('; ')}`);
  const seqLen = Math.min(cfg.pretrain.seqLen, modelCfg.contextLength);

  // Data: corpora, prompt splits, demonstrations (src/rlhf/pipelineData.ts), then labelers.
  const rng = new Rng(cfg.seed);
  const data = pipelineData(cfg, task, rng, seqLen);
  const userDemos = (userData?.demonstrations ?? []).map((d) => ({ prompt: d.prompt, response: d.completion }));
  const demos = userDemos.length && userData?.mode === 'replace' ? userDemos : [...data.demos, ...userDemos];
  const userRankings: RankedSet[] = (userData?.rankings ?? [])
    .filter((r) => r.ranking.length === cfg.rm.k)
    .map((r) => ({ prompt: r.prompt, responses: r.ranking, labelerId: 'you' }));

  const plan = resumePlan(resume);
  const models: { dispose(): void }[] = [];
  const ctx: RunContext = {
    cfg,
    task,
    modelCfg,
    layout,
    seqLen,
    rng,
    data,
    demos,
    userRankings,
    userMode: userData?.mode,
    hooks,
    plan,
    summaries: { ...(resume?.extra.summaries ?? {}) },
    heldoutSets: resume?.extra.heldoutSets,
    own: (m) => (models.push(m), m),
    restored: (name) => ctx.own(modelFromWeights(modelCfg, plan.weights(name))),
    save: async (c) => {
      if (hooks.checkpoint) await hooks.checkpoint({ ...c, extra: { summaries: { ...ctx.summaries }, heldoutSets: ctx.heldoutSets, ...c.extra } });
    },
    check: () => {
      if (hooks.shouldStop()) throw new StoppedError();
    },
    dispose: () => {
      for (const m of models) m.dispose();
    },
  };
  if (ctx.heldoutSets) ctx.pool = labelers(ctx, ctx.heldoutSets);
  return ctx;
}

/**
 * The labelers' noise is calibrated on the response sets they actually judge (the held-out
 * ranking sets: SFT samples), so they agree `cfg.agreement` of the time on THIS data —
 * calibrated on easier sets they would be noisier here than configured. Their agreement is then
 * MEASURED on other sets (training ranking sets), as the paper measures it.
 */
export function labelers(ctx: RunContext, sets: { prompt: string; responses: string[] }[]): LabelerPool {
  return createLabelerPool(ctx.task, { agreement: ctx.cfg.agreement, seed: ctx.cfg.seed, sets });
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
/** The mean of the first ten losses (or rewards). */
export const first10 = (xs: number[]) => mean(xs.slice(0, 10));
/** The mean of the last ten. */
export const last10 = (xs: number[]) => mean(xs.slice(-10));
/** A loss curve for the report: the means of ten equal slices (fewer when there are fewer losses). */
export const curve = (xs: number[]) => {
  const n = Math.min(10, xs.length);
  return Array.from({ length: n }, (_, i) => mean(xs.slice(Math.floor((i * xs.length) / n), Math.floor(((i + 1) * xs.length) / n))));
};
