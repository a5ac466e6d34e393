/**
 * The reward model's training step at the app's shapes (preset tiny, instructions task: 8 prompts
 * × K 6 = 48 rows of P + R = 33 columns, left-padded prompts and right-padded responses), and its
 * forward pass alone. scripts/bench/ours.ts puts it beside an LM step of the same shape, so the
 * cost of what only the RM does (the key mask, lastHidden, the ranking loss) shows.
 */
import * as tf from '@tensorflow/tfjs';
import { GPT } from '../../src/model/gpt';
import { AdamW } from '../../src/model/optim';
import { PRESETS } from '../../src/model/config';
import { rankingLossAndAccuracy } from '../../src/kernels/rankingLoss/op';
import { linear } from '../../src/kernels/linear/op';
import { ScalarModel } from '../../src/rlhf/scalarModel';
import { buildSequences, lastHidden, layoutFor, type SequenceBatch } from '../../src/rlhf/sequences';
import { Rng } from '../../src/util/rng';
import { splitRankingStep, stepHelper } from '../../src/train/dataParallel';
import { median } from './median';

const text = (rng: Rng, min: number, max: number) => Array.from({ length: min + rng.int(max - min + 1) }, () => String.fromCharCode(97 + rng.int(26))).join('');

/** Random ranked sets with the task's length spread: prompts 5–16 chars, responses 1–12. */
function rankedBatch(P: number, K: number, seed: number): SequenceBatch {
  const rng = new Rng(seed);
  const layout = layoutFor(16, 16);
  const prompts: string[] = [];
  const responses: string[] = [];
  for (let p = 0; p < P; p++) {
    const prompt = text(rng, 5, 16);
    for (let k = 0; k < K; k++) {
      prompts.push(prompt);
      responses.push(text(rng, 1, 12));
    }
  }
  return buildSequences(layout, prompts, responses);
}

/** Half `part` (0: the first ⌈P/2⌉ prompts, 1: the rest) of rankedBatch(P, K, seed), as the split step takes it. */
function halfOf(P: number, K: number, seed: number, part: 0 | 1): { batch: SequenceBatch; sets: number } {
  const whole = rankedBatch(P, K, seed);
  const h = Math.ceil(P / 2);
  const [lo, hi] = part === 0 ? [0, h] : [h, P];
  const L = whole.layout.P + whole.layout.R;
  const R = whole.layout.R;
  const rows = (a: Int32Array | Float32Array, w: number) => a.slice(lo * K * w, hi * K * w);
  const batch: SequenceBatch = {
    N: (hi - lo) * K,
    layout: whole.layout,
    tokens: rows(whole.tokens, L) as Int32Array,
    positions: rows(whole.positions, L) as Int32Array,
    keyValid: rows(whole.keyValid, L) as Float32Array,
    actions: rows(whole.actions, R) as Int32Array,
    actionMask: rows(whole.actionMask, R) as Float32Array,
    lastIndex: rows(whole.lastIndex, 1) as Int32Array,
    responseLength: rows(whole.responseLength, 1) as Int32Array,
  };
  return { batch, sets: hi - lo };
}

/** What the RM's forward is given: the app passes both positions and the key mask. */
export type Inputs = 'positions+mask' | 'mask only' | 'positions only' | 'neither' | 'neither, last column sliced (no one-hot pick)';

/** The RM's scores with some inputs left out (ablations: the answer is wrong, the time is not). */
function scores(rm: ScalarModel, b: SequenceBatch, inputs: Inputs, seed: number): tf.Tensor1D {
  const L = b.layout.P + b.layout.R;
  const tokens = tf.tensor2d(b.tokens, [b.N, L], 'int32');
  const positions = inputs === 'positions+mask' || inputs === 'positions only' ? tf.tensor2d(b.positions, [b.N, L], 'int32') : undefined;
  const keyValid = inputs === 'positions+mask' || inputs === 'mask only' ? tf.tensor2d(b.keyValid, [b.N, L]) : undefined;
  const h = rm.backbone.hidden(tokens, { positions, keyValid, training: true, dropoutSeed: seed }).reshape([b.N, L, rm.backbone.cfg.dModel]) as tf.Tensor3D;
  const w = rm.backbone.p('score.weight');
  const picked = inputs.startsWith('neither,') ? (h.slice([0, L - 1, 0], [b.N, 1, h.shape[2]]).reshape([b.N, h.shape[2]]) as tf.Tensor2D) : lastHidden(h, b);
  return linear(picked, w as tf.Tensor2D, rm.backbone.p('score.bias') as tf.Tensor1D).reshape([b.N]) as tf.Tensor1D; // ScalarModel's head
}

export interface RmStepTimes {
  rows: number;
  columns: number;
  /** ms per training step (forward, backward, AdamW) by what the forward is given */
  step_ms: Partial<Record<Inputs, number>>;
  /** ms per forward (eval mode, the app's inputs) */
  forward_ms: number;
  /** GPU dispatches per training step with the app's inputs */
  dispatches_per_step: number;
}

const ALL_INPUTS: Inputs[] = ['positions+mask', 'mask only', 'positions only', 'neither', 'neither, last column sliced (no one-hot pick)'];

/** On the active backend; `variants`: which inputs to time (default all; the wasm bench times the app's only). */
export async function rmStepTimes(dispatches: () => number, warmup = 2, reps = 8, variants: Inputs[] = ALL_INPUTS): Promise<RmStepTimes> {
  const P = 8;
  const K = 6;
  const rm = new ScalarModel(GPT.create({ ...PRESETS.tiny, dropout: 0 }, 1));
  const opt = new AdamW(rm.backbone.params);
  const vars = [...rm.backbone.params.values()];
  const step = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Inputs, number[]>;
  const forward: number[] = [];
  let shape = [0, 0];
  let dispatched = 0;
  try {
    for (let i = 0; i < warmup + reps; i++) {
      const batch = rankedBatch(P, K, 100 + i);
      const halves = [halfOf(P, K, 100 + i, 0), halfOf(P, K, 100 + i, 1)] as const;
      shape = [batch.N, batch.layout.P + batch.layout.R];
      for (const v of variants) {
        const t0 = performance.now();
        const d0 = dispatches();
        // as the app trains: on wasm with 2 workers the app's step is split by sets (src/train/dataParallel.ts)
        const helper = v === 'positions+mask' ? stepHelper() : null;
        const loss = helper
          ? await splitRankingStep(helper, rm, opt, halves[0], halves[1], 1e-4, i).then((r) => (tf.dispose([r.accuracy, r.gradNorm]), r.loss))
          : tf.tidy(() => {
              const { value, grads } = tf.variableGrads(() => {
                const { loss, accuracy } = rankingLossAndAccuracy(scores(rm, batch, v, i).reshape([P, K]));
                accuracy.dispose();
                return loss;
              }, vars);
              opt.apply(grads, 1e-4);
              return value;
            });
        await loss.data();
        loss.dispose();
        if (i >= warmup) step[v].push(performance.now() - t0);
        if (i >= warmup && v === 'positions+mask') dispatched += dispatches() - d0;
      }
      const t0 = performance.now();
      const s = tf.tidy(() => rm.scores(batch));
      await s.data();
      s.dispose();
      if (i >= warmup) forward.push(performance.now() - t0);
    }
  } finally {
    opt.dispose();
    rm.dispose();
  }
  return {
    rows: shape[0],
    columns: shape[1],
    step_ms: Object.fromEntries(variants.map((v) => [v, median(step[v])])),
    forward_ms: median(forward),
    dispatches_per_step: dispatched / reps,
  };
}
