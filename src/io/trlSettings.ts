/**
 * A run's settings in TRL's config names (TRL 1.13: `SFTConfig`, `RewardConfig`, `RLOOConfig`), and
 * the settings TRL has no equivalent for, each with why. TRL 1.x has no PPO trainer; its online
 * trainer closest to InstructGPT's PPO is RLOO: the same clipped surrogate (`epsilon`) and the same
 * k1 KL penalty inside the reward (`beta`), with a leave-one-out baseline over `num_generations`
 * samples of a prompt instead of a value model and GAE. Pure: no DOM, no tfjs.
 */

import type { PipelineConfig } from '../rlhf/config';

/**
 * The app's AdamW settings (model/optim.ts ADAMW_DEFAULTS, every stage), written out because the page
 * does not load tfjs; a unit test holds the configs trlSettings writes equal to them.
 */
const APP_ADAMW = { beta1: 0.9, beta2: 0.95, weightDecay: 0.1, gradClip: 1.0 };

/** One setting as TRL knows it: where it comes from in the app, and what to know. */
interface Mapped {
  app: string;
  trl: string;
  value: number | string | boolean | Record<string, number>;
  note?: string;
}

/** A setting of the run with no TRL counterpart, and why. */
interface Unmapped {
  app: string;
  value: number | string | boolean;
  why: string;
}

export interface TrlSettings {
  trl_version: string;
  trainers: { sft: 'SFTTrainer'; reward: 'RewardTrainer'; policy: 'RLOOTrainer' };
  sft_config: Record<string, unknown>;
  reward_config: Record<string, unknown>;
  rloo_config: Record<string, unknown>;
  mapping: Mapped[];
  no_equivalent: Unmapped[];
}

/**
 * The TRL version the mapping was written and tested against (python/requirements.txt; a unit test
 * holds trl_version equal to the pin). The bundle's README names it.
 */
const TRL_VERSION = '1.13.0';

/** RLOO needs at least two samples per prompt for its leave-one-out baseline; PPO samples one. */
const RLOO_GENERATIONS = 4;

const pairs = (k: number) => (k * (k - 1)) / 2;

/**
 * The run's settings for TRL. `maxResponseTokens` is the task's longest response in tokens (EOS
 * included): the app's rollouts stop there, and so does TRL's `max_completion_length`.
 */
export function trlSettings(cfg: PipelineConfig, maxResponseTokens: number): TrlSettings {
  const { sft, rm, ppo } = cfg;
  const optimizer = { weight_decay: APP_ADAMW.weightDecay, adam_beta1: APP_ADAMW.beta1, adam_beta2: APP_ADAMW.beta2, max_grad_norm: APP_ADAMW.gradClip };
  const rmWarmup = Math.min(10, Math.floor(rm.steps / 10));
  const rmPairs = rm.promptsPerBatch * pairs(rm.k);
  // RLOO: a generation batch of rolloutBatch completions (rolloutBatch / G prompts), split into
  // `minibatches` optimizer steps, `epochs` times: PPO's iteration, with G samples per prompt.
  const minibatch = Math.max(1, Math.floor(ppo.rolloutBatch / ppo.minibatches));
  const mapping: Mapped[] = [
    { app: 'sft.lr', trl: 'SFTConfig.learning_rate', value: sft.lr },
    { app: 'sft.batchSize', trl: 'SFTConfig.per_device_train_batch_size', value: sft.batchSize, note: 'per process: divide by the number of GPUs' },
    { app: 'sft.steps', trl: 'SFTConfig.max_steps', value: sft.steps },
    { app: 'sft.warmup', trl: 'SFTConfig.warmup_steps', value: sft.warmup, note: 'then cosine decay, as the app' },
    { app: 'rm.lr', trl: 'RewardConfig.learning_rate', value: rm.lr, note: `warm-up of ${rmWarmup} steps, then cosine down to 0.1 × lr (cosine_with_min_lr)` },
    {
      app: 'rm.promptsPerBatch × C(rm.k, 2)',
      trl: 'RewardConfig.per_device_train_batch_size',
      value: rmPairs,
      note: `the app's batch is ${rm.promptsPerBatch} prompts, each with all ${pairs(rm.k)} pairs of its ${rm.k}-way ranking; TRL's is pairs`,
    },
    { app: 'rm.steps', trl: 'RewardConfig.max_steps', value: rm.steps },
    { app: 'ppo.beta', trl: 'RLOOConfig.beta', value: ppo.beta, note: 'the KL coefficient: reward − β·Σ_t (log π − log π_ref), k1, as the app' },
    { app: 'ppo.clip', trl: 'RLOOConfig.epsilon', value: ppo.clip },
    { app: 'ppo.lr', trl: 'RLOOConfig.learning_rate', value: ppo.lr },
    { app: 'ppo.warmup', trl: 'RLOOConfig.warmup_steps', value: ppo.warmup, note: 'then constant (constant_with_warmup), as the app' },
    { app: 'ppo.rolloutBatch / ppo.minibatches', trl: 'RLOOConfig.per_device_train_batch_size', value: minibatch },
    {
      app: 'ppo.minibatches',
      trl: 'RLOOConfig.steps_per_generation',
      value: ppo.minibatches,
      note:
        `so a generation batch is ${ppo.rolloutBatch} completions ` +
        `(${ppo.rolloutBatch / RLOO_GENERATIONS} prompts × ${RLOO_GENERATIONS} samples), as ppo.rolloutBatch`,
    },
    { app: 'ppo.epochs', trl: 'RLOOConfig.num_iterations', value: ppo.epochs },
    { app: 'ppo.iterations × ppo.minibatches × ppo.epochs', trl: 'RLOOConfig.max_steps', value: ppo.iterations * ppo.minibatches * ppo.epochs },
    { app: 'ppo.temperature', trl: 'RLOOConfig.temperature', value: ppo.temperature },
    { app: "the task's longest response", trl: 'RLOOConfig.max_completion_length', value: maxResponseTokens },
    { app: 'AdamW (all stages)', trl: '*Config.weight_decay, adam_beta1, adam_beta2, max_grad_norm', value: optimizer },
    { app: 'dropout off in PPO', trl: 'RLOOConfig.disable_dropout', value: true },
  ];
  const no_equivalent: Unmapped[] = [
    { app: 'ppo.ptxCoef', value: ppo.ptxCoef, why: "PPO-ptx: TRL's online trainers have no pretraining-loss term (γ_ptx × LM loss on pretraining windows)" },
    { app: 'ppo.ptxBatch', value: ppo.ptxBatch, why: 'belongs to the ptx term' },
    { app: 'ppo.gamma', value: ppo.gamma, why: 'RLOO has no value model and no GAE: its baseline is the mean reward of the other samples of the prompt' },
    { app: 'ppo.lambda', value: ppo.lambda, why: 'GAE λ: as ppo.gamma' },
    { app: 'ppo.valueLr', value: ppo.valueLr, why: 'no value model in RLOO (the bundle still has the value model, value/)' },
    { app: 'ppo.valueClip', value: ppo.valueClip, why: 'no value model in RLOO' },
    { app: 'ppo.adaptiveKl', value: ppo.adaptiveKl, why: 'TRL 1.x has no adaptive KL controller: β is fixed' },
    { app: 'ppo.klTarget', value: ppo.klTarget, why: 'adaptive KL only' },
    { app: 'ppo.klHorizon', value: ppo.klHorizon, why: 'adaptive KL only' },
    {
      app: 'ppo.klEstimator',
      value: ppo.klEstimator,
      why: ppo.klEstimator === 'k1' ? 'RLOO uses k1 too: nothing to set' : "RLOO's penalty is k1; the run's k3 cannot be chosen",
    },
    {
      app: 'ppo.emaDecay',
      value: ppo.emaDecay,
      why: 'TRL keeps no EMA of the policy for evaluation (sync_ref_model moves the reference, which is another thing)',
    },
    { app: 'ppo.reward', value: ppo.reward, why: "'rubric' is the simulated labelers' rubric, which lives in the app; TRL trains against reward/" },
    {
      app: `${RLOO_GENERATIONS} samples per prompt`,
      value: RLOO_GENERATIONS,
      why: 'PPO samples one answer per prompt; RLOO needs ≥ 2 (num_generations) for its baseline',
    },
    {
      app: 'rm K-way loss',
      value: rm.k,
      why:
        "the app's reward model takes all C(K,2) pairs of a ranking as ONE batch element; " +
        "TRL's RewardTrainer sees pairs, so rankings are expanded to pairs and shuffled apart",
    },
    {
      app: 'rm bias shift',
      value: true,
      why:
        "the app shifts the RM's bias so demonstrations score 0; in the bundle that bias is folded into ln_f (see README); " +
        "TRL's center_rewards_coefficient is a different regulariser",
    },
    {
      app: 'agreement',
      value: cfg.agreement,
      why: "the simulated labelers (training and held-out) live in the app: compare a TRL policy with the app's held-out labelers by importing it back",
    },
    { app: 'rm.responses', value: rm.responses, why: 'how the app drew the responses it ranked; the rankings themselves are in the bundle' },
    { app: 'sft.slips', value: sft.slips, why: 'how the simulated labelers wrote demonstrations; the demonstrations themselves are in the bundle' },
    { app: 'pretrain.*', value: cfg.pretrain.steps, why: 'pretraining runs in the app only; the bundle starts from the SFT model' },
  ];
  return {
    trl_version: TRL_VERSION,
    trainers: { sft: 'SFTTrainer', reward: 'RewardTrainer', policy: 'RLOOTrainer' },
    sft_config: {
      learning_rate: sft.lr,
      per_device_train_batch_size: sft.batchSize,
      max_steps: sft.steps,
      warmup_steps: sft.warmup,
      lr_scheduler_type: 'cosine',
      completion_only_loss: true,
      ...optimizer,
    },
    reward_config: {
      learning_rate: rm.lr,
      per_device_train_batch_size: rmPairs,
      max_steps: rm.steps,
      warmup_steps: rmWarmup,
      lr_scheduler_type: 'cosine_with_min_lr',
      lr_scheduler_kwargs: { min_lr_rate: 0.1 },
      disable_dropout: true,
      ...optimizer,
    },
    rloo_config: {
      beta: ppo.beta,
      epsilon: ppo.clip,
      learning_rate: ppo.lr,
      warmup_steps: ppo.warmup,
      lr_scheduler_type: 'constant_with_warmup',
      num_generations: RLOO_GENERATIONS,
      per_device_train_batch_size: minibatch,
      steps_per_generation: ppo.minibatches,
      num_iterations: ppo.epochs,
      max_steps: ppo.iterations * ppo.minibatches * ppo.epochs,
      temperature: ppo.temperature,
      top_p: 1,
      max_completion_length: maxResponseTokens,
      disable_dropout: true,
      ...optimizer,
    },
    mapping,
    no_equivalent,
  };
}
