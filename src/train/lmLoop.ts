import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt';
import { AdamW, ADAMW_DEFAULTS, type AdamWConfig } from '../model/optim';
import { learningRate } from '../model/schedule';
import { generate } from '../model/generate';
import { BOS, decode, encode } from '../model/tokenizer';
import { Rng } from '../util/rng';
import type { TokenBatch } from './batches';
import { lmTrainStep, profiledLmTrainStep, type StepPhases } from './trainStep';
import { ScalarLog } from './metrics';

/** Steps that are timed phase by phase (forward / backward / optimizer) for the UI. */
const PROFILE_FIRST = 3;
const PROFILE_EVERY = 200;

export interface LMLoopOptions {
  steps: number;
  lr: number;
  warmup: number;
  minLrRatio: number;
  adamw?: Partial<AdamWConfig>;
  seed: number;
  /** read metrics back every N steps (one async transfer) */
  logEvery: number;
  /** generate samples every N steps (0 = never) */
  sampleEvery: number;
  samplePrompts: string[];
  sampleMaxTokens: number;
}

/** What a training stage reports while it runs; the worker turns these into protocol events. */
export interface StageHooks {
  metrics(m: { step: number; total: number; values: Record<string, number[]>; stepsPerSec: number; tokensPerSec: number; etaSeconds: number }): void;
  samples(step: number, samples: { prompt: string; completion: string }[]): void;
  /** true when the user asked to stop; checked between steps */
  shouldStop(): boolean;
}

export interface LMLoopResult {
  steps: number;
  losses: number[];
  skipped: number;
  stopped: boolean;
  seconds: number;
}

/**
 * The training loop for next-token stages (pretraining and SFT). The GPU is never waited on inside
 * a step: losses are pushed to a ScalarLog and read in one transfer every `logEvery` steps, which
 * also bounds how far the CPU runs ahead of the GPU queue.
 */
export async function runLMLoop(model: GPT, nextBatch: (rng: Rng) => TokenBatch, opts: LMLoopOptions, hooks: StageHooks): Promise<LMLoopResult> {
  const optimizer = new AdamW(model.params, { ...ADAMW_DEFAULTS, ...opts.adamw });
  const rng = new Rng(opts.seed);
  const log = new ScalarLog();
  const losses: number[] = [];
  const schedule = { peak: opts.lr, warmup: opts.warmup, total: opts.steps, minRatio: opts.minLrRatio };
  const start = performance.now();
  let lastTime = start;
  let lastStep = 0;
  let tokensPerStep = 0;
  let step = 0;
  let stopped = false;
  let lastPhases: StepPhases | null = null;
  try {
    for (; step < opts.steps; step++) {
      if (hooks.shouldStop()) {
        stopped = true;
        break;
      }
      const batch = nextBatch(rng);
      tokensPerStep = batch.B * batch.T;
      const lr = learningRate(step, schedule);
      // Once early and then every PROFILE_EVERY steps, the same step is timed phase by phase.
      const profile = step === PROFILE_FIRST || (step > 0 && step % PROFILE_EVERY === 0);
      let phases: StepPhases | null = null;
      const dropoutSeed = opts.seed * 100_003 + step;
      const { loss, gradNorm } = profile
        ? await profiledLmTrainStep(model, optimizer, batch, lr, dropoutSeed).then((r) => ((phases = r.phases), r))
        : lmTrainStep(model, optimizer, batch, lr, dropoutSeed);
      log.push('loss', loss);
      log.push('gradNorm', gradNorm);
      if (phases) lastPhases = phases;
      const done = step + 1;
      if (done % opts.logEvery === 0 || done === opts.steps) {
        const values = await log.flush();
        losses.push(...values.loss);
        const now = performance.now();
        const stepsPerSec = ((done - lastStep) * 1000) / Math.max(1, now - lastTime);
        lastTime = now;
        lastStep = done;
        values.lr = [lr];
        if (lastPhases) {
          const p: StepPhases = lastPhases;
          Object.assign(values, { forwardMs: [p.forwardMs], backwardMs: [p.backwardMs], optimizerMs: [p.optimizerMs] });
          lastPhases = null;
        }
        hooks.metrics({ step: done, total: opts.steps, values, stepsPerSec, tokensPerSec: stepsPerSec * tokensPerStep, etaSeconds: (opts.steps - done) / Math.max(stepsPerSec, 1e-9) });
      }
      if (opts.sampleEvery > 0 && (done % opts.sampleEvery === 0 || done === opts.steps)) {
        hooks.samples(done, await sampleCompletions(model, opts.samplePrompts, opts.sampleMaxTokens, opts.seed + done));
      }
    }
    const skipped = (await optimizer.skipped.data())[0];
    return { steps: step, losses, skipped, stopped, seconds: (performance.now() - start) / 1000 };
  } finally {
    log.dispose();
    optimizer.dispose();
  }
}

/** Completions for display: temperature 0.7, top-k 20, with the KV cache. */
export async function sampleCompletions(model: GPT, prompts: string[], maxTokens: number, seed: number): Promise<{ prompt: string; completion: string }[]> {
  if (prompts.length === 0) return [];
  const out = await generate(
    model,
    prompts.map((p) => [BOS, ...encode(p)]),
    { temperature: 0.7, topK: 20, topP: 1, maxNewTokens: maxTokens, seed, useCache: true },
  );
  return prompts.map((prompt, i) => ({ prompt, completion: decode(out.tokens[i]) }));
}

/** Tensors and bytes alive, for the UI's memory readout and leak checks. */
export function memorySnapshot(): { numTensors: number; numBytes: number } {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}
