import type { TrainSetup } from '../worker/protocol';

/** The one place the first screen's defaults live (the UI and the tests read them from here). */
export const DEFAULT_TRAIN_SETUP: TrainSetup = {
  task: 'instructions',
  preset: 'tiny',
  seed: 1,
  steps: 2000,
  batchSize: 16,
  lr: 3e-3,
  warmup: 50,
  logEvery: 10,
  sampleEvery: 200,
};

export const TRAIN_LIMITS = {
  steps: { min: 1, max: 100_000 },
  batchSize: { min: 1, max: 256 },
  lr: { min: 1e-6, max: 1 },
  sampleEvery: { min: 0, max: 100_000 },
  seed: { min: 0, max: 2 ** 31 - 1 },
} as const;
