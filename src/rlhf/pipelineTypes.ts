import type { LabelerAgreement } from '../tasks/labeler';
import type { LMLoopCursor, StageHooks } from '../train/lmLoop';
import type { StageName } from './stages';
import type { BackendName } from '../engine/backend';
import type { PipelineConfig } from './config';
import type { PpoIterationLog, PpoState } from './ppo';
import type { Weights } from './snapshot';
import type { EvalResult } from './evaluate';

/** The pipeline's interface types: its report, its hooks, its checkpoints and the user's labels. */

/** What a finished run reports: every stage's summary and the final evaluation (the runner's JSON). */
export interface PipelineReport {
  task: string;
  preset: string;
  seed: number;
  backend: BackendName;
  /** on wasm: the workers each pretraining, SFT and RM step was split across (train/dataParallel.ts); absent in older reports (1) */
  wasm_workers?: number;
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
      /** 95% interval of heldout_accuracy over the held-out prompts (mean ± 1.96·s/√n of the per-prompt accuracies) */
      heldout_accuracy_ci95?: [number, number];
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
    ppo: {
      iterations: number;
      reward_first: number;
      reward_last: number;
      kl_last: number;
      seconds: number;
      skipped_updates: number;
      ema_updates?: number;
      log: PpoIterationLog[];
    };
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
  /** a judge run: `eval` is an imported policy's, in place of the PPO policy of the run named here (judgedStart.ts) */
  judged?: JudgedPolicy;
  seconds: number;
}

/**
 * An imported policy judged against a saved run: evaluated in place of the run's PPO policy, with
 * the run's seed, evaluation prompts and held-out labelers. `run_eval` is the run's own evaluation
 * (null when the run has none), kept so the comparison outlives the run.
 */
export interface JudgedPolicy {
  /** where the policy came from ("policy-trl/model.safetensors", "run.zip › policy") */
  policy: string;
  run_id: string;
  run_name: string;
  run_eval: PipelineReport['eval'] | null;
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

export interface CheckpointExtra {
  summaries: Partial<PipelineReport['stages']>;
  heldoutSets?: { prompt: string; responses: string[] }[];
  ppo?: Omit<PpoState, 'policyOpt' | 'valueOpt' | 'rng'>;
  /** mid-pretraining or mid-SFT: the loop's cursor (its PRNG state is in `rng.lm`, AdamW in `optimizer.lm`) */
  lm?: Omit<LMLoopCursor, 'rng'>;
  /** a run started from an imported SFT model (base = sft = its weights): what was imported */
  imported?: string;
  /** an imported policy in place of the run's PPO policy: only the evaluation runs, and its report says so */
  judged?: JudgedPolicy;
  /** in the reward model's final checkpoint only: the data the run trained on, for "Continue in TRL" */
  runData?: RunData;
}

/**
 * What a run trained on and is judged on, kept so a saved run can be continued elsewhere (TRL):
 * the SFT demonstrations (the user's included), the K-way rankings best first (training: by the
 * training labelers and the user; held-out: by the held-out labelers), and the prompts of each split.
 * Runs saved before it was kept lack it.
 */
export interface RunData {
  demonstrations: { prompt: string; completion: string }[];
  rankings: { train: { prompt: string; ranking: string[] }[]; heldout: { prompt: string; ranking: string[] }[] };
  /** train: the PPO prompts; val: the dev set, the probe and the RM held-out prompts; test: every test prompt */
  prompts: { train: string[]; val: string[]; test: string[] };
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
