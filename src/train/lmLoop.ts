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
import { splitLmTrainStep, stepHelper } from './dataParallel';

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

/**
 * Where a stage stands at an autosave: everything besides the weights and AdamW moments that a
 * resumed loop needs to continue exactly as if it had not stopped.
 */
export interface LMLoopCursor {
  /** steps done */
  step: number;
  /** state of the batch-sampling PRNG after `step` batches */
  rng: number;
  /** every loss so far (the stage summary averages the first and last ten) */
  losses: number[];
  /** training seconds so far */
  seconds: number;
  /** values sent per metric name so far: the page cuts its stored curves to these on resume */
  metricCounts: Record<string, number>;
}

/** Mid-stage autosave: every `every` steps (0 = never), `save` gets the cursor and the optimizer to serialise. */
export interface LMLoopAutosave {
  every: number;
  save(cursor: LMLoopCursor, optimizer: AdamW): Promise<void>;
}

/** Continue from an autosave: the model already holds its weights; `restore` puts the AdamW state back. */
export interface LMLoopResume {
  cursor: LMLoopCursor;
  restore(optimizer: AdamW): void;
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
 *
 * With `autosave`, the metrics are also read at every autosave step (so the saved cursor holds
 * every loss) and the state is handed over to be saved; with `resume`, the loop starts from such a
 * cursor. Everything a step depends on — the batch PRNG, the learning rate and dropout seed (both
 * functions of the step index), AdamW's moments and step count — comes back, so a resumed stage
 * gives the same losses as an uninterrupted one on the same backend.
 */
export async function runLMLoop(
  model: GPT,
  nextBatch: (rng: Rng) => TokenBatch,
  opts: LMLoopOptions,
  hooks: StageHooks,
  autosave?: LMLoopAutosave,
  resume?: LMLoopResume,
): Promise<LMLoopResult> {
  const optimizer = new AdamW(model.params, { ...ADAMW_DEFAULTS, ...opts.adamw });
  if (resume) resume.restore(optimizer);
  const rng = new Rng(resume ? resume.cursor.rng : opts.seed);
  const log = new ScalarLog();
  const losses: number[] = resume ? [...resume.cursor.losses] : [];
  const metricCounts: Record<string, number> = { ...(resume?.cursor.metricCounts ?? {}) };
  const schedule = { peak: opts.lr, warmup: opts.warmup, total: opts.steps, minRatio: opts.minLrRatio };
  const start = performance.now();
  const secondsBefore = resume?.cursor.seconds ?? 0;
  const saveEvery = autosave && autosave.every > 0 ? autosave.every : 0;
  let lastTime = start;
  let step = resume?.cursor.step ?? 0;
  let lastStep = step;
  let stopped = false;
  let lastPhases: StepPhases | null = null;
  const helper = stepHelper();
  try {
    for (; step < opts.steps; step++) {
      if (hooks.shouldStop()) {
        stopped = true;
        break;
      }
      const batch = nextBatch(rng);
      const tokensPerStep = batch.B * batch.T;
      const lr = learningRate(step, schedule);
      // Once early and then every PROFILE_EVERY steps, the same step is timed phase by phase.
      const profile = step === PROFILE_FIRST || (step > 0 && step % PROFILE_EVERY === 0);
      let phases: StepPhases | null = null;
      const dropoutSeed = opts.seed * 100_003 + step;
      // on wasm with 2 workers every step is split (train/dataParallel.ts)
      const { loss, gradNorm } =
        helper && batch.B > 1
          ? await splitLmTrainStep(helper, model, optimizer, batch, lr, dropoutSeed, profile).then((r) => ((phases = r.phases ?? null), r))
          : profile
            ? await profiledLmTrainStep(model, optimizer, batch, lr, dropoutSeed).then((r) => ((phases = r.phases), r))
            : lmTrainStep(model, optimizer, batch, lr, dropoutSeed);
      log.push('loss', loss);
      log.push('gradNorm', gradNorm);
      if (phases) lastPhases = phases;
      const done = step + 1;
      const saveNow = saveEvery > 0 && done % saveEvery === 0 && done < opts.steps;
      if (done % opts.logEvery === 0 || done === opts.steps || saveNow) {
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
        hooks.metrics({
          step: done,
          total: opts.steps,
          values,
          stepsPerSec,
          tokensPerSec: stepsPerSec * tokensPerStep,
          etaSeconds: (opts.steps - done) / Math.max(stepsPerSec, 1e-9),
        });
        for (const [name, xs] of Object.entries(values)) metricCounts[name] = (metricCounts[name] ?? 0) + xs.length;
      }
      if (opts.sampleEvery > 0 && (done % opts.sampleEvery === 0 || done === opts.steps)) {
        hooks.samples(done, await sampleCompletions(model, opts.samplePrompts, opts.sampleMaxTokens, opts.seed + done));
      }
      if (saveNow) {
        const cursor: LMLoopCursor = {
          step: done,
          rng: rng.state,
          losses: [...losses],
          seconds: secondsBefore + (performance.now() - start) / 1000,
          metricCounts: { ...metricCounts },
        };
        await autosave!.save(cursor, optimizer);
      }
    }
    const skipped = (await optimizer.skipped.data())[0];
    return { steps: step, losses, skipped, stopped, seconds: secondsBefore + (performance.now() - start) / 1000 };
  } finally {
    log.dispose();
    optimizer.dispose();
  }
}

/** Completions for display: temperature 0.7, top-k 20, with the KV cache. */
async function sampleCompletions(model: GPT, prompts: string[], maxTokens: number, seed: number): Promise<{ prompt: string; completion: string }[]> {
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
