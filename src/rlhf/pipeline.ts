import { GPT } from '../model/gpt';
import { PRESETS, validateConfig } from '../model/config';
import { getTask } from '../tasks';
import { createLabelerPool, poolAgreement, type LabelerAgreement } from '../tasks/labeler';
import { sampleWindows } from '../train/batches';
import { Rng } from '../util/rng';
import { LM_CHECKPOINT_EVERY } from '../train/autosave';
import { runLMLoop, type LMLoopAutosave, type LMLoopCursor, type LMLoopResume, type StageHooks } from '../train/lmLoop';
import { stageIndex, type StageName } from './stages';
import type { AdapterSummary, BackendName } from '../engine/backend';
import type { PipelineConfig } from './config';
import { setupProblems } from './promptNeeds';
import { pipelineData } from './pipelineData';
import { layoutFor, type SequenceLayout } from './sequences';
import { sftBatch } from './sft';
import { rankingAccuracy, rankSets, rubricAccuracy, trainRewardModel, type RankedSet } from './rewardModel';
import { responseSets } from './responseSets';
import { ScalarModel } from './scalarModel';
import { runPpo, type PpoIterationLog, type PpoState } from './ppo';
import { modelFromWeights, modelWeights, optimizerState, restoreOptimizer, type Weights } from './snapshot';
import { evaluate, type EvalResult } from './evaluate';

/** What a finished run reports: every stage's summary and the final evaluation (the runner's JSON). */
export interface PipelineReport {
  task: string;
  preset: string;
  seed: number;
  backend: BackendName;
  adapter: { vendor: string; architecture: string; isFallback: boolean } | null;
  config: PipelineConfig;
  stages: {
    pretrain: { steps: number; loss_first: number; loss_last: number; seconds: number };
    sft: { steps: number; loss_first: number; loss_last: number; seconds: number };
    /** rubric_heldout_accuracy: the noise-free rubric's accuracy on the same held-out rankings — what a perfect RM would reach */
    rm: {
      steps: number;
      /** passes over the training ranking sets (steps × prompts per batch / sets) */
      passes?: number;
      /** share of the ranked responses sampled from SFT (the rest: the task's candidates, where SFT gave fewer than K distinct answers) */
      sampled_share?: number;
      train_accuracy: number;
      /** against the held-out labelers */
      heldout_accuracy: number;
      /** on the same held-out prompts, against the training labelers */
      heldout_accuracy_train_labelers?: number;
      rubric_heldout_accuracy?: number;
      labeler_agreement?: LabelerAgreement;
      /** training only */
      seconds: number;
      /** sampling the training and held-out ranking sets from SFT */
      sampling_seconds?: number;
      loss_first: number;
      loss_last: number;
      /** means of ten equal slices of the training losses */
      loss_curve?: number[];
    };
    ppo: { iterations: number; reward_first: number; reward_last: number; kl_last: number; seconds: number; skipped_updates: number; ema_updates?: number; log: PpoIterationLog[] };
  };
  eval: {
    prompts: number;
    /** measured on ranking sets the noise was not calibrated on (before 2026-12: one number, the mean over all pairs of labelers on the calibration sets) */
    labeler_agreement: LabelerAgreement | null;
    labeler_score: { base: number; sft: number; ppo: number };
    winrate_ppo_vs_sft: number;
    /** 95% interval over the evaluation prompts */
    winrate_ci95?: [number, number];
    /** which prompts were judged: 'test', or 'val' (a dev set, for tuning) */
    split?: 'test' | 'val';
    pretrain_loss: { base: number; sft: number; ppo: number };
    samples: EvalResult['samples'];
  };
  seconds: number;
}

export interface PipelineHooks {
  stage(stage: StageName | 'eval', state: 'running' | 'done', message?: string): void;
  hooksFor(stage: StageName): StageHooks;
  shouldStop(): boolean;
  /**
   * Autosave: called at the end of each stage (final), every `ppoCheckpointEvery` PPO iterations
   * and every `lmCheckpointEvery` pretraining and SFT steps (0 = only at the stage's end).
   */
  checkpoint?(c: PipelineCheckpoint): Promise<void>;
  ppoCheckpointEvery?: number;
  lmCheckpointEvery?: number;
}

/**
 * What a checkpoint holds: the models so far, and in `extra` the summaries of finished stages,
 * the held-out ranking sets (for the final agreement measure) and, mid-PPO, the PPO state.
 * Resuming from it continues the run exactly as if it had never stopped (same seed, same backend).
 */
export interface PipelineCheckpoint {
  stage: StageName;
  step: number;
  final: boolean;
  models: Record<string, Weights>;
  optimizer?: Record<string, Weights>;
  rng?: Record<string, number>;
  extra: CheckpointExtra;
}

interface CheckpointExtra {
  summaries: Partial<PipelineReport['stages']>;
  heldoutSets?: { prompt: string; responses: string[] }[];
  ppo?: Omit<PpoState, 'policyOpt' | 'valueOpt' | 'rng'>;
  /** mid-pretraining or mid-SFT: the loop's cursor (its PRNG state is in `rng.lm`, AdamW in `optimizer.lm`) */
  lm?: Omit<LMLoopCursor, 'rng'>;
  /** a run started from an imported SFT model (base = sft = its weights): what was imported */
  imported?: string;
}

/** Training ranking sets the labelers' agreement is measured on. */
const AGREEMENT_SETS = 128;


const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const first10 = (xs: number[]) => mean(xs.slice(0, 10));
const last10 = (xs: number[]) => mean(xs.slice(-10));
/** A loss curve for the report: the means of ten equal slices (fewer when there are fewer losses). */
const curve = (xs: number[]) => {
  const n = Math.min(10, xs.length);
  return Array.from({ length: n }, (_, i) => mean(xs.slice(Math.floor((i * xs.length) / n), Math.floor(((i + 1) * xs.length) / n))));
};

export class StoppedError extends Error {
  constructor() {
    super('The run was stopped.');
  }
}

/**
 * The user's own labels (written in the labeling view or imported as JSONL). 'mix' adds them to the
 * simulated labelers' data; 'replace' uses only them for that stage (when there are any).
 * Rankings are best first; only those with exactly K = rm.k responses join a K-way batch (a batch
 * element holds one prompt's C(K,2) pairs, so K must be uniform within the stage).
 */
export interface UserData {
  demonstrations: { prompt: string; completion: string }[];
  rankings: { prompt: string; ranking: string[] }[];
  mode: 'mix' | 'replace';
}

/**
 * The InstructGPT pipeline in stage order — the same code under the UI, the headless runner and
 * the tests:  0 pretrain → 1 SFT → 2 reward model → 3 PPO-ptx → evaluation.
 * Prompt splits: the task's train prompts are divided between SFT demonstrations, RM rankings and
 * PPO (disjoint, as in the paper); validation prompts give the RM's held-out rankings and the PPO
 * probe; test prompts are only used by the final evaluation.
 */
export async function runPipeline(
  cfg: PipelineConfig,
  engine: { backend: BackendName; adapter: AdapterSummary | null },
  hooks: PipelineHooks,
  resume?: PipelineCheckpoint,
  userData?: UserData,
): Promise<PipelineReport> {
  const start = performance.now();
  const task = getTask(cfg.task);
  const modelCfg = PRESETS[cfg.preset];
  const layout: SequenceLayout = layoutFor(task.maxPromptLength, task.maxResponseLength);
  const problems = [...setupProblems(cfg), ...validateConfig(modelCfg)];
  if (layout.P + layout.R > modelCfg.contextLength) problems.push(`the ${cfg.preset} preset's context (${modelCfg.contextLength}) is shorter than the task's prompt + response (${layout.P + layout.R})`);
  if (problems.length) throw new Error(`Invalid setup: ${problems.join('; ')}`);
  const seqLen = Math.min(cfg.pretrain.seqLen, modelCfg.contextLength);

  // Data: corpora, prompt splits, demonstrations (src/rlhf/pipelineData.ts), then labelers.
  const rng = new Rng(cfg.seed);
  const { stream, heldoutWindows, rmPrompts, ppoPrompts, rmHeldoutPrompts, probePrompts, samplePrompts, evalPrompts, demos: simulatedDemos } = pipelineData(cfg, task, rng, seqLen);
  /**
   * The labelers' noise is calibrated on the response sets they actually judge (the held-out
   * ranking sets: SFT samples), so they agree `cfg.agreement` of the time on THIS data —
   * calibrated on easier sets they would be noisier here than configured. Their agreement is then
   * MEASURED on other sets (training ranking sets), as the paper measures it.
   */
  const labelers = (sets: { prompt: string; responses: string[] }[]) => createLabelerPool(task, { agreement: cfg.agreement, seed: cfg.seed, sets });
  const userDemos = (userData?.demonstrations ?? []).map((d) => ({ prompt: d.prompt, response: d.completion }));
  const demos = userDemos.length && userData?.mode === 'replace' ? userDemos : [...simulatedDemos, ...userDemos];
  const userRankings: RankedSet[] = (userData?.rankings ?? []).filter((r) => r.ranking.length === cfg.rm.k).map((r) => ({ prompt: r.prompt, responses: r.ranking, labelerId: 'you' }));

  const check = () => {
    if (hooks.shouldStop()) throw new StoppedError();
  };
  const models: GPT[] = [];
  const own = <M extends { dispose(): void }>(m: M) => (models.push(m as unknown as GPT), m);
  const summaries: Partial<PipelineReport['stages']> = { ...(resume?.extra.summaries ?? {}) };
  const done = (stage: StageName) => !!resume && (stageIndex(stage) < stageIndex(resume.stage) || (stage === resume.stage && resume.final));
  const restored = (name: string) => {
    const w = resume?.models[name];
    if (!w) throw new Error(`the checkpoint has no "${name}" model`);
    return own(modelFromWeights(modelCfg, w));
  };
  const save = async (c: Omit<PipelineCheckpoint, 'extra'> & { extra?: Partial<CheckpointExtra> }) => {
    if (hooks.checkpoint) await hooks.checkpoint({ ...c, extra: { summaries: { ...summaries }, heldoutSets, ...c.extra } });
  };
  let heldoutSets = resume?.extra.heldoutSets;
  let pool = heldoutSets ? labelers(heldoutSets) : null;
  // Mid-stage autosave of pretraining and SFT: the stage's models, AdamW state and loop cursor.
  const lmAutosave = (stage: 'pretrain' | 'sft', models: () => Promise<Record<string, Weights>>, trained: GPT): LMLoopAutosave | undefined =>
    hooks.checkpoint
      ? {
          every: hooks.lmCheckpointEvery ?? LM_CHECKPOINT_EVERY,
          save: async ({ rng: lmRng, ...cursor }, optimizer) =>
            save({ stage, step: cursor.step, final: false, models: await models(), optimizer: { lm: await optimizerState(optimizer, trained.params) }, rng: { lm: lmRng }, extra: { lm: cursor } }),
        }
      : undefined;
  const midStage = (stage: 'pretrain' | 'sft') => resume?.stage === stage && !resume.final;
  const lmResume = (model: GPT): LMLoopResume => {
    const c = resume!.extra.lm;
    if (!c || resume!.rng?.lm === undefined || !resume!.optimizer?.lm) throw new Error(`the ${resume!.stage} checkpoint at step ${resume!.step} has no training state to resume from`);
    return { cursor: { ...c, rng: resume!.rng.lm }, restore: (opt) => restoreOptimizer(opt, model.params, resume!.optimizer!.lm) };
  };
  try {
    // 0. pretraining
    let base: GPT;
    if (done('pretrain')) base = restored('base');
    else {
      const mid = midStage('pretrain');
      hooks.stage('pretrain', 'running', mid ? `resuming at step ${resume!.step}` : undefined);
      base = mid ? restored('base') : own(GPT.create(modelCfg, cfg.seed));
      const pre = await runLMLoop(
        base,
        (r) => sampleWindows(stream, cfg.pretrain.batchSize, seqLen, r),
        { steps: cfg.pretrain.steps, lr: cfg.pretrain.lr, warmup: cfg.pretrain.warmup, minLrRatio: 0.1, seed: cfg.seed, logEvery: 10, sampleEvery: Math.max(10, Math.round(cfg.pretrain.steps / 4)), samplePrompts, sampleMaxTokens: layout.R },
        hooks.hooksFor('pretrain'),
        lmAutosave('pretrain', async () => ({ base: await modelWeights(base) }), base),
        mid ? lmResume(base) : undefined,
      );
      check();
      summaries.pretrain = { steps: pre.steps, loss_first: first10(pre.losses), loss_last: last10(pre.losses), seconds: pre.seconds };
      await save({ stage: 'pretrain', step: pre.steps, final: true, models: { base: await modelWeights(base) } });
    }
    const imported = resume?.extra.imported ? `skipped: started from the imported model ${resume.extra.imported}` : '';
    hooks.stage('pretrain', 'done', imported || `${summaries.pretrain!.steps} steps, loss ${summaries.pretrain!.loss_last.toFixed(3)}`);

    // 1. SFT on demonstrations (loss on response tokens only)
    let sft: GPT;
    if (done('sft')) sft = restored('sft');
    else {
      const mid = midStage('sft');
      hooks.stage('sft', 'running', mid ? `resuming at step ${resume!.step}` : undefined);
      sft = mid ? restored('sft') : own(base.clone());
      const sftRun = await runLMLoop(
        sft,
        (r) => sftBatch(layout, demos, cfg.sft.batchSize, r),
        { steps: cfg.sft.steps, lr: cfg.sft.lr, warmup: cfg.sft.warmup, minLrRatio: 0.1, seed: cfg.seed + 1, logEvery: 10, sampleEvery: Math.max(10, Math.round(cfg.sft.steps / 3)), samplePrompts, sampleMaxTokens: layout.R },
        hooks.hooksFor('sft'),
        lmAutosave('sft', async () => ({ base: await modelWeights(base), sft: await modelWeights(sft) }), sft),
        mid ? lmResume(sft) : undefined,
      );
      check();
      summaries.sft = { steps: sftRun.steps, loss_first: first10(sftRun.losses), loss_last: last10(sftRun.losses), seconds: sftRun.seconds };
      await save({ stage: 'sft', step: sftRun.steps, final: true, models: { base: await modelWeights(base), sft: await modelWeights(sft) } });
    }
    hooks.stage('sft', 'done', imported || `${summaries.sft!.steps} steps, loss ${summaries.sft!.loss_last.toFixed(3)}`);

    // 2. reward model on K-way rankings by the training labelers
    let reward: ScalarModel;
    if (done('rm')) reward = own(new ScalarModel(restored('reward')));
    else {
      hooks.stage('rm', 'running', 'sampling responses to rank…');
      const setRng = rng.fork('rm-sets');
      const samplingStart = performance.now();
      const trainSets = await responseSets(sft, task, rmPrompts, cfg.rm.k, cfg.rm.responses, layout, setRng);
      const heldoutSetsNow = await responseSets(sft, task, rmHeldoutPrompts, cfg.rm.k, cfg.rm.responses, layout, setRng);
      heldoutSets = heldoutSetsNow;
      const samplingSeconds = (performance.now() - samplingStart) / 1000;
      pool = labelers(heldoutSets);
      const labelRng = rng.fork('labels');
      const train = userRankings.length && userData?.mode === 'replace' ? userRankings : [...rankSets(task, pool.train, trainSets, labelRng), ...userRankings];
      const heldout = rankSets(task, pool.heldOut, heldoutSets, labelRng);
      const rmRun = await trainRewardModel(
        sft,
        layout,
        { train, heldout, demos: demos.slice(0, 128) },
        cfg.rm,
        cfg.seed + 2,
        hooks.hooksFor('rm'),
      );
      reward = own(rmRun.rm);
      check();
      // The paper's two held-out numbers: the RM against the training labelers and against held-out
      // labelers, on the same held-out prompts (72.4% vs 69.6% there).
      const heldoutByTrainLabelers = rankSets(task, pool.train, heldoutSetsNow, rng.fork('heldout-train-labels'));
      const sets = [...trainSets, ...heldoutSetsNow];
      summaries.rm = {
        steps: rmRun.steps,
        passes: (rmRun.steps * cfg.rm.promptsPerBatch) / train.length,
        sampled_share: sets.reduce((a, s) => a + s.sampled, 0) / sets.reduce((a, s) => a + s.responses.length, 0),
        train_accuracy: rmRun.trainAccuracy,
        heldout_accuracy: rmRun.heldoutAccuracy,
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
      await save({ stage: 'rm', step: rmRun.steps, final: true, models: { base: await modelWeights(base), sft: await modelWeights(sft), reward: await modelWeights(reward.backbone) } });
    }
    hooks.stage('rm', 'done', `held-out accuracy ${(100 * summaries.rm!.heldout_accuracy).toFixed(1)}%`);

    // 3. PPO-ptx against the RM; the value model starts from the RM; the SFT model is the frozen reference.
    const midPpo = resume?.stage === 'ppo' && !resume.final;
    const policy = midPpo ? restored('policy') : own(sft.clone());
    const value = midPpo ? own(new ScalarModel(restored('value'))) : own(reward.clone());
    const ema = cfg.ppo.emaDecay > 0 ? (midPpo && resume!.models.ema ? restored('ema') : own(policy.clone())) : undefined;
    let ppoResume: PpoState | undefined;
    if (midPpo) {
      const st = resume!.extra.ppo!;
      ppoResume = { ...st, rng: resume!.rng!.ppo, policyOpt: resume!.optimizer!.policy, valueOpt: resume!.optimizer!.value };
    }
    hooks.stage('ppo', 'running', midPpo ? `resuming at iteration ${ppoResume!.iteration}` : undefined);
    const fixed = async () => ({ base: await modelWeights(base), sft: await modelWeights(sft), reward: await modelWeights(reward.backbone) });
    const ppoRun = await runPpo(
      { policy, ref: sft, rm: reward, value, ema },
      { task, layout, trainPrompts: ppoPrompts, probePrompts, probeLabelers: pool!.heldOut, pretrainStream: stream, ptxSeqLen: seqLen, seed: cfg.seed + 3 },
      cfg.ppo,
      hooks.hooksFor('ppo'),
      hooks.checkpoint
        ? {
            every: hooks.ppoCheckpointEvery ?? 10,
            save: async ({ policyOpt, valueOpt, rng: ppoRng, ...state }) =>
              save({
                stage: 'ppo',
                step: state.iteration,
                final: false,
                models: { ...(await fixed()), policy: await modelWeights(policy), value: await modelWeights(value.backbone), ...(ema ? { ema: await modelWeights(ema) } : {}) },
                optimizer: { policy: policyOpt, value: valueOpt },
                rng: { ppo: ppoRng },
                extra: { ppo: state },
              }),
          }
        : undefined,
      ppoResume,
    );
    if (ppoRun.failed) throw new Error(ppoRun.failed);
    check();
    const rewards = ppoRun.log.map((l) => l.reward);
    const last = ppoRun.log[ppoRun.log.length - 1];
    summaries.ppo = { iterations: ppoRun.iterations, reward_first: first10(rewards), reward_last: last10(rewards), kl_last: last?.kl ?? NaN, seconds: ppoRun.seconds + (ppoResume ? (resume!.extra.summaries.ppo?.seconds ?? 0) : 0), skipped_updates: ppoRun.skipped, ema_updates: ppoRun.emaUpdates, log: ppoRun.log };
    await save({ stage: 'ppo', step: ppoRun.iterations, final: true, models: { ...(await fixed()), policy: await modelWeights(policy), value: await modelWeights(value.backbone), ...(ema ? { ema: await modelWeights(ema) } : {}) } });
    hooks.stage('ppo', 'done', `${ppoRun.iterations} iterations, reward ${first10(rewards).toFixed(2)} → ${last10(rewards).toFixed(2)}`);

    // Evaluation on test prompts with held-out labelers.
    hooks.stage('eval', 'running');
    const ev = await evaluate(
      { base, sft, ppo: ema ?? policy }, // the EMA policy when enabled, as in the paper
      { task, layout, prompts: evalPrompts, pool: pool!, heldoutWindows, seed: cfg.seed + 4, temperature: cfg.ppo.temperature },
    );
    hooks.stage('eval', 'done');

    return {
      task: cfg.task,
      preset: cfg.preset,
      seed: cfg.seed,
      backend: engine.backend,
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
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    for (const m of models) m.dispose();
  }
}
