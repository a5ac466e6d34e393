/**
 * A bench worker with its own one-thread tfjs-wasm that times LM training steps of the tiny preset (or,
 * as a control, a fixed arithmetic loop). Several at once measure whether this machine runs wasm
 * training side by side: the ceiling of any split of a batch across workers (data parallelism), which
 * tfjs-wasm's own thread pool (matmuls only) cannot reach.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { GPT } from '../../src/model/gpt';
import { AdamW } from '../../src/model/optim';
import { PRESETS } from '../../src/model/config';
import { lmTrainStep } from '../../src/train/trainStep';
import { sampleWindows } from '../../src/train/batches';
import { Rng } from '../../src/util/rng';
import { crossEntropy } from '../../src/kernels/crossEntropy/op';

export interface ProbeRequest {
  /**
   * 'lm': LM steps of batch B × T; 'spin': `warmup + reps` runs of an arithmetic loop (no memory traffic);
   * 'dp': LM steps of batch B × T split in two halves, one computed here, one by a 'dpHelper' worker on
   * `port` (data parallelism: the helper gets this step's weights and its half, returns its gradients)
   */
  kind: 'lm' | 'spin' | 'dp' | 'dpHelper';
  B: number;
  T: number;
  warmup: number;
  reps: number;
  port?: MessagePort;
}

/** ms per step after warm-up, and every step's loss (warm-up included) */
export interface Timed {
  times: number[];
  losses: number[];
}

interface HalfRequest {
  weights: Float32Array[];
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  rows: number;
  /** the whole batch's mask count: each half's loss is its masked sum over it, so the halves' gradients add up */
  total: number;
}

/** Gradients (in `vars` order) of a half batch's share of the whole batch's masked mean loss; and that share. */
function halfGrads(model: GPT, vars: tf.Variable[], h: HalfRequest, T: number, dropoutSeed: number): { loss: tf.Scalar; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const inputs = tf.tensor2d(h.inputs, [h.rows, T], 'int32');
    const targets = tf.tensor1d(h.targets, 'int32');
    const mask = tf.tensor1d(h.mask, 'float32');
    const count = h.mask.reduce((a, b) => a + b, 0);
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.logits(inputs, { training: true, dropoutSeed }).reshape([h.rows * T, model.cfg.vocabSize]) as tf.Tensor2D;
      return tf.mul(crossEntropy(logits, targets, mask), count / h.total) as tf.Scalar;
    }, vars);
    return { loss: value, grads: vars.map((v) => grads[v.name]) };
  });
}

function tinyModel(): { model: GPT; vars: tf.Variable[] } {
  const model = GPT.create({ ...PRESETS.tiny, dropout: 0 }, 1);
  return { model, vars: [...model.params.values()].filter((v) => v.trainable) };
}

/** The helper: sets its weights to the coordinator's, computes its half's gradients, sends them back. */
async function dpHelper(port: MessagePort, T: number): Promise<void> {
  await initBackend('wasm', { wasmThreads: 1 });
  const { model, vars } = tinyModel();
  port.onmessage = async (e: MessageEvent<HalfRequest | null>) => {
    if (!e.data) return port.close();
    const h = e.data;
    vars.forEach((v, i) => v.assign(tf.tensor(h.weights[i], v.shape)));
    const { loss, grads } = halfGrads(model, vars, h, T, 0);
    const out = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
    const share = (await loss.data())[0];
    tf.dispose([loss, ...grads]);
    port.postMessage(
      { loss: share, grads: out },
      out.map((x) => x.buffer),
    );
  };
}

/** The coordinator: each step half here, half on the helper, gradients summed, one AdamW step. */
async function dpSteps({ B, T, warmup, reps, port }: ProbeRequest): Promise<Timed> {
  await initBackend('wasm', { wasmThreads: 1 });
  const { model, vars } = tinyModel();
  const opt = new AdamW(model.params);
  const rng = new Rng(1);
  const stream = Int32Array.from({ length: 4 * 16 * (T + 1) }, () => rng.int(model.cfg.vocabSize));
  const times: number[] = [];
  const losses: number[] = [];
  const half = B / 2;
  for (let i = 0; i < warmup + reps; i++) {
    const batch = sampleWindows(stream, B, T, rng);
    const t0 = performance.now();
    const total = batch.mask.reduce((a, b) => a + b, 0);
    const part = (lo: number, hi: number, weights: Float32Array[]): HalfRequest => ({
      weights,
      inputs: batch.inputs.slice(lo * T, hi * T),
      targets: batch.targets.slice(lo * T, hi * T),
      mask: batch.mask.slice(lo * T, hi * T),
      rows: hi - lo,
      total,
    });
    const weights = await Promise.all(vars.map((v) => v.data() as Promise<Float32Array>));
    const remote = new Promise<{ loss: number; grads: Float32Array[] }>((done) => (port!.onmessage = (e) => done(e.data)));
    const request = part(half, B, weights);
    port!.postMessage(
      request,
      weights.map((w) => w.buffer),
    );
    const local = halfGrads(model, vars, part(0, half, []), T, i);
    const theirs = await remote;
    const grads: Record<string, tf.Tensor> = {};
    vars.forEach((v, j) => (grads[v.name] = tf.add(local.grads[j], tf.tensor(theirs.grads[j], v.shape))));
    const gradNorm = opt.apply(grads, 1e-3);
    losses.push((await local.loss.data())[0] + theirs.loss);
    if (i >= warmup) times.push(performance.now() - t0);
    tf.dispose([local.loss, ...local.grads, ...Object.values(grads), gradNorm]);
  }
  port!.postMessage(null);
  return { times, losses };
}

function spin(): void {
  let x = 0;
  for (let i = 0; i < 2e7; i++) x = (x * 1.0000001 + i) % 1e9;
  if (x < 0) throw new Error('unreachable');
}

async function lmSteps({ B, T, warmup, reps }: ProbeRequest): Promise<Timed> {
  await initBackend('wasm', { wasmThreads: 1 });
  const cfg = { ...PRESETS.tiny, dropout: 0 };
  const rng = new Rng(1);
  const stream = Int32Array.from({ length: 4 * 16 * (T + 1) }, () => rng.int(cfg.vocabSize));
  const model = GPT.create(cfg, 1);
  const opt = new AdamW(model.params);
  const times: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const batch = sampleWindows(stream, B, T, rng);
    const t0 = performance.now();
    const { loss, gradNorm } = lmTrainStep(model, opt, batch, 1e-3, i);
    losses.push((await loss.data())[0]);
    if (i >= warmup) times.push(performance.now() - t0);
    tf.dispose([loss, gradNorm]);
  }
  return { times, losses };
}

self.onmessage = async (e: MessageEvent<ProbeRequest>) => {
  let result: Timed = { times: [], losses: [] };
  if (e.data.kind === 'dpHelper') return dpHelper(e.data.port!, e.data.T);
  if (e.data.kind === 'dp') result = await dpSteps(e.data);
  else if (e.data.kind === 'lm') result = await lmSteps(e.data);
  else
    for (let i = 0; i < e.data.warmup + e.data.reps; i++) {
      const t0 = performance.now();
      spin();
      if (i >= e.data.warmup) result.times.push(performance.now() - t0);
    }
  (self as unknown as Worker).postMessage(result);
};
