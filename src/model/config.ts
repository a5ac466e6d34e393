import { VOCAB_SIZE } from './tokenizer';

/** The GPT's shape. One source of defaults: `PRESETS`. */
export interface GPTConfig {
  vocabSize: number;
  contextLength: number; // T_max: learned position embeddings exist for 0..T_max-1
  dModel: number; // C
  nLayer: number;
  nHead: number; // head size = dModel / nHead
  mlpRatio: number; // MLP hidden = mlpRatio * dModel
  dropout: number; // residual + attention dropout, training only
}

export type PresetName = 'micro' | 'tiny' | 'small' | 'larger';

/** micro is for tests; tiny is the default in the app; small/larger want a real GPU. */
export const PRESETS: Record<PresetName, GPTConfig> = {
  micro: { vocabSize: VOCAB_SIZE, contextLength: 64, dModel: 32, nLayer: 1, nHead: 2, mlpRatio: 4, dropout: 0 },
  tiny: { vocabSize: VOCAB_SIZE, contextLength: 64, dModel: 64, nLayer: 2, nHead: 4, mlpRatio: 4, dropout: 0 },
  small: { vocabSize: VOCAB_SIZE, contextLength: 128, dModel: 128, nLayer: 4, nHead: 4, mlpRatio: 4, dropout: 0.1 },
  larger: { vocabSize: VOCAB_SIZE, contextLength: 128, dModel: 256, nLayer: 6, nHead: 8, mlpRatio: 4, dropout: 0.1 },
};

/** Allowed ranges, shared by validation, the settings UI and the share link. */
export const GPT_LIMITS = {
  contextLength: { min: 8, max: 512 },
  dModel: { min: 8, max: 1024 },
  nLayer: { min: 1, max: 24 },
  nHead: { min: 1, max: 32 },
  mlpRatio: { min: 1, max: 8 },
  dropout: { min: 0, max: 0.9 },
} as const;

/** Returns the problems with a config as readable sentences (empty when valid). */
export function validateConfig(cfg: GPTConfig): string[] {
  const errors: string[] = [];
  for (const [key, { min, max }] of Object.entries(GPT_LIMITS)) {
    const v = cfg[key as keyof GPTConfig];
    if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`${key} must be a number`);
    else if (v < min || v > max) errors.push(`${key} must be between ${min} and ${max} (got ${v})`);
  }
  for (const key of ['contextLength', 'dModel', 'nLayer', 'nHead', 'mlpRatio'] as const) {
    if (!Number.isInteger(cfg[key])) errors.push(`${key} must be a whole number (got ${cfg[key]})`);
  }
  if (cfg.vocabSize !== VOCAB_SIZE) errors.push(`vocabSize must be ${VOCAB_SIZE} (the tokenizer's vocabulary)`);
  if (Number.isInteger(cfg.dModel) && Number.isInteger(cfg.nHead) && cfg.nHead > 0 && cfg.dModel % cfg.nHead !== 0)
    errors.push(`dModel (${cfg.dModel}) must be divisible by nHead (${cfg.nHead})`);
  return errors;
}

/** Parameter count (tied unembedding: wte is counted once). */
export function parameterCount(cfg: GPTConfig): number {
  const C = cfg.dModel;
  const H = cfg.mlpRatio * C;
  const block = 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + 2 * C + (C * H + H) + (H * C + C);
  return cfg.vocabSize * C + cfg.contextLength * C + cfg.nLayer * block + 2 * C;
}
