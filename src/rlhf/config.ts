import type { PresetName } from '../model/config';
import type { TaskName } from '../tasks/types';
import type { KlEstimator } from './math';

/**
 * Every knob of the pipeline, one typed object per stage, with its default in ONE place
 * (`DEFAULT_PIPELINE`). The UI, the share link and the headless runner read and write this object.
 */
export interface PretrainConfig {
  steps: number;
  batchSize: number;
  seqLen: number; // training window (≤ the model's context length)
  lr: number;
  warmup: number;
  corpusDocs: number;
}

export interface SftConfig {
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  demonstrations: number; // train prompts with a labeler demonstration
}

export interface RewardConfig {
  steps: number;
  promptsPerBatch: number; // each prompt is ONE batch element holding all C(K,2) pairs
  k: number; // responses ranked per prompt, 4..9 as in the paper
  lr: number;
  trainPrompts: number;
  heldoutPrompts: number;
  /** where the K responses come from: half SFT samples + half task candidates ('mixed'), or all candidates */
  responses: 'mixed' | 'candidates';
}

export interface PpoConfig {
  iterations: number;
  rolloutBatch: number; // episodes per iteration
  minibatches: number; // per epoch
  epochs: number;
  lr: number;
  valueLr: number;
  beta: number; // KL coefficient β
  klEstimator: KlEstimator;
  adaptiveKl: boolean;
  klTarget: number;
  klHorizon: number;
  gamma: number; // discount (1 in InstructGPT)
  lambda: number; // GAE λ
  clip: number; // ε
  valueClip: number; // ε_v
  ptxCoef: number; // γ of PPO-ptx; 0 = plain PPO
  ptxBatch: number; // pretraining windows per minibatch
  temperature: number; // sampling temperature (log-probs are recomputed at the same temperature)
  emaDecay: number; // EMA of policy weights for evaluation; 0 = off
  probeEvery: number;
}

export interface EvalConfig {
  testPrompts: number;
  pretrainWindows: number;
}

export interface PipelineConfig {
  task: TaskName;
  preset: PresetName;
  seed: number;
  agreement: number; // simulated labelers' pairwise agreement
  pretrain: PretrainConfig;
  sft: SftConfig;
  rm: RewardConfig;
  ppo: PpoConfig;
  eval: EvalConfig;
}

export const DEFAULT_PIPELINE: PipelineConfig = {
  task: 'instructions',
  preset: 'tiny',
  seed: 1,
  agreement: 0.73,
  pretrain: { steps: 600, batchSize: 16, seqLen: 64, lr: 3e-3, warmup: 30, corpusDocs: 4000 },
  sft: { steps: 300, batchSize: 16, lr: 1e-3, warmup: 20, demonstrations: 512 },
  rm: { steps: 150, promptsPerBatch: 8, k: 4, lr: 5e-4, trainPrompts: 384, heldoutPrompts: 64, responses: 'mixed' },
  ppo: {
    iterations: 40,
    rolloutBatch: 32,
    minibatches: 4,
    epochs: 1,
    lr: 2e-4,
    valueLr: 5e-4,
    beta: 0.02,
    klEstimator: 'k3',
    adaptiveKl: false,
    klTarget: 1,
    klHorizon: 2000,
    gamma: 1,
    lambda: 0.95,
    clip: 0.2,
    valueClip: 0.2,
    ptxCoef: 1,
    ptxBatch: 8,
    temperature: 1,
    emaDecay: 0,
    probeEvery: 5,
  },
  eval: { testPrompts: 64, pretrainWindows: 64 },
};
