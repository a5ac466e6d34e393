import * as tf from '@tensorflow/tfjs';
import { wasmWorkers } from '../engine/backend';
import type { GPTConfig } from '../model/config';
import type { GPT } from '../model/gpt';
import { generate, type GenerateOptions, type Generation } from '../model/generate';
import type { AdamW } from '../model/optim';
import type { ScalarModel } from '../rlhf/scalarModel';
import type { SequenceBatch } from '../rlhf/sequences';
import type { TokenBatch } from './batches';
import type { StepPhases } from './trainStep';
import { lmShareLoss, maskCount, rankingShareLoss, type LmRows } from './shareLoss';

/**
 * Data parallelism on wasm. tfjs-wasm runs one op at a time and threads only its matmuls, which
 * gained nothing on 2 cores (BENCHMARKS.md: 2 threads ×0.93 of one); two workers each running a
 * whole half of the batch did (×1.44–1.60). So on wasm with 2 workers (engine/backend.ts
 * `wasmWorkers`), an LM or RM training step is split:
 *
 *   this worker:   reads the weights ─┬─ grads of rows [0, h)  ──┐
 *   helper worker: (gradient.worker.ts) └─ sets the same weights, grads of rows [h, B) ─┴─ sum → one AdamW step here
 *
 * Each part's loss is its share of the whole batch's mean (train/shareLoss.ts), so the two
 * gradients add up to the batch's; only float summation order differs from the unsplit step. The
 * helper keeps no state (weights arrive with every job), so resume, fork and stop need nothing from it.
 */

/** What the helper is asked: the model's weights (by parameter key, in `keys` order) and its part of the batch. */
export type GradientJob = {
  id: number;
  cfg: GPTConfig;
  /** the model is a ScalarModel (the reward model): its backbone has the score head */
  scalarHead: boolean;
  keys: string[];
  weights: Float32Array[];
  dropoutSeed: number;
} & (
  | { kind: 'lm'; part: LmRows; batchCount: number }
  | { kind: 'ranking'; batch: SequenceBatch; sets: number; batchSets: number }
  | { kind: 'generate'; prompts: number[][]; opts: GenerateOptions }
);

/** The helper's answer: gradients in `keys` order and its share of the loss (and accuracy); or a generation. */
export type GradientReply =
  { id: number; grads: Float32Array[]; loss: number; accuracy: number } | { id: number; generation: Generation } | { id: number; error: string };

type JobBody = Omit<GradientJob, 'id'>;
type Done = Exclude<GradientReply, { error: string }>;
type Grads = Extract<GradientReply, { grads: Float32Array[] }>;

const RETRY = '. Resume the run, or open the page with ?wasmWorkers=1 to train every step on one worker.';

/** The helper worker and its pending jobs. */
class GradientHelper {
  private readonly worker = new Worker(new URL('../worker/gradient.worker.ts', import.meta.url), { type: 'module' });
  private readonly pending = new Map<number, { done: (r: Done) => void; fail: (e: Error) => void }>();
  private nextId = 0;
  private broken: string | null = null;

  constructor() {
    this.worker.onmessage = (e: MessageEvent<GradientReply>) => {
      const job = this.pending.get(e.data.id);
      this.pending.delete(e.data.id);
      if ('error' in e.data) job?.fail(new Error(`the second wasm worker failed: ${e.data.error}${RETRY}`));
      else job?.done(e.data);
    };
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.broken = `the second wasm worker failed to run: ${e.message || 'it could not start'}${RETRY}`;
      for (const job of this.pending.values()) job.fail(new Error(this.broken));
      this.pending.clear();
    };
  }

  run<R extends Done>(job: JobBody): Promise<R> {
    if (this.broken) return Promise.reject(new Error(this.broken));
    const id = this.nextId++;
    return new Promise<R>((done, fail) => {
      this.pending.set(id, { done: done as (r: Done) => void, fail });
      this.worker.postMessage(
        { ...job, id },
        job.weights.map((w) => w.buffer),
      );
    });
  }
}

let helper: GradientHelper | null = null;

/**
 * The session's helper when training steps are split (wasm, 2 workers); null otherwise — steps then
 * run unsplit here. Started on first use.
 */
export function stepHelper(): GradientHelper | null {
  if (tf.getBackend() !== 'wasm' || wasmWorkers() < 2) return null;
  return (helper ??= new GradientHelper());
}

export type { GradientHelper };

/** Parameters in a fixed order, with the keys the helper finds them by. */
function ordered(params: Map<string, tf.Variable>, trainableOnly: boolean): { keys: string[]; vars: tf.Variable[] } {
  const entries = [...params].filter(([, v]) => !trainableOnly || v.trainable);
  return { keys: entries.map(([k]) => k), vars: entries.map(([, v]) => v) };
}

/** Copies of the weights (transferred to the helper). */
async function readWeights(vars: tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(vars.map(async (v) => (await v.data()).slice() as Float32Array));
}

/** The seed of a part's dropout masks: distinct per part and per step (the unsplit step's seed × 2 + part). */
const partSeed = (dropoutSeed: number, part: 0 | 1) => dropoutSeed * 2 + part;

/**
 * One step: `local` gives this worker's share (loss, maybe accuracy) while the helper computes
 * `remote`; the gradients are summed (local + remote, always in that order) and applied.
 */
async function splitStep(
  h: GradientHelper,
  optimizer: AdamW,
  lr: number,
  order: { keys: string[]; vars: tf.Variable[] },
  remote: Omit<JobBody, 'keys' | 'weights'>,
  local: () => { loss: tf.Scalar; accuracy?: tf.Scalar },
  timed = false,
): Promise<{ loss: tf.Scalar; accuracy?: tf.Scalar; gradNorm: tf.Scalar; phases?: StepPhases }> {
  // Timed (the LM loop's profiled steps): wall time is the time here, since wasm runs every op at once.
  // One extra forward of this worker's part (no state change) gives the forward; backward = the
  // gradients of both parts (this one's, then waiting for the helper's) − that forward.
  let forwardMs = 0;
  if (timed) {
    const t = performance.now();
    tf.tidy(() => {
      const out = local();
      out.accuracy?.dispose();
    });
    forwardMs = performance.now() - t;
  }
  const t0 = performance.now();
  const weights = await readWeights(order.vars);
  const theirs = h.run<Grads>({ ...remote, keys: order.keys, weights } as JobBody);
  theirs.catch(() => {}); // if this worker's part throws first, the helper's failure is not also unhandled
  let accuracy: tf.Scalar | null = null;
  const mine = tf.tidy(() =>
    tf.variableGrads(() => {
      const out = local();
      accuracy = out.accuracy ?? null;
      return out.loss;
    }, order.vars),
  );
  try {
    const r = await theirs;
    const t1 = performance.now();
    const out = tf.tidy(() => {
      const grads: Record<string, tf.Tensor> = {};
      order.vars.forEach((v, i) => (grads[v.name] = tf.add(mine.grads[v.name], tf.tensor(r.grads[i], v.shape, 'float32'))));
      const gradNorm = optimizer.apply(grads, lr);
      const loss = tf.add(mine.value, r.loss) as tf.Scalar;
      return accuracy ? { loss, accuracy: tf.add(accuracy, r.accuracy) as tf.Scalar, gradNorm } : { loss, gradNorm };
    });
    if (!timed) return out;
    await out.gradNorm.data(); // the update has run
    const phases = { forwardMs, backwardMs: Math.max(0, t1 - t0 - forwardMs), optimizerMs: performance.now() - t1 };
    return { ...out, phases };
  } finally {
    tf.dispose([mine.value, ...Object.values(mine.grads), ...(accuracy ? [accuracy] : [])]);
  }
}

/** Rows [lo, hi) of a token batch. */
function rowsOf(b: TokenBatch, lo: number, hi: number): LmRows {
  const { T } = b;
  return { rows: hi - lo, T, inputs: b.inputs.slice(lo * T, hi * T), targets: b.targets.slice(lo * T, hi * T), mask: b.mask.slice(lo * T, hi * T) };
}

/** lmTrainStep (train/trainStep.ts) split across this worker and the helper: rows [0, ⌈B/2⌉) here, the rest there; `timed`: with its phases. */
export async function splitLmTrainStep(
  h: GradientHelper,
  model: GPT,
  optimizer: AdamW,
  batch: TokenBatch,
  lr: number,
  dropoutSeed: number,
  timed = false,
): Promise<{ loss: tf.Scalar; gradNorm: tf.Scalar; phases?: StepPhases }> {
  const half = Math.ceil(batch.B / 2);
  const batchCount = maskCount(batch.mask);
  const remote = {
    kind: 'lm' as const,
    cfg: model.cfg,
    scalarHead: false,
    dropoutSeed: partSeed(dropoutSeed, 1),
    part: rowsOf(batch, half, batch.B),
    batchCount,
  };
  const { loss, gradNorm, phases } = await splitStep(
    h,
    optimizer,
    lr,
    ordered(model.params, true),
    remote,
    () => ({ loss: lmShareLoss(model, rowsOf(batch, 0, half), batchCount, partSeed(dropoutSeed, 0)) }),
    timed,
  );
  return phases ? { loss, gradNorm, phases } : { loss, gradNorm };
}

/**
 * The reward model's step split by ranked sets: `mine` (its SequenceBatch and set count) here,
 * `theirs` on the helper; loss and accuracy are the whole batch's means.
 */
export async function splitRankingStep(
  h: GradientHelper,
  rm: ScalarModel,
  optimizer: AdamW,
  mine: { batch: SequenceBatch; sets: number },
  theirs: { batch: SequenceBatch; sets: number },
  lr: number,
  dropoutSeed: number,
): Promise<{ loss: tf.Scalar; accuracy: tf.Scalar; gradNorm: tf.Scalar }> {
  const batchSets = mine.sets + theirs.sets;
  const remote = { kind: 'ranking' as const, cfg: rm.backbone.cfg, scalarHead: true, dropoutSeed: partSeed(dropoutSeed, 1), ...theirs, batchSets };
  const out = await splitStep(h, optimizer, lr, ordered(rm.backbone.params, false), remote, () =>
    rankingShareLoss(rm, mine.batch, mine.sets, batchSets, partSeed(dropoutSeed, 0)),
  );
  return { loss: out.loss, accuracy: out.accuracy!, gradNorm: out.gradNorm };
}

/**
 * generate() for independent jobs (each with its own seed), e.g. the RM stage's response sampling
 * in chunks of rows: on wasm with 2 workers every second job runs on the helper while this worker
 * runs the one before it. A job's tokens depend only on its prompts, seed and the weights, and
 * both workers run the same one-thread kernels, so the generations equal those made one after another here.
 */
export async function generateEach(model: GPT, jobs: { prompts: number[][]; opts: GenerateOptions }[]): Promise<Generation[]> {
  const h = jobs.length > 1 ? stepHelper() : null;
  const out: Generation[] = [];
  const order = ordered(model.params, false);
  // the weights do not change while generating: read once, a copy per job (each is transferred)
  const weights = h ? await readWeights(order.vars) : [];
  for (let i = 0; i < jobs.length; i += h ? 2 : 1) {
    const next = jobs[i + 1];
    const remote =
      h && next
        ? h.run<{ id: number; generation: Generation }>({
            kind: 'generate',
            cfg: model.cfg,
            scalarHead: false,
            keys: order.keys,
            weights: weights.map((w) => w.slice()),
            dropoutSeed: 0,
            ...next,
          })
        : null;
    // both awaited together: a failure of either is the call's, none is left unhandled
    const [mine, theirs] = await Promise.all([generate(model, jobs[i].prompts, jobs[i].opts), remote]);
    out.push(mine);
    if (theirs) out.push(theirs.generation);
  }
  return out;
}
