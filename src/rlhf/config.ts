import type { PresetName } from '../model/config';
import { DEFAULT_AGREEMENT } from '../tasks/labeler';
import { TASK_NAMES, type TaskName } from '../tasks/types';
import type { KlEstimator } from './math';

/**
 * Every knob of the pipeline, one typed object per stage, with its default in ONE place
 * (`DEFAULT_PIPELINE`). The UI, the share link and the headless runner read and write this object.
 */
interface PretrainConfig {
  steps: number;
  batchSize: number;
  seqLen: number; // training window (≤ the model's context length)
  lr: number;
  warmup: number;
  corpusDocs: number;
}

interface SftConfig {
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  demonstrations: number; // train prompts with a labeler demonstration
  /**
   * Share of demonstrations written with a human slip (Task.slip: a chatty line after the answer,
   * a lukewarm aside). 0 = perfect demonstrations, where SFT is already the labelers' ideal and
   * RLHF has little to add; InstructGPT's premise is that people judge better than they write.
   */
  slips: number;
}

export interface RewardConfig {
  steps: number;
  promptsPerBatch: number; // each prompt is ONE batch element holding all C(K,2) pairs
  k: number; // responses ranked per prompt, 4..9 as in the paper
  lr: number;
  trainPrompts: number;
  heldoutPrompts: number;
  /** where the K responses come from: all SFT samples ('samples'), half SFT samples + half task candidates ('mixed'), or all candidates */
  responses: 'samples' | 'mixed' | 'candidates';
}

export interface PpoConfig {
  iterations: number;
  rolloutBatch: number; // episodes per iteration
  minibatches: number; // per epoch
  epochs: number;
  lr: number;
  valueLr: number;
  /**
   * Optimizer steps of linear learning-rate warm-up (policy and value), then constant. Without it
   * Adam's first steps move every weight by ±lr whatever its gradient (m̂/√v̂ = sign(g) at step 1),
   * which knocks a small trained model far from SFT before PPO has learnt anything.
   */
  warmup: number;
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
  /**
   * What PPO maximises: the reward model ('model', RLHF) or the task's noise-free rubric ('rubric',
   * an oracle reward: the upper bound of what PPO can do with a perfect reward model).
   */
  reward: 'model' | 'rubric';
}

interface EvalConfig {
  testPrompts: number;
  pretrainWindows: number;
  /**
   * Which prompts the final evaluation judges: 'test' (reported results) or 'val' (a dev set of
   * validation prompts, the same size: tune on it, so the test split never chooses a setting).
   */
  split: 'test' | 'val';
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
  agreement: DEFAULT_AGREEMENT,
  pretrain: { steps: 300, batchSize: 16, seqLen: 64, lr: 3e-3, warmup: 30, corpusDocs: 4000 },
  sft: { steps: 350, batchSize: 16, lr: 1e-3, warmup: 20, demonstrations: 1024, slips: 0.5 },
  // trainPrompts 4000 = ONE pass of 500 steps × 8, the paper's: PPO did better against it than against
  // four passes over 1000 (dev seeds, README: Results).
  rm: { steps: 500, promptsPerBatch: 8, k: 6, lr: 1.3e-3, trainPrompts: 4000, heldoutPrompts: 256, responses: 'samples' },
  ppo: {
    // 20 iterations × 64 rollouts: on the tiny preset the labelers' score peaks around iterations
    // 10–25 and then falls while the RM score keeps rising (over-optimisation of a small RM).
    iterations: 20,
    rolloutBatch: 64,
    minibatches: 2,
    epochs: 1,
    lr: 3e-4,
    valueLr: 5e-4,
    warmup: 10,
    beta: 0.02,
    // k1 = log π − log π_SFT, the paper's penalty (and TRL's default). k3 is never negative but grows
    // like e^(ref − logp) on a token the policy samples far less likely than SFT would; its outliers
    // swamped the whitened advantages and the policy drifted (README: Results).
    klEstimator: 'k1',
    adaptiveKl: false,
    klTarget: 1,
    klHorizon: 2000,
    gamma: 1,
    lambda: 0.95,
    clip: 0.2,
    valueClip: 0.2,
    // γ_ptx. The paper's 27.8 assumes an SFT model close to D_pretrain; ours ends far from it
    // (held-out pretraining loss ~3.5–4 after SFT vs the base's ~1.1), so a large γ drags the policy
    // back to the base model and undoes RLHF; 0.01 still cuts the alignment tax (README: Results).
    ptxCoef: 0.01,
    ptxBatch: 8,
    temperature: 1,
    emaDecay: 0,
    probeEvery: 5,
    reward: 'model',
  },
  eval: { testPrompts: 256, pretrainWindows: 64, split: 'test' },
};

/**
 * Share links hold only the values that differ from the defaults, so changing a default would
 * change what old links mean. Every such change bumps DEFAULTS_GENERATION and records the values
 * the keys had before it; a link names its generation and decodes to its sender's exact setup
 * (src/share/linkSchema.ts, DefaultsChange). tests/unit/fixtures/defaults-generation-N.json holds
 * every generation in full, and a unit test fails when the defaults change without a new one.
 * Generation 1: the defaults until 2026-11-29.
 */
export const DEFAULTS_GENERATION = 4;
export const DEFAULTS_HISTORY: { generation: number; previous: Record<string, number | string | boolean> }[] = [
  // 2026-11-29: the tiny run had to fit 15 minutes on a slower 2-core machine (README: Results).
  { generation: 2, previous: { 'pretrain.steps': 600, 'sft.steps': 500, 'rm.lr': 0.001, 'rm.heldoutPrompts': 128, 'eval.testPrompts': 128 } },
  // 2026-11-29: the KL penalty k3 → k1 (the paper's): k3's outliers destabilised PPO (README: Results).
  { generation: 3, previous: { 'ppo.klEstimator': 'k3' } },
  // 2026-12-04: the RM trains one pass over its ranking sets (the paper's), not four (README: Results).
  { generation: 4, previous: { 'rm.trainPrompts': 1000 } },
];

/** What a setting means, its range, and (for enums) its values: shared by the settings UI, the link and the runner. */
export interface SettingSpec {
  min?: number;
  max?: number;
  integer?: boolean;
  values?: readonly string[];
  help: string;
}

/** Every tunable leaf of PipelineConfig by dotted key. */
export const PIPELINE_SETTINGS: Record<string, SettingSpec> = {
  task: {
    values: TASK_NAMES,
    help:
      'The built-in task: its corpus, prompts, demonstrations and labelers. A preset may set a step count per task ' +
      '(the Tiny preset pretrains sentiment 1 200 steps, instructions 300, and gives sentiment β 0.05 and 30 PPO ' +
      'iterations of 2 epochs); choosing a task moves those you have not changed.',
  },
  preset: { values: ['micro', 'tiny', 'small', 'larger'], help: 'Model size.' },
  seed: { min: 0, max: 2 ** 31 - 1, integer: true, help: 'Same seed, same backend: same run.' },
  agreement: { min: 0.55, max: 0.99, help: 'How often two simulated labelers agree on a pair (InstructGPT: about 0.73).' },
  'pretrain.steps': { min: 1, max: 100_000, integer: true, help: 'Optimizer steps of base-LM pretraining.' },
  'pretrain.batchSize': { min: 1, max: 256, integer: true, help: 'Windows of text per step.' },
  'pretrain.seqLen': { min: 8, max: 512, integer: true, help: 'Tokens per training window.' },
  'pretrain.lr': { min: 1e-6, max: 1e-1, help: 'Peak learning rate (warm-up, then cosine decay).' },
  'pretrain.warmup': { min: 0, max: 10_000, integer: true, help: 'Warm-up steps.' },
  'pretrain.corpusDocs': { min: 100, max: 100_000, integer: true, help: 'Documents in the generated pretraining corpus.' },
  'sft.steps': { min: 1, max: 100_000, integer: true, help: 'Optimizer steps of supervised fine-tuning.' },
  'sft.batchSize': { min: 1, max: 256, integer: true, help: 'Demonstrations per step.' },
  'sft.lr': { min: 1e-6, max: 1e-1, help: 'Peak SFT learning rate.' },
  'sft.warmup': { min: 0, max: 10_000, integer: true, help: 'Warm-up steps.' },
  'sft.demonstrations': { min: 8, max: 10_000, integer: true, help: 'Prompts the labelers write demonstrations for.' },
  'sft.slips': {
    min: 0,
    max: 1,
    help: "Share of demonstrations with a human slip (a chatty line after the answer): SFT copies it, the labelers' rankings do not reward it.",
  },
  'rm.steps': {
    min: 1,
    max: 100_000,
    integer: true,
    help:
      'Optimizer steps of reward-model training. Sets are drawn in shuffled passes; steps × prompts per batch / ranked prompts = passes over the data ' +
      '(the paper trains one: its RM overfits after that). The report gives the passes.',
  },
  'rm.promptsPerBatch': { min: 1, max: 128, integer: true, help: 'Prompts per step; each holds all C(K,2) pairs as ONE batch element.' },
  'rm.k': { min: 4, max: 9, integer: true, help: 'Responses ranked per prompt (the paper: 4 to 9).' },
  'rm.lr': { min: 1e-6, max: 1e-1, help: 'Reward-model learning rate.' },
  'rm.trainPrompts': { min: 8, max: 10_000, integer: true, help: 'Prompts ranked by the training labelers.' },
  'rm.heldoutPrompts': { min: 8, max: 10_000, integer: true, help: 'Prompts ranked by held-out labelers (accuracy only).' },
  'rm.responses': {
    values: ['samples', 'mixed', 'candidates'],
    help:
      'Where ranked responses come from: SFT samples (the paper), half SFT samples + half varied candidates, or candidates only. ' +
      'A labeler cannot order two equal texts, so where SFT gives fewer than K distinct answers ' +
      "the set is topped up with the task's candidates (the report gives the share that are SFT samples).",
  },
  'ppo.iterations': { min: 1, max: 10_000, integer: true, help: 'Rollout → score → update cycles.' },
  'ppo.rolloutBatch': { min: 2, max: 512, integer: true, help: 'Episodes (prompt → response) per iteration.' },
  'ppo.minibatches': { min: 1, max: 64, integer: true, help: 'Minibatches per epoch (the paper: 8 per batch).' },
  'ppo.epochs': { min: 1, max: 16, integer: true, help: 'Passes over each rollout batch (the paper: 1).' },
  'ppo.lr': { min: 1e-7, max: 1e-2, help: 'Policy learning rate.' },
  'ppo.valueLr': { min: 1e-7, max: 1e-2, help: 'Value-model learning rate.' },
  'ppo.warmup': {
    min: 0,
    max: 100_000,
    integer: true,
    help: 'Optimizer steps of linear learning-rate warm-up, then constant (a fresh Adam otherwise moves every weight by ±lr at once).',
  },
  'ppo.beta': { min: 0, max: 2, help: 'β: how far the policy may drift from SFT (per-token KL penalty; the paper: 0.02).' },
  'ppo.klEstimator': {
    values: ['k1', 'k3'],
    help:
      'KL estimator in the penalty: k1 = logp − ref (the paper’s; unbiased, a token can be negative); ' +
      'k3 = e^(ref−logp) − 1 − (ref−logp) (never negative, but one rare token can make it explode).',
  },
  'ppo.adaptiveKl': { values: ['false', 'true'], help: 'Adapt β toward a target KL (Ziegler et al.).' },
  'ppo.klTarget': { min: 0.01, max: 100, help: 'Target KL per response for the adaptive controller.' },
  'ppo.klHorizon': { min: 1, max: 1_000_000, integer: true, help: 'Horizon of the adaptive controller.' },
  'ppo.gamma': { min: 0, max: 1, help: 'Discount γ (InstructGPT: 1, no discount).' },
  'ppo.lambda': { min: 0, max: 1, help: 'GAE λ (the open trainers: 0.95).' },
  'ppo.clip': { min: 0.01, max: 1, help: 'PPO clip ε.' },
  'ppo.valueClip': { min: 0.01, max: 10, help: 'Value clip ε_v.' },
  'ppo.ptxCoef': { min: 0, max: 100, help: 'γ of PPO-ptx: weight of the pretraining log-likelihood (0 = plain PPO).' },
  'ppo.ptxBatch': { min: 1, max: 256, integer: true, help: 'Pretraining windows mixed into each PPO minibatch.' },
  'ppo.temperature': { min: 0.1, max: 2, help: 'Sampling temperature of rollouts (log-probs are recomputed at the same temperature).' },
  'ppo.emaDecay': {
    min: 0,
    max: 0.9999,
    help:
      "EMA of the policy's weights, updated after every policy optimizer step, evaluated instead of the policy (the paper: 0.992; 0 = off). " +
      "It starts at SFT: after n steps SFT still weighs decayⁿ (0.992: 73% after the tiny preset's 40 steps).",
  },
  'ppo.probeEvery': { min: 0, max: 10_000, integer: true, help: 'Iterations between held-out probe evaluations.' },
  'ppo.reward': {
    values: ['model', 'rubric'],
    help: "What PPO maximises: the reward model (RLHF), or the labelers' noise-free rubric (an oracle: what PPO could reach with a perfect reward model).",
  },
  'eval.testPrompts': { min: 8, max: 10_000, integer: true, help: 'Test prompts in the final evaluation.' },
  'eval.pretrainWindows': { min: 16, max: 10_000, integer: true, help: 'Held-out pretraining windows for the alignment tax.' },
  'eval.split': {
    values: ['test', 'val'],
    help:
      'Prompts the final evaluation judges: the test split (results you report) ' +
      'or a dev set of validation prompts (results you tune on, so the test split never picks a setting).',
  },
};

/** The problem with one setting's value, in words ('' when valid). */
export function settingProblem(key: string, value: unknown): string {
  const spec = PIPELINE_SETTINGS[key];
  if (!spec) return `unknown setting "${key}"`;
  if (spec.values) return spec.values.includes(String(value)) ? '' : `must be one of ${spec.values.join(', ')}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
  if (spec.integer && !Number.isInteger(value)) return 'must be a whole number';
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) return `must be between ${spec.min} and ${spec.max}`;
  return '';
}

/** Every problem of a whole config, as "key: problem" sentences. */
export function validatePipelineConfig(cfg: PipelineConfig): string[] {
  const out: string[] = [];
  for (const key of Object.keys(PIPELINE_SETTINGS)) {
    const value = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], cfg);
    const problem = settingProblem(key, typeof value === 'boolean' ? String(value) : value);
    if (problem) out.push(`${key} ${problem}`);
  }
  return out;
}
